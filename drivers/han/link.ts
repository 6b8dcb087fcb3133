// The agent's end of the HAN serial line: opens the port (a serial device, or a TCP serial
// bridge such as ser2net), frames and parses what arrives, sends the lines it is given, and
// reconnects with a capped exponential backoff until closed. It decides nothing about what to
// send: the READ that follows every connect is the core's (agent/core/link.ts, onLinkUp).

import { EventEmitter } from 'node:events';
import { realpathSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import type { SerialSettings } from '../serial-settings.js';
import { systemClock, type Clock } from '../clock.js';
import { backoffMs } from '../backoff.js';
import type { ParseOutcome } from './messages.js';
import { createLineReader, type LineReader } from './line-bound.js';
import { checksumOf, MAX_LINE_BYTES, parseLine } from './parse.js';

export interface HanLinkOptions {
  /** `/dev/ttyUSB0`, `/dev/serial/by-id/...`, a pty path, or `tcp://host:port`. */
  port: string;
  /** Used for a serial device; ignored for tcp:// (the bridge owns the line settings). */
  serial: SerialSettings;
  requireChecksum: boolean;
  sendChecksum: boolean;
  reconnect: { initialMs: number; maxMs: number };
  logger: Logger;
  /** Stamps received lines and runs the reconnect and device-check timers; tests pass a fake. */
  clock?: Clock;
}

/** One received line: its bytes as latin1 (no LF), what it parsed to, when it arrived. */
export interface HanLine {
  raw: string;
  outcome: ParseOutcome;
  atMs: number;
}

/** The link's own health. Lines are counted once, by what they mean, in the core's state
 *  (agent/core/state.ts counters, shown by `status`); the link hands each one on. */
export interface HanLinkStats {
  /** Connects after the first one. */
  reconnects: number;
  /** Attempts to open the port that failed. */
  connectFailures: number;
  /** Lines send() dropped because the link was down. */
  sendsDropped: number;
  bytesDropped: number;
  up: boolean;
}

/** Bytes queued for the port beyond which send() drops: some 16 lines. */
const MAX_PENDING_WRITE_BYTES = 4096;

/** Room for `*HH` and the LF within the line limit; printable ASCII only. */
function isSendable(line: string): boolean {
  if (line.length === 0 || line.length > MAX_LINE_BYTES - 4) return false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** How often a serial link checks that its device path still leads to the opened device. */
const DEVICE_CHECK_MS = 500;

/** The byte stream under the link: a SerialPort or a net.Socket. */
type Conn = SerialPort | Socket;

/**
 * Events (typed below):
 * - `up` (): the port is open and send() reaches it (the listener sends the READ).
 * - `down` (err?: Error): an open connection ended (closed by the peer, unplugged, an error),
 *   or close() was called while up. Emitted once per `up`. A failed attempt to open while
 *   already down emits nothing: it is logged, counted in stats().connectFailures, and retried.
 * - `line` (line: HanLine): every non-empty received line, valid or not. Empty lines are
 *   skipped.
 * No `error` event is ever emitted; listener exceptions are caught and logged, so a bad line
 * or a faulty listener never stops the link.
 */
export interface HanLinkEvents {
  up: [];
  down: [err?: Error];
  line: [line: HanLine];
}

export class HanLink extends EventEmitter<HanLinkEvents> {
  private readonly opts: HanLinkOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private conn: Conn | null = null;
  private reader: LineReader | null = null;
  private isUp = false;
  private started = false;
  private closed = false;
  private everUp = false;
  /** Failed opens and drops since the link was last up: the reconnect backoff's count. */
  private failuresInRow = 0;
  private timer: { handle: unknown } | null = null;
  private deviceTimer: unknown = null;
  private connGone: Promise<void> = Promise.resolve();
  private readonly counters = {
    reconnects: 0,
    connectFailures: 0,
    sendsDropped: 0,
  };
  private bytesDroppedBefore = 0;

  constructor(options: HanLinkOptions) {
    super();
    this.opts = options;
    this.log = options.logger.child({ module: 'han-link' });
    this.clock = options.clock ?? systemClock;
  }

  /** Opens the port and keeps it open (reconnecting) until close(). Calling it twice is a no-op. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.attempt();
  }

  get up(): boolean {
    return this.isUp;
  }

  /**
   * Sends one line (no terminator, no checksum: the link adds `*HH` when sendChecksum is set,
   * and the LF). While the link is down the line is DROPPED, not queued (a stale command is
   * worse than none; every connect is followed by a READ of the full state): it is logged and counted in
   * stats().sendsDropped. Also dropped (and logged): a line with a byte outside 0x20-0x7E or
   * longer than 252 bytes, and any line while more than 4 KiB wait for a port that does not
   * drain. Returns whether the line was handed to the port.
   */
  send(line: string): boolean {
    if (!isSendable(line)) {
      // A caller's bug (a LF or a byte the protocol cannot carry would corrupt the framing).
      this.counters.sendsDropped++;
      this.log.error({ line }, 'HAN line not sendable: bytes outside 0x20-0x7E or too long');
      return false;
    }
    if (!this.isUp || this.conn === null) {
      this.counters.sendsDropped++;
      this.log.warn({ line }, 'HAN link down: line not sent');
      return false;
    }
    if (this.conn.writableLength > MAX_PENDING_WRITE_BYTES) {
      // The port takes nothing (flow control held, a stalled bridge): do not queue without bound.
      this.counters.sendsDropped++;
      this.log.warn({ line, pendingBytes: this.conn.writableLength }, 'HAN port not draining: line not sent');
      return false;
    }
    const out = (this.opts.sendChecksum ? line + '*' + checksumOf(line) : line) + '\n';
    this.conn.write(Buffer.from(out, 'latin1'), (err) => {
      if (err) this.log.warn({ err, line }, 'HAN write failed');
    });
    this.log.debug({ line }, 'HAN sent');
    return true;
  }

  stats(): HanLinkStats {
    return {
      reconnects: this.counters.reconnects,
      connectFailures: this.counters.connectFailures,
      sendsDropped: this.counters.sendsDropped,
      bytesDropped: this.bytesDroppedBefore + (this.reader?.droppedBytes() ?? 0),
      up: this.isUp,
    };
  }

  /** The bytes the receive path holds now (bounded by MAX_LINE_BYTES). */
  bufferedBytes(): number {
    return this.reader?.bufferedBytes() ?? 0;
  }

  /** Stops for good: no timers, no port, no socket left behind. Resolves once the port is closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer.handle);
      this.timer = null;
    }
    const conn = this.conn;
    const gone = this.connGone;
    const wasUp = this.isUp;
    this.detach();
    if (conn !== null) {
      shut(conn);
      await gone;
    }
    if (wasUp) this.safeEmit('down');
    this.removeAllListeners();
  }

  // ---- connection lifecycle --------------------------------------------------------------------

  private attempt(): void {
    this.timer = null;
    if (this.closed) return;
    const target = this.opts.port;
    let conn: Conn;
    try {
      conn = openConn(target, this.opts.serial);
    } catch (err) {
      // A malformed port setting: config validation should have caught it; keep retrying
      // (logged at the capped backoff rate) rather than stop the agent.
      this.counters.connectFailures++;
      this.log.error({ err, port: target }, 'HAN port setting unusable');
      this.scheduleReconnect();
      return;
    }
    this.conn = conn;
    let opened = false;
    let finished = false;
    let lastErr: Error | undefined;
    let resolveGone: () => void = () => undefined;
    this.connGone = new Promise<void>((resolve) => (resolveGone = resolve));

    // Runs once, when this connection is fully closed (or never opened).
    const onGone = (): void => {
      if (finished) return;
      finished = true;
      resolveGone();
      if (this.conn !== conn) return; // detached by close()
      this.detach();
      if (this.closed) return;
      if (opened) {
        this.log.warn({ err: lastErr, port: target }, 'HAN link down');
        this.safeEmit('down', lastErr);
      } else {
        this.counters.connectFailures++;
        this.log.warn({ err: lastErr, port: target, retryMs: this.nextDelayMs() }, 'HAN port open failed');
      }
      this.scheduleReconnect();
    };
    const onOpen = (): void => {
      if (this.closed || this.conn !== conn) {
        shut(conn);
        return;
      }
      opened = true;
      this.failuresInRow = 0;
      if (this.everUp) this.counters.reconnects++;
      this.everUp = true;
      this.isUp = true;
      const reader = createLineReader((raw) => this.onRaw(raw));
      this.reader = reader;
      conn.on('data', (chunk: Buffer) => reader.input.write(chunk));
      if (conn instanceof SerialPort)
        this.watchDevice(conn, target, () => {
          lastErr = new Error(`serial device ${target} went away`);
          shut(conn);
          onGone();
        });
      this.log.info({ port: target }, 'HAN link up');
      this.safeEmit('up');
    };

    conn.on('error', (err: Error) => {
      lastErr = err;
    });
    conn.on('close', onGone);
    if (conn instanceof SerialPort) {
      // A pty whose other end went away reads EOF: the port stays open unless closed here.
      conn.on('end', () => shut(conn));
      conn.open((err) => {
        if (err) {
          lastErr = err;
          onGone(); // SerialPort emits no 'close' for a port that never opened
        } else {
          onOpen();
        }
      });
    } else {
      conn.once('connect', onOpen);
    }
  }

  /**
   * Watches that the device path still leads to the device that was opened. A USB adapter
   * pulled out, or a pty whose other end went away, does not always end the read on the old
   * file descriptor (seen with socat ptys under load: no 'end', no 'close'), and a link that
   * believes it is up would never reconnect. The path is the ground truth: udev removes
   * /dev/ttyUSB0 and the by-id link on unplug, socat removes its links on exit.
   */
  private watchDevice(conn: SerialPort, target: string, gone: () => void): void {
    let device: string;
    try {
      device = realpathSync(target);
    } catch {
      return;
    }
    const check = (): void => {
      if (this.conn !== conn || this.closed) return;
      let now: string | null;
      try {
        now = realpathSync(target);
      } catch {
        now = null;
      }
      if (now !== device) {
        this.log.warn({ port: target, was: device, now }, 'HAN serial device gone');
        gone();
        return;
      }
      this.deviceTimer = this.clock.setTimeout(check, DEVICE_CHECK_MS);
    };
    this.deviceTimer = this.clock.setTimeout(check, DEVICE_CHECK_MS);
  }

  /** The wait before the next attempt (at least 1 ms: a zero wait would spin). */
  private nextDelayMs(): number {
    return Math.max(1, backoffMs(this.opts.reconnect, this.failuresInRow + 1));
  }

  private scheduleReconnect(): void {
    if (this.closed || this.timer !== null) return;
    const delayMs = this.nextDelayMs();
    this.failuresInRow++;
    this.timer = { handle: this.clock.setTimeout(() => this.attempt(), delayMs) };
  }

  /** Forgets the current connection (its late events are then ignored) and its reader. */
  private detach(): void {
    const conn = this.conn;
    this.conn = null;
    if (this.deviceTimer !== null) {
      this.clock.clearTimeout(this.deviceTimer);
      this.deviceTimer = null;
    }
    this.isUp = false;
    if (this.reader !== null) {
      this.bytesDroppedBefore += this.reader.droppedBytes();
      this.reader.destroy();
      this.reader = null;
    }
    conn?.removeAllListeners('data');
  }

  private onRaw(raw: string): void {
    let outcome: ParseOutcome;
    try {
      outcome = parseLine(raw, { requireChecksum: this.opts.requireChecksum });
    } catch (err) {
      // parseLine never throws by design; this guard keeps a bug there from stopping the link.
      this.log.error({ err, raw }, 'HAN parser failed');
      return;
    }
    if (outcome.kind === 'empty') return;
    if (outcome.kind === 'rejected') this.log.debug({ reason: outcome.reason, raw: raw.length > 80 ? raw.slice(0, 80) + '...' : raw }, 'HAN line rejected');
    this.safeEmit('line', { raw, outcome, atMs: this.clock.now() });
  }

  private safeEmit<K extends keyof HanLinkEvents>(event: K, ...args: HanLinkEvents[K]): void {
    try {
      (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ err, event }, 'HAN link listener threw');
    }
  }
}

function openConn(target: string, serial: SerialSettings): Conn {
  if (target.startsWith('tcp://')) {
    const { host, port } = parseTcpTarget(target);
    const socket = netConnect({ host, port });
    socket.setNoDelay(true);
    return socket;
  }
  return new SerialPort({
    path: target,
    baudRate: serial.baudRate,
    dataBits: serial.dataBits,
    parity: serial.parity,
    stopBits: serial.stopBits,
    // flock(LOCK_EX|LOCK_NB) on the device: a second agent or any serialport-based tool cannot
    // open it while the agent holds it (the library's default on Linux, stated so it stays).
    // Plain open(2) ignores flock: the shipped udev rule (systemd/) keeps other users out.
    lock: true,
    autoOpen: false,
  });
}

/** `tcp://host:port` (IPv6 hosts in brackets) -> host and port; throws a clear error otherwise. */
export function parseTcpTarget(target: string): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new Error(`HAN port ${JSON.stringify(target)}: not a tcp://host:port address`);
  }
  const port = Number(url.port);
  if (url.protocol !== 'tcp:' || url.hostname === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`HAN port ${JSON.stringify(target)}: expected tcp://host:port`);
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port };
}

/** Starts closing a connection; its 'close' event follows (a serial port still opening is shut by its open callback). */
function shut(conn: Conn): void {
  if (conn instanceof SerialPort) {
    // destroy() would not close the file descriptor of a SerialPort: close() does.
    if (conn.isOpen) conn.close();
    return;
  }
  if (!conn.destroyed) conn.destroy();
}
