// Drives test/fixtures/pymodbus_peer.py: Debian's python3-pymodbus as a Modbus server we did
// not write, standing in for one charger (TCP) or several on one RTU line (a socat pty pair).
// The peer reports every request and write as a JSON line; this module keeps them in order.
import { spawn, type ChildProcess } from 'node:child_process';
import { source } from './paths.js';
import { createInterface } from 'node:readline';
import { DEBIAN_PYTHON, openPtyPair, type PtyPair } from './peers.js';

export const PEER_SCRIPT = source('test/fixtures/pymodbus_peer.py');

export type PeerTable = 'holding' | 'input' | 'coils' | 'discrete';

/** Address -> value; a list fills consecutive addresses. Every other address reads 0. */
export type RegisterValues = Record<number | string, number | number[]>;

export interface PeerUnitSpec {
  holding?: RegisterValues;
  input?: RegisterValues;
  coils?: RegisterValues;
  discrete?: RegisterValues;
  /** Registers the charger derives from a written span (an applied limit from the setpoint). */
  mirrors?: Array<{ from: { table?: PeerTable; address: number }; to: { table?: PeerTable; address: number }; count?: number }>;
}

export interface WatchdogSpec {
  unit: number;
  /** Addresses whose write counts as keep-alive. */
  watch: number[];
  timeoutS: number;
  /** The holding registers the fallback lands in. */
  setpoint: { address: number; count: number };
  fallback: number[];
  /** Any request to the unit (even a read) counts as keep-alive, as on ABB or Heidelberg. */
  anyRequest?: boolean;
}

export interface PeerSpec {
  units: Record<number | string, PeerUnitSpec>;
  watchdog?: WatchdogSpec | WatchdogSpec[];
}

export interface RtuPeerSpec extends PeerSpec {
  /** Only informative on a pty; the peer's parity is always N (pymodbus 3.0 cannot set E on a pty). */
  baudRate?: number;
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
}

export interface PeerWrite {
  unit: number;
  fc: number;
  table: 'holding' | 'coils';
  address: number;
  values: number[];
  /** Epoch ms (peer clock, sub-ms). */
  t: number;
}

export interface PeerRequest {
  unit: number;
  fc: number;
  address: number | null;
  count: number | null;
  t: number;
  /** 'noreply' | 'exception' | 'delay' | 'down' | 'unknown-unit' when not served normally. */
  fault?: string;
}

export interface PeerEvent {
  event: string;
  [key: string]: unknown;
}

export type FaultSpec =
  | { mode: 'noreply'; count?: number; fcs?: number[] }
  | { mode: 'exception'; code: number; count?: number; fcs?: number[] }
  | { mode: 'delay'; delayMs: number; count?: number; fcs?: number[] }
  | { mode: 'none' };

export interface Peer {
  /** The TCP port (0 for an RTU peer). */
  readonly port: number;
  /** RTU only: the agent's end of the pty pair. */
  readonly path?: string;
  readonly pid: number;
  /**
   * Resolves once every event the peer emitted before now has arrived here. The peer logs a
   * request before it answers, but its stdout may reach us after the client's reply: call
   * this before inspecting writes()/requests() after an exchange.
   */
  sync(): Promise<void>;
  /** Every write so far, in order. */
  writes(): PeerWrite[];
  /** Every request so far, in order (writes included). */
  requests(): PeerRequest[];
  /** Every event so far (ready, write, request, failsafe, reboot, ...). */
  events(): PeerEvent[];
  /** Resolves with the first write from index `fromIndex` of writes() on that matches. */
  waitForWrite(predicate: (w: PeerWrite) => boolean, timeoutMs: number, fromIndex?: number): Promise<PeerWrite>;
  waitForEvent(predicate: (e: PeerEvent) => boolean, timeoutMs: number, fromIndex?: number): Promise<PeerEvent>;
  setRegisters(unit: number, table: PeerTable, address: number, values: number[], opts?: { persist?: boolean }): Promise<void>;
  readRegisters(unit: number, table: PeerTable, address: number, count: number): Promise<number[]>;
  /** Applies to the unit's next `count` matching requests, or until fault(unit, {mode:'none'}). */
  fault(unit: number, fault: FaultSpec): Promise<void>;
  /** Registers back to their initial values, TCP connections dropped; for downMs the port refuses (TCP) or the line is silent (RTU). */
  reboot(opts?: { downMs?: number }): Promise<void>;
  watchdog(spec: WatchdogSpec): Promise<void>;
  /** Stops the peer (and the pty pair of an RTU peer); no process is left behind. */
  stop(): Promise<void>;
}

class PeerProcess implements Peer {
  port = 0;
  path?: string;
  private readonly log: PeerEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private nextId = 1;
  private stderr = '';
  private exited = false;

  constructor(
    private readonly proc: ChildProcess,
    private readonly onStop: () => Promise<void>,
  ) {
    const lines = createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      let ev: PeerEvent;
      try {
        ev = JSON.parse(line) as PeerEvent;
      } catch {
        ev = { event: 'garbage', line };
      }
      this.log.push(ev);
      for (const w of [...this.waiters]) w();
    });
    proc.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    proc.once('exit', () => {
      this.exited = true;
      for (const w of [...this.waiters]) w();
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  events(): PeerEvent[] {
    return [...this.log];
  }

  writes(): PeerWrite[] {
    return this.log.filter((e) => e.event === 'write') as unknown as PeerWrite[];
  }

  requests(): PeerRequest[] {
    return this.log.filter((e) => e.event === 'request') as unknown as PeerRequest[];
  }

  waitForEvent(predicate: (e: PeerEvent) => boolean, timeoutMs: number, fromIndex = 0): Promise<PeerEvent> {
    return this.waitIn(() => this.log.slice(fromIndex), predicate, timeoutMs, 'event');
  }

  waitForWrite(predicate: (w: PeerWrite) => boolean, timeoutMs: number, fromIndex = 0): Promise<PeerWrite> {
    return this.waitIn(() => this.writes().slice(fromIndex), predicate, timeoutMs, 'write');
  }

  private waitIn<T>(list: () => T[], predicate: (x: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const hit = list().find(predicate);
        if (hit !== undefined) {
          done();
          resolve(hit);
        } else if (this.exited) {
          done();
          reject(new Error(`pymodbus peer exited while waiting for a ${what}; stderr: ${this.stderr.trim()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching ${what} from the pymodbus peer within ${timeoutMs} ms (${list().length} seen)`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends a command and resolves with the peer's answer to it. */
  async command(cmd: Record<string, unknown>): Promise<PeerEvent> {
    if (this.exited) throw new Error('pymodbus peer is not running');
    const id = this.nextId++;
    const from = this.log.length;
    this.proc.stdin!.write(JSON.stringify({ ...cmd, id }) + '\n');
    const answer = await this.waitForEvent((e) => e.id === id, 5000, from);
    if (answer.event === 'error') throw new Error(`pymodbus peer: ${String(answer.message)}`);
    return answer;
  }

  async sync(): Promise<void> {
    await this.command({ cmd: 'ping' });
  }

  async setRegisters(unit: number, table: PeerTable, address: number, values: number[], opts: { persist?: boolean } = {}): Promise<void> {
    await this.command({ cmd: 'set', unit, table, address, values, persist: opts.persist ?? false });
  }

  async readRegisters(unit: number, table: PeerTable, address: number, count: number): Promise<number[]> {
    const answer = await this.command({ cmd: 'read', unit, table, address, count });
    return answer.values as number[];
  }

  async fault(unit: number, fault: FaultSpec): Promise<void> {
    await this.command({ cmd: 'fault', unit, ...fault });
  }

  async reboot(opts: { downMs?: number } = {}): Promise<void> {
    await this.command({ cmd: 'reboot', downMs: opts.downMs ?? 0 });
  }

  async watchdog(spec: WatchdogSpec): Promise<void> {
    await this.command({ cmd: 'watchdog', ...spec });
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
      // Closing stdin stops the peer; SIGKILL if it does not go within 2 s.
      this.proc.stdin!.end();
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    await this.onStop();
  }

  /** Waits for the ready line; throws with the peer's own words if it fails to start. */
  async ready(): Promise<PeerEvent> {
    const ev = await this.waitForEvent((e) => e.event === 'ready' || (e.event === 'error' && e.fatal === true), 10_000).catch((err: unknown) => {
      throw new Error(`pymodbus peer did not start: ${(err as Error).message}`);
    });
    if (ev.event === 'error') throw new Error(`pymodbus peer did not start: ${String(ev.message)}`);
    return ev;
  }
}

async function launch(spec: Record<string, unknown>, onStop: () => Promise<void>): Promise<PeerProcess> {
  // Debian's python must see its own dist-packages, not a pyenv's PYTHONPATH/PYTHONHOME.
  const { PYTHONPATH: _path, PYTHONHOME: _home, ...env } = process.env;
  const proc = spawn(DEBIAN_PYTHON, [PEER_SCRIPT, '--spec', JSON.stringify(spec)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });
  const peer = new PeerProcess(proc, onStop);
  try {
    const ready = await peer.ready();
    peer.port = Number(ready.port ?? 0);
  } catch (err) {
    await peer.stop();
    throw err;
  }
  return peer;
}

/** A pymodbus Modbus TCP server on 127.0.0.1 at a free port. */
export async function startPymodbusPeer(spec: PeerSpec): Promise<Peer> {
  return launch({ ...spec, transport: 'tcp', host: '127.0.0.1', port: 0 }, async () => {});
}

/**
 * A pymodbus Modbus RTU server on end b of a fresh socat pty pair, with parity N on its end;
 * the agent opens `path` (end a) at the profile's own settings. stop() closes the pair too.
 */
export async function startPymodbusRtuPeer(spec: RtuPeerSpec): Promise<Peer & { readonly path: string; readonly pty: PtyPair }> {
  const pty = await openPtyPair();
  const { baudRate, dataBits, stopBits, ...rest } = spec;
  let peer: PeerProcess;
  try {
    peer = await launch(
      {
        ...rest,
        transport: 'rtu',
        serial: { path: pty.b, baudRate: baudRate ?? 9600, parity: 'N', dataBits: dataBits ?? 8, stopBits: stopBits ?? 1 },
      },
      () => pty.close(),
    );
  } catch (err) {
    await pty.close();
    throw err;
  }
  peer.path = pty.a;
  return Object.assign(peer, { path: pty.a, pty });
}
