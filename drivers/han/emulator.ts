// The meter side of the HAN line, emulated: what a HAN radio module's firmware would say about
// the meter's auxiliary load switches. For the demo (`npm start`), the tests and HIL rigs. It
// speaks protocol v1 over a loopback TCP bridge or one end of a serial line (a socat pty pair,
// a USB adapter), and lets a test inject faults (bad checksums, garbage, sequence gaps).

import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import { SerialPort } from 'serialport';
import type { SerialSettings } from '../serial-settings.js';
import type { ParseOutcome, SwitchCause, SwitchState, SwitchType } from './messages.js';
import { createLineReader, type LineReader } from './line-bound.js';
import { formatLine, parseLine } from './parse.js';
import { READ } from './read.js';

export interface EmulatedSwitch {
  idx: number;
  state: SwitchState;
  cause: SwitchCause;
  /** 0: until further notice. */
  durMin: number;
  type: SwitchType;
  dev?: string;
  label: string;
}

export interface MeterEmulatorOptions {
  /** Heartbeat period; 0 turns it off. Default 10 000 (the protocol's default). */
  heartbeatMs?: number;
  /** Append `*HH` to every line sent (sendRaw excepted). Default false. */
  checksum?: boolean;
  /** First sequence number. Default 0. */
  seqStart?: number;
  logger?: Logger;
  /** For the HB time field. Default Date.now. */
  clock?: () => number;
}

/** A line the emulator received from the agent. */
export interface ReceivedLine {
  raw: string;
  outcome: ParseOutcome;
}

/**
 * Events:
 * - `received` (line: ReceivedLine): a non-empty line arrived from the agent (after it was answered).
 * - `sent` (line: string): a line went out to the peers (not sent while silent or without a peer).
 * - `connection` (): a peer connected over TCP, or the serial port opened.
 * - `disconnect` (): a peer or the serial port went away.
 */
export interface MeterEmulatorEvents {
  received: [line: ReceivedLine];
  /** A line the emulator sent (without its LF), for consoles that show both directions. */
  sent: [line: string];
  connection: [];
  disconnect: [];
}

interface Peer {
  write(data: Buffer): void;
  close(): void;
  reader: LineReader;
}

const SEQ_MOD = 65536;

export class MeterEmulator extends EventEmitter<MeterEmulatorEvents> {
  /** Every line received from the agent, oldest first. */
  readonly received: ReceivedLine[] = [];
  private readonly switchMap = new Map<number, EmulatedSwitch>();
  private boostLoads: number[] = [];
  private boostPeriodMin = 60;
  private seq: number;
  private readonly checksum: boolean;
  private readonly heartbeatMs: number;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly peers = new Set<Peer>();
  private server: Server | null = null;
  private serial: SerialPort | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  /** Switches whose label the meter does not hold: a READ answer leaves their LABEL out. */
  private readonly unlabelled = new Set<number>();
  private silentUntilMs = 0;
  private refuseUntilMs = 0;
  private serialSpec: { path: string; serial: SerialSettings } | null = null;
  private replug: NodeJS.Timeout | null = null;

  constructor(options: MeterEmulatorOptions = {}) {
    super();
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
    this.checksum = options.checksum ?? false;
    this.seq = (((options.seqStart ?? 0) % SEQ_MOD) + SEQ_MOD) % SEQ_MOD;
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ module: 'meter-emulator' });
    this.clock = options.clock ?? Date.now;
  }

  // ---- meter state -----------------------------------------------------------------------------

  /** The configured switches (those set at least once), by number. */
  switches(): EmulatedSwitch[] {
    return [...this.switchMap.values()].sort((a, b) => a.idx - b.idx).map((s) => ({ ...s }));
  }

  boostConfig(): { loads: number[]; periodMin: number } {
    return { loads: [...this.boostLoads], periodMin: this.boostPeriodMin };
  }

  /** The sequence number the next line will carry. */
  get nextSeq(): number {
    return this.seq;
  }

  /**
   * Moves (or configures) switch `idx` and announces it with a SWITCH line. `durMin` 0 or
   * absent: until further notice. `type` and `dev` stick once given.
   */
  setSwitch(idx: number, state: SwitchState, opts: { cause?: SwitchCause; durMin?: number; type?: SwitchType; dev?: string } = {}): void {
    checkIdx(idx);
    const prev = this.switchMap.get(idx);
    const sw: EmulatedSwitch = {
      idx,
      state,
      cause: opts.cause ?? 'unknown',
      durMin: opts.durMin ?? 0,
      type: opts.type ?? prev?.type ?? 'HCALCS',
      label: prev?.label ?? '',
    };
    const dev = opts.dev ?? prev?.dev;
    if (dev !== undefined) sw.dev = dev.toUpperCase();
    this.switchMap.set(idx, sw);
    this.sendSwitch(sw);
  }

  /** Sets a switch's label (SECMP0019) and announces it with a LABEL line. */
  setLabel(idx: number, text: string): void {
    checkIdx(idx);
    let sw = this.switchMap.get(idx);
    if (sw === undefined) {
      sw = { idx, state: 'closed', cause: 'unknown', durMin: 0, type: 'HCALCS', label: text };
      this.switchMap.set(idx, sw);
    }
    sw.label = text;
    this.unlabelled.delete(idx);
    this.send('LABEL', { idx, text });
  }

  /**
   * The meter holds no label for switch `idx` (one never set): READ answers carry no LABEL line
   * for it, which a SECMP0046 agent must flag as missing. Nothing is sent now.
   */
  removeLabel(idx: number): void {
    checkIdx(idx);
    const sw = this.switchMap.get(idx);
    if (sw !== undefined) sw.label = '';
    this.unlabelled.add(idx);
  }

  /**
   * The radio side goes quiet for `ms`: no line at all leaves the emulator (heartbeats, answers
   * to READ and PING, announcements), while the serial or TCP link itself stays up. Switch
   * changes made meanwhile update the meter's state and show in the next READ answer.
   * 0 ends a silence now.
   */
  silence(ms: number): void {
    this.silentUntilMs = ms <= 0 ? 0 : this.clock() + ms;
  }

  /** True while a silence() runs. */
  get silent(): boolean {
    return this.clock() < this.silentUntilMs;
  }

  /**
   * The cable comes out for `ms`: every peer is dropped and, over TCP, new connections are
   * refused until it is back; a serial port is closed and opened again afterwards.
   */
  unplug(ms: number): void {
    this.refuseUntilMs = this.clock() + ms;
    const spec = this.serial !== null ? this.serialSpec : null;
    if (spec !== null && this.serial !== null) {
      const port = this.serial;
      this.serial = null;
      if (port.isOpen) port.close();
      if (this.replug !== null) clearTimeout(this.replug);
      this.replug = setTimeout(() => {
        this.replug = null;
        this.openSerial(spec.path, spec.serial).catch((err: unknown) => this.log.warn({ err }, 'emulator could not reopen the serial port'));
      }, ms);
    }
    this.dropConnections();
  }

  /** Assigns switches to the Boost Button and sets its period (SRV 7.9/7.10); sends BOOSTCFG. */
  setBoostConfig(loads: number[], periodMin: number): void {
    for (const l of loads) checkIdx(l);
    this.boostLoads = [...new Set(loads)];
    this.boostPeriodMin = periodMin;
    this.sendBoostConfig();
  }

  /**
   * The consumer presses the Boost Button: sends BOOST action=press. With `moveSwitches`, the
   * meter also closes each assigned load for the boost period, as a meter acting on the press
   * itself would (SWITCH state=closed cause=boost dur=period).
   */
  pressBoost(opts: { moveSwitches?: boolean } = {}): void {
    this.send('BOOST', { action: 'press' });
    if (opts.moveSwitches) {
      for (const idx of this.boostLoads) this.setSwitch(idx, 'closed', { cause: 'boost', durMin: this.boostPeriodMin });
    }
  }

  cancelBoost(): void {
    this.send('BOOST', { action: 'cancel' });
  }

  /** Sends `line` exactly as given, plus LF: no seq, no checksum. Latin1, one byte a char. */
  sendRaw(line: string): void {
    this.writeAll(Buffer.from(line + '\n', 'latin1'));
    if (this.peers.size > 0) this.safeEmit('sent', line);
  }

  /** Sends raw bytes as they are (no LF added): for split writes and floods. */
  sendBytes(bytes: Buffer): void {
    this.writeAll(bytes);
  }

  /** Skips `n` sequence numbers, as if that many lines had been lost on the way. */
  skipSeq(n: number): void {
    this.seq = (((this.seq + n) % SEQ_MOD) + SEQ_MOD) % SEQ_MOD;
  }

  /** Sends a heartbeat now (as the timer and a PING do). */
  sendHeartbeat(): void {
    this.send('HB', { time: new Date(this.clock()).toISOString().replace(/\.\d{3}Z$/, 'Z') });
  }

  // ---- transports ------------------------------------------------------------------------------

  /** Listens as a TCP serial bridge would (ser2net); port 0 picks a free one. Resolves to the port. */
  listenTcp(host = '127.0.0.1', port = 0): Promise<number> {
    if (this.server !== null) return Promise.reject(new Error('MeterEmulator: already listening'));
    const server = createServer((socket) => this.attachSocket(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.error({ err }, 'emulator server error'));
        const addr = server.address();
        if (addr === null || typeof addr === 'string') return reject(new Error('MeterEmulator: no TCP address'));
        this.startHeartbeat();
        resolve(addr.port);
      });
    });
  }

  /** Opens the meter's end of a serial line (e.g. the peer end of a socat pty pair). */
  openSerial(path: string, serial: SerialSettings): Promise<void> {
    if (this.serial !== null) return Promise.reject(new Error('MeterEmulator: serial already open'));
    const port = new SerialPort({ path, ...serial, autoOpen: false });
    this.serial = port;
    this.serialSpec = { path, serial };
    return new Promise((resolve, reject) => {
      port.open((err) => {
        if (err) {
          this.serial = null;
          return reject(err);
        }
        const reader = createLineReader((raw) => this.onLine(raw));
        const peer: Peer = {
          write: (data) => port.write(data),
          close: () => {
            if (port.isOpen) port.close();
          },
          reader,
        };
        this.peers.add(peer);
        port.on('data', (chunk: Buffer) => reader.input.write(chunk));
        port.on('error', (e) => this.log.warn({ err: e }, 'emulator serial error'));
        port.on('close', () => this.dropPeer(peer));
        this.startHeartbeat();
        this.safeEmit('connection');
        resolve();
      });
    });
  }

  /** Closes every connected peer (a bridge restart, an unplugged cable); keeps listening. */
  dropConnections(): void {
    for (const peer of [...this.peers]) peer.close();
  }

  /** Number of peers connected now. */
  get connections(): number {
    return this.peers.size;
  }

  /** Stops the heartbeat, closes every peer, the serial port and the server. */
  async close(): Promise<void> {
    if (this.replug !== null) {
      clearTimeout(this.replug);
      this.replug = null;
    }
    if (this.heartbeat !== null) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
    const waits: Promise<void>[] = [];
    const serial = this.serial;
    this.serial = null;
    if (serial !== null && serial.isOpen) waits.push(new Promise((r) => serial.close(() => r())));
    const server = this.server;
    this.server = null;
    if (server !== null) waits.push(new Promise((r) => server.close(() => r())));
    for (const peer of [...this.peers]) peer.close();
    await Promise.all(waits);
  }

  // ---- internals -------------------------------------------------------------------------------

  private attachSocket(socket: Socket): void {
    if (this.clock() < this.refuseUntilMs) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const reader = createLineReader((raw) => this.onLine(raw));
    const peer: Peer = { write: (data) => socket.write(data), close: () => socket.destroy(), reader };
    this.peers.add(peer);
    socket.on('data', (chunk: Buffer) => reader.input.write(chunk));
    socket.on('error', (err) => this.log.debug({ err }, 'emulator peer error'));
    socket.on('close', () => this.dropPeer(peer));
    this.safeEmit('connection');
  }

  private dropPeer(peer: Peer): void {
    if (!this.peers.delete(peer)) return;
    peer.reader.destroy();
    this.safeEmit('disconnect');
  }

  private startHeartbeat(): void {
    if (this.heartbeatMs > 0 && this.heartbeat === null) {
      this.heartbeat = setInterval(() => {
        if (this.peers.size > 0) this.sendHeartbeat();
      }, this.heartbeatMs);
    }
  }

  private onLine(raw: string): void {
    const outcome = parseLine(raw);
    if (outcome.kind === 'empty') return;
    const line: ReceivedLine = { raw, outcome };
    this.received.push(line);
    if (this.silent) {
      // The meter never hears a request made while the radio side is quiet.
    } else if (outcome.kind === 'ignored') {
      // The agent's verbs are not meter-side messages, so parseLine hands them over as ignored.
      const what = outcome.fields.what;
      if (outcome.verb === READ && what === 'switches') this.answerSwitches();
      else if (outcome.verb === READ && what === 'boost') this.answerBoost();
      else if (outcome.verb === 'PING') this.sendHeartbeat();
      else this.send('ERR', { code: 'unsupported', text: `${outcome.verb} ${what ?? ''}`.trim().slice(0, 64) });
    } else if (outcome.kind === 'rejected') {
      this.send('ERR', { code: 'bad_line', text: outcome.reason });
    } else {
      this.send('ERR', { code: 'unsupported', text: outcome.message.verb });
    }
    this.safeEmit('received', line);
  }

  private answerSwitches(): void {
    for (const sw of this.switches()) {
      this.sendSwitch(sw);
      if (!this.unlabelled.has(sw.idx)) this.send('LABEL', { idx: sw.idx, text: sw.label });
    }
    this.send('END', { what: 'switches' });
  }

  private answerBoost(): void {
    this.sendBoostConfig();
    this.send('END', { what: 'boost' });
  }

  private sendSwitch(sw: EmulatedSwitch): void {
    const fields: Record<string, string | number> = { idx: sw.idx, type: sw.type };
    if (sw.dev !== undefined) fields.dev = sw.dev;
    fields.state = sw.state;
    fields.cause = sw.cause;
    if (sw.durMin > 0) fields.dur = sw.durMin;
    this.send('SWITCH', fields);
  }

  private sendBoostConfig(): void {
    this.send('BOOSTCFG', { loads: this.boostLoads.length === 0 ? '-' : this.boostLoads.join(','), period: this.boostPeriodMin });
  }

  /** Formats, numbers and sends one line to every peer. Without a peer nothing is sent and seq stays. */
  private send(verb: string, fields: Record<string, string | number>): void {
    if (this.peers.size === 0 || this.silent) {
      this.log.debug({ verb }, 'no peer or silent: line not sent');
      return;
    }
    const line = formatLine(verb, { ...fields, seq: this.seq }, { checksum: this.checksum });
    this.seq = (this.seq + 1) % SEQ_MOD;
    this.writeAll(Buffer.from(line + '\n', 'latin1'));
    this.safeEmit('sent', line);
  }

  private writeAll(data: Buffer): void {
    for (const peer of this.peers) peer.write(data);
  }

  private safeEmit<K extends keyof MeterEmulatorEvents>(event: K, ...args: MeterEmulatorEvents[K]): void {
    try {
      (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ err, event }, 'emulator listener threw');
    }
  }
}

function checkIdx(idx: number): void {
  if (!Number.isInteger(idx) || idx < 1 || idx > 5) throw new RangeError(`switch number ${idx} is not 1-5`);
}
