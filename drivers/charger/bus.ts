// One owner per Modbus line: a serial RS-485 path or a TCP endpoint. Chargers that share a
// line share one client, because modbus-serial does not queue and two requests in flight on
// one client collide (and on RS-485 two frames at once are noise). The bus sends strictly
// one request at a time, writes before polls, keeps each device's inter-frame delay, and
// backs a silent device off so it stops costing the others a timeout per request.

import type { Logger } from 'pino';
import ModbusRTU from 'modbus-serial';
import type { Endpoint } from './options.js';
import { systemClock, sleep, type Clock } from '../clock.js';
import { backoffMs, type BackoffOptions } from '../backoff.js';
import type { RegisterTable } from './register-map.js';

export type { Endpoint } from './options.js';

/** The part of a modbus-serial client the bus uses (fakes implement it in unit tests). */
export interface ModbusClientLike {
  readonly isOpen: boolean;
  setID(id: number): void;
  setTimeout(ms: number): void;
  readHoldingRegisters(address: number, length: number): Promise<{ data: number[] }>;
  readInputRegisters(address: number, length: number): Promise<{ data: number[] }>;
  writeRegister(address: number, value: number): Promise<unknown>;
  writeRegisters(address: number, values: number[]): Promise<unknown>;
  close(callback: () => void): void;
}

/** Opens a connected client for an endpoint. */
export type ClientFactory = (endpoint: Endpoint) => Promise<ModbusClientLike>;

export interface DeviceOptions {
  unitId: number;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Silence after each request to this device (Heidelberg: 100 ms). */
  interFrameDelayMs?: number;
  /** Largest count one read may ask for (KEBA: 2); longer reads are split. */
  maxRegistersPerRead?: number;
}

export type Priority = 'write' | 'poll';

export type BusErrorCode = 'timeout' | 'exception' | 'disconnected' | 'backoff' | 'closed';

export class BusError extends Error {
  constructor(
    message: string,
    public readonly code: BusErrorCode,
    public readonly modbusCode?: number,
  ) {
    super(message);
    this.name = 'BusError';
  }
}

export type { BackoffOptions } from '../backoff.js';

type Op = { kind: 'read'; table: RegisterTable; address: number; length: number } | { kind: 'write'; fc: 6 | 16; address: number; values: number[] };

interface Queued {
  device: DeviceOptions;
  op: Op;
  priority: Priority;
  seq: number;
  resolve: (regs: number[]) => void;
  reject: (err: Error) => void;
}

export function endpointKey(e: Endpoint): string {
  return e.type === 'tcp' ? `tcp:${e.host}:${e.port}` : `rtu:${e.path}`;
}

function describe(e: Endpoint): string {
  return e.type === 'tcp' ? `${e.host}:${e.port}` : e.path;
}

/** modbus-serial's default export is mistyped under NodeNext: check what we got at run time. */
function newClient(): ModbusClientLike & {
  connectTCP(host: string, o: { port: number }): Promise<void>;
  connectRTUBuffered(path: string, o: Record<string, unknown>): Promise<void>;
} {
  const Ctor = ModbusRTU as unknown as new () => ReturnType<typeof newClient>;
  if (typeof Ctor !== 'function') throw new Error('modbus-serial did not export a client constructor');
  return new Ctor();
}

export const modbusSerialFactory: ClientFactory = async (endpoint) => {
  const client = newClient();
  if (endpoint.type === 'tcp') {
    await client.connectTCP(endpoint.host, { port: endpoint.port });
  } else {
    await client.connectRTUBuffered(endpoint.path, {
      baudRate: endpoint.serial.baudRate,
      dataBits: endpoint.serial.dataBits,
      parity: endpoint.serial.parity,
      stopBits: endpoint.serial.stopBits,
    });
  }
  return client;
};

function classify(err: unknown): BusError {
  const e = err as { message?: string; modbusCode?: number; name?: string; errno?: string; code?: string };
  const msg = e?.message ?? String(err);
  if (typeof e?.modbusCode === 'number') return new BusError(msg, 'exception', e.modbusCode);
  if (e?.name === 'TransactionTimedOutError' || e?.errno === 'ETIMEDOUT' || /timed out/iu.test(msg)) {
    return new BusError(msg, 'timeout');
  }
  return new BusError(msg, 'disconnected');
}

export class ModbusBus {
  readonly key: string;
  private client: ModbusClientLike | null = null;
  private connecting: Promise<ModbusClientLike> | null = null;
  private connectFailures = 0;
  private connectRetryAtMs = 0;
  private readonly queue: Queued[] = [];
  private busy = false;
  /** Successful connects so far: a charger that sees it change knows the line was re-established. */
  connectCount = 0;
  private seq = 0;
  private closed = false;
  private readonly deviceBackoff = new Map<number, { failures: number; untilMs: number }>();
  private readonly log: Logger;
  /** Chargers using this bus (the registry closes it when the last one leaves). */
  users = 0;

  constructor(
    readonly endpoint: Endpoint,
    private readonly factory: ClientFactory,
    logger: Logger,
    private readonly clock: Clock = systemClock,
    private readonly backoff: BackoffOptions = { initialMs: 1000, maxMs: 30_000 },
  ) {
    this.key = endpointKey(endpoint);
    this.log = logger.child({ module: 'charger-bus', bus: describe(endpoint) });
  }

  get connected(): boolean {
    return this.client?.isOpen ?? false;
  }

  /** Reads registers (split into reads of at most maxRegistersPerRead). */
  async read(device: DeviceOptions, table: RegisterTable, address: number, length: number, priority: Priority = 'poll'): Promise<number[]> {
    const max = device.maxRegistersPerRead ?? 125;
    const out: number[] = [];
    for (let at = address; at < address + length; at += max) {
      const n = Math.min(max, address + length - at);
      out.push(...(await this.enqueue(device, { kind: 'read', table, address: at, length: n }, priority)));
    }
    return out;
  }

  /** Writes registers; writes jump ahead of every queued poll. */
  async write(device: DeviceOptions, fc: 6 | 16, address: number, values: number[]): Promise<void> {
    if (fc === 6 && values.length !== 1) throw new BusError(`FC06 writes one register, got ${values.length}`, 'exception');
    await this.enqueue(device, { kind: 'write', fc, address, values }, 'write');
  }

  /** Connects now (a charger's connect() calls this to learn early that the line is there). */
  async open(): Promise<void> {
    await this.ensureClient();
  }

  /** When a silent device may be asked again (0 = now). */
  backoffUntilMs(unitId: number): number {
    return this.deviceBackoff.get(unitId)?.untilMs ?? 0;
  }

  private enqueue(device: DeviceOptions, op: Op, priority: Priority): Promise<number[]> {
    if (this.closed) return Promise.reject(new BusError('bus closed', 'closed'));
    return new Promise<number[]>((resolve, reject) => {
      this.queue.push({ device, op, priority, seq: this.seq++, resolve, reject });
      void this.pump();
    });
  }

  private takeNext(): Queued | undefined {
    let best = -1;
    for (let i = 0; i < this.queue.length; i++) {
      const q = this.queue[i]!;
      if (best === -1 || (q.priority === 'write' && this.queue[best]!.priority !== 'write')) best = i;
      if (q.priority === 'write') break;
    }
    return best === -1 ? undefined : this.queue.splice(best, 1)[0];
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (;;) {
        const next = this.takeNext();
        if (!next) break;
        const delayMs = await this.runOne(next);
        if (delayMs > 0 && this.queue.length > 0) await sleep(this.clock, delayMs);
      }
    } finally {
      this.busy = false;
    }
  }

  /** Runs one request; returns the inter-frame delay to keep afterwards (0 if nothing was sent). */
  private async runOne(q: Queued): Promise<number> {
    const unit = q.device.unitId;
    const back = this.deviceBackoff.get(unit);
    const now = this.clock.now();
    if (back && now < back.untilMs) {
      q.reject(new BusError(`unit ${unit} did not answer; backing off for ${back.untilMs - now} ms`, 'backoff'));
      return 0;
    }
    let client: ModbusClientLike;
    try {
      client = await this.ensureClient();
    } catch (err) {
      q.reject(err instanceof BusError ? err : classify(err));
      return 0;
    }
    try {
      client.setID(unit);
      client.setTimeout(q.device.timeoutMs);
      let regs: number[] = [];
      if (q.op.kind === 'read') {
        const res =
          q.op.table === 'holding' ? await client.readHoldingRegisters(q.op.address, q.op.length) : await client.readInputRegisters(q.op.address, q.op.length);
        regs = res.data;
      } else if (q.op.fc === 6) {
        await client.writeRegister(q.op.address, q.op.values[0]!);
      } else {
        await client.writeRegisters(q.op.address, q.op.values);
      }
      this.deviceBackoff.delete(unit);
      q.resolve(regs);
    } catch (err) {
      const e = classify(err);
      if (e.code === 'timeout') {
        const failures = (this.deviceBackoff.get(unit)?.failures ?? 0) + 1;
        const waitMs = backoffMs(this.backoff, failures);
        this.deviceBackoff.set(unit, { failures, untilMs: this.clock.now() + waitMs });
        this.log.warn({ unitId: unit, failures, waitMs }, 'device did not answer; backing off');
      } else if (e.code === 'disconnected') {
        this.log.warn({ err: e }, 'connection lost; will reconnect on the next request');
        this.dropClient();
      }
      q.reject(e);
    }
    return q.device.interFrameDelayMs ?? 0;
  }

  private ensureClient(): Promise<ModbusClientLike> {
    if (this.closed) return Promise.reject(new BusError('bus closed', 'closed'));
    if (this.client?.isOpen) return Promise.resolve(this.client);
    if (this.client) this.dropClient();
    if (this.connecting) return this.connecting;
    const now = this.clock.now();
    if (now < this.connectRetryAtMs) {
      return Promise.reject(new BusError(`not connected to ${describe(this.endpoint)}; next attempt in ${this.connectRetryAtMs - now} ms`, 'disconnected'));
    }
    this.connecting = this.factory(this.endpoint).then(
      (client) => {
        this.connecting = null;
        this.connectFailures = 0;
        if (this.closed) {
          client.close(() => undefined);
          throw new BusError('bus closed', 'closed');
        }
        this.client = client;
        this.connectCount++;
        this.log.info({ connectCount: this.connectCount }, 'connected');
        return client;
      },
      (err: unknown) => {
        this.connecting = null;
        this.connectFailures++;
        const waitMs = backoffMs(this.backoff, this.connectFailures);
        this.connectRetryAtMs = this.clock.now() + waitMs;
        const e = new BusError(`cannot connect to ${describe(this.endpoint)}: ${(err as Error)?.message ?? String(err)}`, 'disconnected');
        this.log.warn({ err: e, waitMs }, 'connect failed');
        throw e;
      },
    );
    return this.connecting;
  }

  private dropClient(): void {
    const c = this.client;
    this.client = null;
    if (c) {
      try {
        c.close(() => undefined);
      } catch {
        // A half-open client may throw on close; it is being discarded anyway.
      }
    }
  }

  /** Fails whatever is queued and closes the line. */
  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.reject(new BusError('bus closed', 'closed'));
    if (this.connecting) await this.connecting.catch(() => undefined);
    const c = this.client;
    this.client = null;
    if (c?.isOpen) await new Promise<void>((resolve) => c.close(() => resolve()));
  }
}

/**
 * One bus per line: chargers naming the same serial path or host:port get the same bus.
 * Two chargers on one serial path with different serial settings is a config error.
 */
export class BusRegistry {
  private readonly buses = new Map<string, ModbusBus>();

  constructor(
    private readonly logger: Logger,
    private readonly options: { clientFactory?: ClientFactory; clock?: Clock; backoff?: BackoffOptions } = {},
  ) {}

  acquire(endpoint: Endpoint): ModbusBus {
    const key = endpointKey(endpoint);
    let bus = this.buses.get(key);
    if (bus && endpoint.type === 'rtu' && bus.endpoint.type === 'rtu') {
      const a = JSON.stringify(bus.endpoint.serial);
      const b = JSON.stringify(endpoint.serial);
      if (a !== b) throw new Error(`${endpoint.path}: chargers on one serial line need the same settings (${a} vs ${b})`);
    }
    if (!bus) {
      bus = new ModbusBus(endpoint, this.options.clientFactory ?? modbusSerialFactory, this.logger, this.options.clock, this.options.backoff);
      this.buses.set(key, bus);
    }
    bus.users++;
    return bus;
  }

  /** A charger leaves its bus; the last one out closes it. */
  async release(bus: ModbusBus): Promise<void> {
    bus.users--;
    if (bus.users <= 0 && this.buses.get(bus.key) === bus) {
      this.buses.delete(bus.key);
      await bus.close();
    }
  }

  get size(): number {
    return this.buses.size;
  }

  async closeAll(): Promise<void> {
    const all = [...this.buses.values()];
    this.buses.clear();
    await Promise.all(all.map((b) => b.close()));
  }
}
