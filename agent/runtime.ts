// The imperative shell around the pure core: it owns the clock, the timers, the cron job and
// the queue of inputs; it feeds each input to step() and carries out the effects in order
// (charger limits first, then event-log rows), and persists what `status` reads.
//
// Time: the core is given the agent's own timeline, the wall clock at start plus monotonic
// time elapsed (time-base.ts), so every duration (stale, hold, leases, restore delays, boosts)
// runs by the monotonic clock whatever the wall clock does; a wall-clock step is recorded.
// Persistence: the core state is saved when a step changed something other than tallies, and
// before the charger writes of that step, so the saved state is never older than what a
// charger was told. A failed save raises an alarm and is retried until it succeeds.
//
// Every boundary is an interface (HanPort, ChargerPort, Clock, EventLog), so the shell is
// tested with fakes at the boundary and run in production with the real drivers.

import type { Logger } from 'pino';
import type { CoreConfig, Effect, Input } from './core/types.js';
import type { EventInput, EventLog } from './event-log/types.js';
import { eventRow, type EventData, type EventKind } from './events.js';
import { STATE_KEY_RUNTIME, type ChargerStatus, type RuntimeSnapshot, type SaveHealth } from './status-snapshot.js';
import type { ParseOutcome } from '../drivers/han/messages.js';
import { FULL_STATE, type ReadWhat } from '../drivers/han/read.js';
import { hanInput, readRequestLine } from './han-input.js';
import { initialState, resume, step, type CoreState } from './core/index.js';
import { monotonicOf, type Clock } from '../drivers/clock.js';
import { TimeBase, CLOCK_STEP_MS } from './time-base.js';

/** The HAN link as the shell uses it (drivers/han/link.ts satisfies it through an adapter). */
export interface HanPort {
  start(): void;
  close(): Promise<void>;
  send(line: string): void;
  onLine(handler: (line: { raw: string; outcome: ParseOutcome; atMs: number }) => void): void;
  onUp(handler: () => void): void;
  onDown(handler: (error?: Error) => void): void;
}

/** One charger as the shell uses it (drivers/charger/supervisor.ts satisfies it). */
export interface ChargerPort {
  readonly id: string;
  start(): void;
  /** Asks for a limit; the port writes on change, verifies and reports through its events. */
  setLimit(limitA: number, explanation: string): void;
  /** What `status` shows of the charger (plain JSON). */
  state(): ChargerStatus;
  close(): Promise<void>;
}

// The program's one Clock (drivers/clock.ts), offered here too for the shell's own users.
export { systemClock, type Clock } from '../drivers/clock.js';

export interface RuntimeOptions {
  coreConfig: CoreConfig;
  han: HanPort;
  chargers: ChargerPort[];
  eventLog: EventLog;
  /** Wall time, timers, and the monotonic time the timeline follows. */
  clock: Clock;
  logger: Logger;
  /** Seed for the core's restore-delay generator (random per process in production). */
  seed: number;
  /** Shadow mode: decide and record, write nothing to chargers. */
  dryRun: boolean;
  /** How often owner commands left by the CLI are taken, and the status snapshot written. */
  pollMs?: number;
  /** Called after each event-log row is written (the demo's timeline, tests). */
  onEvent?: (event: EventInput) => void;
  /**
   * Runs the event-log work of a step that moved a charger limit after the Modbus request
   * has gone out (default setImmediate: after the promise jobs that send it).
   */
  defer?: (fn: () => void) => void;
}

/** Keys under which the running agent leaves its state for `status` (agent/event-log state table). */
export const STATE_KEY_CORE = 'core';
export { STATE_KEY_RUNTIME, type SaveHealth } from './status-snapshot.js';

export class Runtime {
  private state: CoreState | undefined;
  private readonly time: TimeBase;
  /** The state has changed since it was last saved in a way a restart needs. */
  private dirty = false;
  /** Steps since the last save (tallies and liveness for `status`, saved once a poll). */
  private unsavedSteps = 0;
  private save: SaveHealth = { ok: true, failingSinceMs: null, attempts: 0, error: null };
  private wakeTimer: unknown = null;
  private pollTimer: unknown = null;
  private readonly chargers: Map<string, ChargerPort>;
  private readonly log: Logger;
  private readonly startedAtMs: number;
  private linkUp = false;
  private lastLineAtMs: number | null = null;
  private stopped = false;
  private pendingRows: EventInput[] = [];
  private flushQueued = false;

  constructor(private readonly o: RuntimeOptions) {
    this.chargers = new Map(o.chargers.map((c) => [c.id, c]));
    this.log = o.logger.child({ module: 'runtime' });
    this.startedAtMs = o.clock.now();
    this.time = new TimeBase(() => o.clock.now(), monotonicOf(o.clock));
  }

  /** Now on the agent's timeline (what the core is given). */
  now(): number {
    return this.time.now();
  }

  /** Re-applies the saved state (a restart never lifts a reduction), then opens the HAN link. */
  start(): void {
    const now = this.time.now();
    const saved = this.o.eventLog.loadState<unknown>(STATE_KEY_CORE);
    this.record({ kind: 'agent.start', data: { dryRun: this.o.dryRun, resumed: saved !== undefined, pid: process.pid } });
    const fresh = () => step(this.o.coreConfig, initialState(this.o.coreConfig, this.o.seed), { type: 'tick' }, now);
    let first: ReturnType<typeof step>;
    if (saved === undefined) first = fresh();
    else {
      try {
        first = resume(this.o.coreConfig, saved, now);
      } catch (err) {
        // A saved state this version cannot use must not stop the agent in a restart loop
        // (that would block charging for good, against Reg 7); the READ sent on connect
        // brings the switches' real state within seconds. The discarded state is kept in
        // the event log as evidence.
        this.log.error({ err }, 'saved core state unusable; starting fresh');
        this.record({ kind: 'agent.state-discarded', data: { error: err instanceof Error ? err.message : String(err), saved } });
        first = fresh();
      }
    }
    // The first state is saved before anything is written: a restart right after it resumes
    // from here (every switch unconfirmed) rather than from an older save.
    this.dirty = true;
    for (const c of this.chargers.values()) c.start();
    this.apply(first.state, first.effects);

    this.o.han.onLine((line) => this.onLine(line));
    this.o.han.onUp(() => {
      this.linkUp = true;
      this.feed({ type: 'link-up' });
    });
    this.o.han.onDown((err) => {
      this.linkUp = false;
      this.feed({ type: 'link-down', ...(err ? { error: err.message } : {}) });
    });
    this.o.han.start();

    const pollMs = this.o.pollMs ?? 1000;
    const poll = () => {
      if (this.stopped) return;
      this.checkClock();
      this.takeCommands();
      if (this.dirty || this.unsavedSteps > 0) this.saveCoreState();
      this.saveSnapshot();
      this.pollTimer = this.o.clock.setTimeout(poll, pollMs);
    };
    poll();
  }

  /** Asks the HAN side for the full state (on the configured schedule). */
  requestFullState(): void {
    for (const what of FULL_STATE) this.requestRead(what);
  }

  /** Every read request of the shell, the core's and the schedule's, leaves here. */
  private requestRead(what: ReadWhat): void {
    this.o.han.send(readRequestLine(what));
  }

  /** Feeds one input through the core and carries out its effects. */
  feed(input: Input): void {
    if (this.stopped || this.state === undefined) return;
    const result = step(this.o.coreConfig, this.state, input, this.time.now());
    this.apply(result.state, result.effects);
  }

  async stop(reason: string): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.wakeTimer !== null) this.o.clock.clearTimeout(this.wakeTimer);
    if (this.pollTimer !== null) this.o.clock.clearTimeout(this.pollTimer);
    await this.o.han.close();
    await Promise.all([...this.chargers.values()].map((c) => c.close()));
    this.saveCoreState();
    this.saveSnapshot(this.o.clock.now());
    this.record({ kind: 'agent.stop', data: { reason } });
  }

  private onLine(line: { raw: string; outcome: ParseOutcome; atMs: number }): void {
    const input = hanInput(line.raw, line.outcome);
    if (input === null) return;
    this.lastLineAtMs = line.atMs;
    this.feed(input);
  }

  private apply(next: CoreState, effects: Effect[]): void {
    this.state = next;
    this.unsavedSteps += 1;
    // Only a step with something to say changed what a restart needs (a heartbeat, a counted
    // bad line or an idle tick changes tallies and liveness only): O(1) per such line.
    let movesALimit = false;
    for (const e of effects) {
      if (e.type === 'apply-limit') movesALimit = true;
      if (e.type !== 'wake-at') this.dirty = true;
    }
    // The transition is saved before a charger is told: a crash between the two must never
    // leave on disk a state older than the charger's limit. One small upsert (~0.1 ms).
    if (movesALimit) this.saveCoreState();
    // Charger writes go out before anything else: the event-log rows must not sit between a
    // DNO's line and the Modbus request.
    for (const e of effects) {
      if (e.type !== 'apply-limit') continue;
      const charger = this.chargers.get(e.chargerId);
      if (charger === undefined) {
        this.log.error({ chargerId: e.chargerId }, 'core asked for a charger that is not configured');
        continue;
      }
      charger.setLimit(e.limitA, e.explanation);
    }
    for (const e of effects) {
      if (e.type === 'request-read') this.requestRead(e.what);
      else if (e.type === 'wake-at') this.schedule(e.atMs);
    }
    const rows: EventInput[] = [];
    for (const e of effects) {
      if (e.type !== 'event') continue;
      rows.push(eventRow(e.kind, e.data, { switchIdx: e.switchIdx ?? null, chargerId: e.chargerId ?? null }));
    }
    // The charger requests above leave through promise jobs, which run only after this
    // synchronous code: SQLite work done here would delay a DNO's reduction. So a step that
    // moved a limit has its rows written a moment later, in order with everything else.
    if (rows.length > 0) this.recordMany(rows, movesALimit);
  }

  /** Records a wall-clock step (either way); the timeline itself does not move. */
  private checkClock(): void {
    const step = this.time.checkStep();
    if (step === null) return;
    this.log.warn(step, 'wall clock stepped; durations keep running on the monotonic clock');
    this.record({ kind: 'clock.step', data: { ...step, thresholdMs: CLOCK_STEP_MS } });
  }

  private schedule(atMs: number): void {
    if (this.wakeTimer !== null) this.o.clock.clearTimeout(this.wakeTimer);
    const delayMs = Math.max(0, atMs - this.time.now());
    this.wakeTimer = this.o.clock.setTimeout(() => {
      this.wakeTimer = null;
      this.feed({ type: 'tick' });
    }, delayMs);
  }

  private takeCommands(): void {
    let commands: ReturnType<EventLog['takeCommands']>;
    try {
      commands = this.o.eventLog.takeCommands();
    } catch (err) {
      this.log.warn({ err }, 'could not read owner commands');
      return;
    }
    for (const c of commands) {
      this.record({ kind: 'owner.command', data: { id: c.id, name: c.name, args: c.args } });
      // When the owner asked, on the core's timeline: now, less the time the command waited in
      // the queue by the wall clock that stamped it (never less than nothing: after a clock
      // step backwards the command counts as just asked).
      const issuedMs = this.time.now() - Math.max(0, this.o.clock.now() - c.atMs);
      if (c.name === 'restore-now') this.feed({ type: 'owner-restore-now', issuedMs });
      else if (c.name === 'manual-limit' && typeof c.args.chargerId === 'string') {
        const limitA = typeof c.args.limitA === 'number' ? c.args.limitA : null;
        this.feed({ type: 'owner-manual-limit', chargerId: c.args.chargerId, limitA });
      } else this.log.warn({ command: c }, 'unknown owner command ignored');
    }
  }

  /** Saves the core state; on failure it stays due (retried at the next change and every
   *  poll) and an alarm is raised once per failing episode. */
  private saveCoreState(): void {
    if (this.state === undefined) return;
    try {
      this.o.eventLog.saveState(STATE_KEY_CORE, this.state);
    } catch (err) {
      this.dirty = true;
      const error = err instanceof Error ? err.message : String(err);
      const first = this.save.ok;
      this.save = { ok: false, failingSinceMs: this.save.failingSinceMs ?? this.o.clock.now(), attempts: this.save.attempts + 1, error };
      this.log.error({ err, attempts: this.save.attempts }, 'could not persist core state; retrying');
      if (first) this.record({ kind: 'agent.state-save-failed', data: { error } });
      return;
    }
    this.dirty = false;
    this.unsavedSteps = 0;
    if (!this.save.ok) {
      const was = this.save;
      this.save = { ok: true, failingSinceMs: null, attempts: 0, error: null };
      this.log.warn({ attempts: was.attempts }, 'core state saved again');
      this.record({ kind: 'agent.state-save-recovered', data: { failingSinceMs: was.failingSinceMs, attempts: was.attempts, lastError: was.error } });
    }
  }

  /** The health of the core-state save (for status and tests). */
  saveHealth(): SaveHealth {
    return { ...this.save };
  }

  /** stoppedAtMs: set by a clean stop, so `status` never shows a stopped agent as running. */
  private saveSnapshot(stoppedAtMs: number | null = null): void {
    const chargers: Record<string, ChargerStatus> = {};
    for (const c of this.chargers.values()) chargers[c.id] = c.state();
    const snapshot: RuntimeSnapshot = {
      pid: process.pid,
      dryRun: this.o.dryRun,
      startedAtMs: this.startedAtMs,
      updatedAtMs: this.o.clock.now(),
      stoppedAtMs,
      linkUp: this.linkUp,
      lastLineAtMs: this.lastLineAtMs,
      chargers,
      // wall - timeline: status reads the core's times against this.
      coreOffsetMs: this.o.clock.now() - this.time.now(),
      stateSave: this.save,
    };
    try {
      this.o.eventLog.saveState(STATE_KEY_RUNTIME, snapshot);
    } catch (err) {
      this.log.warn({ err }, 'could not write the status snapshot');
    }
  }

  private record(row: EventInput): void {
    this.recordMany([row], false);
  }

  /** Queues rows (stamped now) and writes the queue, at once or, when deferred, soon. */
  private recordMany(rows: EventInput[], deferred: boolean): void {
    const now = this.o.clock.now();
    for (const r of rows) this.pendingRows.push({ ...r, atMs: r.atMs ?? now });
    if (!deferred) return this.flush();
    if (this.flushQueued) return;
    this.flushQueued = true;
    (this.o.defer ?? setImmediate)(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    const rows = this.pendingRows;
    this.pendingRows = [];
    if (rows.length > 0) {
      try {
        this.o.eventLog.appendMany(rows);
      } catch (err) {
        // The log is evidence, but a full disk must not stop the agent from protecting the cable.
        this.log.error({ err, rows: rows.length }, 'could not append to the event log');
      }
      if (this.o.onEvent) for (const r of rows) this.o.onEvent(r);
    }
    if (this.dirty) this.saveCoreState();
  }

  /** For the charger ports' own events (writes, verification, alarms). */
  recordChargerEvent<K extends EventKind>(kind: K, chargerId: string, data: EventData[K]): void {
    this.record(eventRow(kind, data, { chargerId }));
  }
}
