// The fleet uplink: one MQTT connection that publishes the agent's state (retained topics,
// heartbeat, Home Assistant discovery) and forwards every event-log row from a durable
// cursor, and, only when enabled, takes the two remote commands.
//
// It is a bystander of the control path: it reads the event log through its own read-only
// connection, on its own timers, and is told of new rows by a call that only arms a timer.
// Nothing the control path does waits for it, so a slow or dead broker cannot delay a
// charger write. Each connection attempt uses a fresh client that keeps no queue of its own:
// the event log is the queue.

import { readFileSync } from 'node:fs';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { MqttConfig } from '../../config/types.js';
import { describe, type CoreConfig, type CoreState, type StatusView } from '../core/index.js';
import type { EventLog } from '../event-log/types.js';
import { decideCommand } from './commands.js';
import { Forwarder, type Cursor } from './forwarder.js';
import { identityOf, type GatewaySources, type UplinkIdentity } from './gateway-id.js';
import { LogReader } from './log-reader.js';
import { UPLINK_STATE_KEY, type UplinkSnapshot } from './snapshot.js';
import { discoveryTopics, stateTopics, type RuntimeSnapshotView } from './topics.js';
import { STATE_KEY_RUNTIME } from '../status-snapshot.js';
import { systemClock, type Clock } from '../../drivers/clock.js';

/** The runtime's state-table keys (agent/runtime.ts), read here to build the state topics. */
const CORE_KEY = 'core';

const TICK_MS = 100;
const SAVE_EVERY_MS = 1000;
const WINDOW = 64;
const STOP_WAIT_MS = 1000;
// New rows are published this long after the append that announced them: a decision's
// charger write and its own log rows come first, and a burst of rows goes out as one batch.
const NUDGE_DELAY_MS = 25;
const REOPEN_CHECK_MS = 2000;

export interface UplinkOptions {
  config: MqttConfig;
  /** The agent's own (writing) event log: cursor, snapshot, owner commands. */
  eventLog: EventLog;
  /** Its file, opened read-only a second time for the rows and the state to publish. */
  eventLogPath: string;
  coreConfig: CoreConfig;
  chargerIds: readonly string[];
  logger: Logger;
  version: string;
  /** Wall time from the program's one Clock (drivers/clock.ts). The uplink's timers stay
   *  Node's own: they are unref'd, so they never hold the process open. */
  clock?: Clock;
  /** Where the gateway id comes from when the config has none (tests). */
  gatewaySources?: GatewaySources;
  /** Opens one connection (tests may wrap mqtt.connect). */
  connect?: MqttConnect;
}

type MqttConnect = (url: string, options: IClientOptions) => MqttClient;
let mqttConnect: MqttConnect | undefined;

/** The broker URL without anything secret, for logs and status. */
function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable url)';
  }
}

export class Uplink {
  readonly identity: UplinkIdentity;
  private readonly c: MqttConfig;
  private readonly log: Logger;
  private readonly now: () => number;
  private reader: LogReader | undefined;
  /** requestIds this process accepted, newest last (at most 256): the reader's view of the
   *  command table can trail this process's own writes, this cannot. */
  private readonly acceptedRequests = new Map<string, number>();
  private forwarder: Forwarder | undefined;
  private client: MqttClient | undefined;
  private connected = false;
  private stopping = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private nudgeTimer: NodeJS.Timeout | undefined;
  private readonly startedAtMs: number;
  private lastStateMs = 0;
  private lastSaveMs = 0;
  private lastHeartbeatMs = 0;
  private lastReopenCheckMs = 0;
  private readonly published = new Map<string, string>();
  private discovered = new Set<string>();
  private lastError: string | null = null;
  private lastConnectAtMs: number | null = null;
  private lastDisconnectAtMs: number | null = null;
  private savedCursorId = -1;
  private connectOptions: IClientOptions | undefined;

  constructor(private readonly o: UplinkOptions) {
    this.c = o.config;
    this.log = o.logger.child({ module: 'uplink' });
    const clock = o.clock ?? systemClock;
    this.now = () => clock.now();
    this.identity = identityOf(o.config, o.gatewaySources);
    this.startedAtMs = this.now();
  }

  get prefix(): string {
    return this.identity.prefix;
  }

  start(): void {
    // Files first: a start that fails leaves nothing open.
    this.connectOptions = this.clientOptions();
    this.reader = new LogReader(this.o.eventLogPath);
    const cursor = this.startCursor();
    this.forwarder = new Forwarder(
      {
        rowsAfter: (after, limit) => (this.reader as LogReader).rowsAfter(after, limit),
        publish: (row, done) => this.publish(`${this.prefix}/events`, row.json, false, done),
        now: this.now,
        onCursor: () => {
          // Rows got through: an earlier failure is history (kept until then: a broker that
          // accepts the session and never acknowledges looks connected).
          this.lastError = null;
          this.nudge();
        },
      },
      { cursor, ratePerS: this.c.replayRatePerS, window: WINDOW },
    );
    this.log.info({ url: shownUrl(this.c.url), prefix: this.prefix, clientId: this.identity.clientId, cursor: cursor.id }, 'uplink starting');
    this.tickTimer = setInterval(() => this.guard(() => this.tick()), TICK_MS);
    this.tickTimer.unref();
    this.connectOnce();
  }

  /** New rows were appended. Only arms a timer: the caller is the control path. */
  nudge(): void {
    if (this.nudgeTimer !== undefined || this.stopping) return;
    this.nudgeTimer = setTimeout(() => {
      this.nudgeTimer = undefined;
      this.guard(() => this.forwarder?.pump());
    }, NUDGE_DELAY_MS);
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of [this.tickTimer, this.nudgeTimer]) if (t !== undefined) clearInterval(t);
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    const client = this.client;
    if (client !== undefined && this.connected) {
      // The last rows (agent.stop) go out now if the broker is quick; else on the next start.
      const until = this.now() + STOP_WAIT_MS;
      while (this.connected && this.now() < until && this.forwarder !== undefined && this.c.streams.events) {
        this.guard(() => this.forwarder?.pump());
        if (this.forwarder.idle) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      this.guard(() => this.publishState());
      // A clean stop says offline itself: the broker sends the will only for a lost connection.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STOP_WAIT_MS);
        client.publish(`${this.prefix}/status`, 'offline', { qos: this.c.qos, retain: true }, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.connected = false;
    this.saveSnapshot(true);
    if (client !== undefined) {
      client.removeAllListeners('close');
      // A polite DISCONNECT when the broker answers, else just the socket closed.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => client.end(true, () => resolve()), STOP_WAIT_MS);
        client.end(!client.connected, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.client = undefined;
    this.reader?.close();
  }

  /** The saved cursor, checked against the log it points into. */
  private startCursor(): Cursor {
    const saved = this.o.eventLog.loadState<UplinkSnapshot>(UPLINK_STATE_KEY)?.cursor;
    if (saved === undefined || saved.id === 0) return { id: 0, hash: null };
    const hash = (this.reader as LogReader).hashOf(saved.id);
    // A row missing below the head was pruned by retention: carry on after it. A cursor past
    // the head points into another file: a log the agent moved aside and began anew, with
    // the state (this cursor too) salvaged from it. Its ids start again from 1.
    if (this.cursorFits(saved)) return saved;
    this.log.warn({ cursor: saved, found: hash }, 'uplink cursor does not match the event log; replaying it from the start');
    this.o.eventLog.append({ kind: 'uplink.cursor-reset', data: { cursorId: saved.id, expectedHash: saved.hash, foundHash: hash } });
    return { id: 0, hash: null };
  }

  /** Does the cursor point into the file the reader has open? */
  private cursorFits(cursor: Cursor): boolean {
    if (cursor.id === 0) return true;
    const reader = this.reader as LogReader;
    const hash = reader.hashOf(cursor.id);
    const headId = reader.head()?.id ?? 0;
    return cursor.id <= headId && (hash === null || cursor.hash === null || hash === cursor.hash);
  }

  private clientOptions(): IClientOptions {
    const c = this.c;
    const password = c.passwordFile !== undefined ? readFileSync(c.passwordFile, 'utf8').replace(/\r?\n$/, '') : c.password;
    const tls = c.tls;
    return {
      clientId: this.identity.clientId,
      protocolVersion: 4,
      clean: true,
      keepalive: c.keepaliveS,
      // One client per connection attempt (see connectOnce): none reconnects by itself.
      reconnectPeriod: 0,
      connectTimeout: Math.min(30_000, c.ackTimeoutS * 1000),
      ...(c.username !== undefined ? { username: c.username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(tls.ca !== undefined ? { ca: readFileSync(tls.ca) } : {}),
      ...(tls.cert !== undefined ? { cert: readFileSync(tls.cert) } : {}),
      ...(tls.key !== undefined ? { key: readFileSync(tls.key) } : {}),
      rejectUnauthorized: tls.rejectUnauthorized,
      will: { topic: `${this.prefix}/status`, payload: Buffer.from('offline'), qos: this.c.qos, retain: true },
    };
  }

  private connectOnce(): void {
    if (this.stopping) return;
    // mqtt is loaded at the first attempt, never when the uplink is off: it is the largest of
    // the agent's dependencies (~10 MB resident), and `run` keeps whatever it loads.
    if (this.o.connect === undefined && mqttConnect === undefined) {
      import('mqtt').then(
        (m) => {
          mqttConnect = m.connect;
          this.connectOnce();
        },
        (err: unknown) => {
          this.noteError(err);
          this.scheduleReconnect();
        },
      );
      return;
    }
    const connect = this.o.connect ?? (mqttConnect as MqttConnect);
    let client: MqttClient;
    try {
      client = connect(this.c.url, this.connectOptions as IClientOptions);
    } catch (err) {
      this.noteError(err);
      this.scheduleReconnect();
      return;
    }
    this.client = client;
    client.on('connect', () => this.guard(() => this.onConnect(client)));
    client.on('error', (err) => this.noteError(err));
    client.on('close', () => this.guard(() => this.onClose(client)));
    client.on('message', (topic, payload, packet) => this.guard(() => this.onMessage(topic, payload, packet.retain)));
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.reconnectTimer !== undefined) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connectOnce();
    }, this.c.reconnectS * 1000);
    this.reconnectTimer.unref();
  }

  private onConnect(client: MqttClient): void {
    if (client !== this.client || this.stopping) return;
    this.connected = true;
    this.lastConnectAtMs = this.now();
    this.log.info({ url: shownUrl(this.c.url) }, 'uplink connected');
    this.publish(`${this.prefix}/status`, 'online', true);
    // Live state first: a broker that restarted without persistence has lost the retained
    // topics, and they say more than the backlog about the gateway now.
    this.published.clear();
    this.discovered = new Set();
    this.publishState();
    if (this.c.commands.enabled) {
      client.subscribe(`${this.prefix}/command/+`, { qos: 1 }, (err) => {
        if (err) this.noteError(err);
      });
    }
    if (this.c.streams.events) {
      this.forwarder?.setOnline();
      this.forwarder?.pump();
    }
  }

  private onClose(client: MqttClient): void {
    if (client !== this.client) return;
    if (this.connected) {
      this.lastDisconnectAtMs = this.now();
      this.log.warn({ url: shownUrl(this.c.url), error: this.lastError }, 'uplink disconnected; rows wait in the event log');
    }
    this.connected = false;
    this.forwarder?.setOffline();
    // Forced: the client must not keep or resend anything; the forwarder resends from the cursor.
    client.removeAllListeners('connect');
    client.end(true);
    this.client = undefined;
    this.scheduleReconnect();
  }

  /**
   * Every way into the uplink (timers, client events) goes through here: an exception in a
   * timer would end the agent's process, and the fleet view must never cost the control.
   */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.noteError(err);
    }
  }

  private noteError(err: unknown): void {
    const text = err instanceof Error ? err.message : String(err);
    if (text !== this.lastError) this.log.warn({ error: text }, 'uplink error');
    this.lastError = text;
  }

  private publish(topic: string, payload: string, retain: boolean, done?: (err?: Error) => void): void {
    const client = this.client;
    if (client === undefined || !this.connected) {
      done?.(new Error('not connected'));
      return;
    }
    client.publish(topic, payload, { qos: this.c.qos, retain }, (err) => done?.(err ?? undefined));
  }

  private tick(): void {
    const now = this.now();
    const f = this.forwarder;
    if (now - this.lastReopenCheckMs >= REOPEN_CHECK_MS) {
      this.lastReopenCheckMs = now;
      // The agent's event log replaces a deleted or broken file while running; a reader
      // left on the old one would never see another row.
      if (this.reader?.reopenIfReplaced()) {
        this.log.warn('uplink: the event log file was replaced; reading the new one');
        const cursor = this.forwarder?.cursor;
        if (cursor !== undefined && !this.cursorFits(cursor)) this.forwarder?.restartAt({ id: 0, hash: null });
      }
    }
    if (this.connected && f !== undefined) {
      f.pump();
      if (f.oldestUnackedMs() > this.c.ackTimeoutS * 1000) {
        // A broker that takes packets and never answers: start over on a new connection.
        this.noteError(new Error(`no acknowledgement for ${this.c.ackTimeoutS} s`));
        this.client?.end(true);
      }
    }
    if (this.connected && now - this.lastStateMs >= this.c.stateMinIntervalMs) this.publishState();
    if (this.connected && this.c.streams.heartbeat && now - this.lastHeartbeatMs >= this.c.heartbeatS * 1000) this.heartbeat();
    if (now - this.lastSaveMs >= SAVE_EVERY_MS) this.saveSnapshot(false);
  }

  private view(): { view: StatusView | undefined; runtime: RuntimeSnapshotView | undefined } {
    const reader = this.reader;
    if (reader === undefined) return { view: undefined, runtime: undefined };
    try {
      const core = reader.loadState<CoreState>(CORE_KEY);
      const runtime = reader.loadState<RuntimeSnapshotView>(STATE_KEY_RUNTIME);
      return { view: core === undefined ? undefined : describe(this.o.coreConfig, core, this.now()), runtime };
    } catch (err) {
      this.noteError(err);
      return { view: undefined, runtime: undefined };
    }
  }

  private publishState(): void {
    this.lastStateMs = this.now();
    if (!this.c.streams.state && !this.c.homeAssistant.enabled) return;
    const { view, runtime } = this.view();
    if (view === undefined) return;
    if (this.c.streams.state) {
      for (const [topic, payload] of stateTopics(this.prefix, view, runtime)) {
        if (this.published.get(topic) === payload) continue;
        this.published.set(topic, payload);
        this.publish(topic, payload, true);
      }
    }
    if (this.c.homeAssistant.enabled) {
      const docs = discoveryTopics({
        discoveryPrefix: this.c.homeAssistant.discoveryPrefix,
        gatewayId: this.identity.gatewayId,
        prefix: this.prefix,
        version: this.o.version,
        chargerIds: this.o.chargerIds,
        switchIdxs: view.switches.map((s) => s.idx),
      });
      for (const [topic, payload] of docs) {
        if (this.discovered.has(topic)) continue;
        this.discovered.add(topic);
        this.publish(topic, payload, true);
      }
    }
  }

  private heartbeat(): void {
    const now = this.now();
    this.lastHeartbeatMs = now;
    const head = this.safeHead();
    const cursor = this.forwarder?.cursor ?? { id: 0, hash: null };
    this.publish(
      `${this.prefix}/heartbeat`,
      JSON.stringify({
        at: new Date(now).toISOString(),
        uptimeS: Math.round((now - this.startedAtMs) / 1000),
        version: this.o.version,
        gatewayId: this.identity.gatewayId,
        lastAckedId: cursor.id,
        backlog: Math.max(0, (head?.id ?? 0) - cursor.id),
      }),
      false,
    );
  }

  private safeHead(): { id: number; hash: string } | null {
    try {
      return this.reader?.head() ?? null;
    } catch {
      return null;
    }
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    if (!this.c.commands.enabled) return;
    const name = topic.slice(`${this.prefix}/command/`.length);
    if (!topic.startsWith(`${this.prefix}/command/`) || name === 'result') return;
    let pending: Array<{ name: string; args: Record<string, unknown> }> | undefined;
    try {
      pending = this.reader?.pendingCommands();
    } catch (err) {
      this.noteError(err);
    }
    // Without the queue a manual-limit cannot be judged safely: refused, as without a view.
    let decision = decideCommand(name, payload, retained, pending === undefined ? undefined : this.view().view, pending);
    // MQTT delivers at least once: a publisher that resends (a QoS 1 retry after a reconnect)
    // hands the broker the same command again, and the broker forwards it as new. A requestId
    // makes a command idempotent: the second delivery is refused, not applied again.
    const requestId = decision.ok ? decision.args.requestId : undefined;
    if (decision.ok && typeof requestId === 'string') {
      let earlier: number | null | 'unknown' = this.acceptedRequests.get(requestId) ?? 'unknown';
      try {
        if (earlier === 'unknown') earlier = this.reader ? this.reader.commandOfRequest(requestId) : 'unknown';
      } catch (err) {
        this.noteError(err);
      }
      // Unable to look (the log busy at that moment, no reader yet): refused, so a duplicate
      // never slips through; the sender's retry is judged again.
      if (earlier === 'unknown')
        decision = { ok: false, name: decision.name, reason: 'the event log could not be searched for this requestId; send again', requestId };
      else if (earlier !== null)
        decision = { ok: false, name: decision.name, reason: `requestId ${requestId} was accepted already (command ${earlier}); not applied again`, requestId };
    }
    let result: Record<string, unknown>;
    try {
      if (decision.ok) {
        const id = this.o.eventLog.enqueueCommand({ name: decision.name, args: decision.args });
        result = { name: decision.name, accepted: true, command: id, ...(decision.args.requestId ? { requestId: decision.args.requestId } : {}) };
        if (typeof decision.args.requestId === 'string') {
          this.acceptedRequests.set(decision.args.requestId, id);
          if (this.acceptedRequests.size > 256) this.acceptedRequests.delete(this.acceptedRequests.keys().next().value as string);
        }
      } else {
        this.o.eventLog.append({
          kind: 'uplink.command-refused',
          data: { name: decision.name.slice(0, 64), reason: decision.reason, ...(decision.requestId ? { requestId: decision.requestId } : {}) },
        });
        result = { name: decision.name, accepted: false, reason: decision.reason, ...(decision.requestId ? { requestId: decision.requestId } : {}) };
      }
    } catch (err) {
      this.noteError(err);
      result = { name: decision.name, accepted: false, reason: 'the event log refused the command' };
    }
    this.publish(`${this.prefix}/command/result`, JSON.stringify(result), false);
  }

  snapshot(stopped: boolean): UplinkSnapshot {
    const head = this.safeHead();
    const cursor = this.forwarder?.cursor ?? { id: 0, hash: null };
    return {
      pid: process.pid,
      url: shownUrl(this.c.url),
      prefix: this.prefix,
      gatewayId: this.identity.gatewayId,
      connected: this.connected,
      cursor,
      headId: head?.id ?? 0,
      backlog: Math.max(0, (head?.id ?? 0) - cursor.id),
      lastAckAtMs: this.forwarder?.lastAckAtMs ?? null,
      lastConnectAtMs: this.lastConnectAtMs,
      lastDisconnectAtMs: this.lastDisconnectAtMs,
      lastError: this.lastError,
      updatedAtMs: this.now(),
      stoppedAtMs: stopped ? this.now() : null,
    };
  }

  /** Persists the cursor (and what `status` shows). The cursor is what makes a restart lossless. */
  private saveSnapshot(stopped: boolean): void {
    this.lastSaveMs = this.now();
    try {
      const snap = this.snapshot(stopped);
      this.o.eventLog.saveState(UPLINK_STATE_KEY, snap);
      this.savedCursorId = snap.cursor.id;
    } catch (err) {
      this.noteError(err);
    }
  }

  /** The last cursor id known to be on disk (tests). */
  get savedCursor(): number {
    return this.savedCursorId;
  }
}
