// A Modbus TCP charger that runs any profile's register map, for the demo and the tests:
// it decodes setpoint writes, answers read-backs, runs the charger's failsafe (no keep-alive
// within the timeout -> the failsafe current), forgets its setpoint on reboot() as the
// profile says, and has a car that draws ~95 % of the limit after a delay. Faults (no reply,
// an exception code, slow replies) are injected per unit.
//
// State is evaluated lazily from the clock on each request, so the simulator needs no timers
// of its own (only slow replies wait on a real timer).

import { createServer } from 'node:net';
import { ServerSerial, ServerTCP } from 'modbus-serial';
import type { SerialSettings } from '../serial-settings.js';
import type { VehicleState } from './charger.js';
import type { Profile } from './profile.js';
import { decodeNumber, encodeExact, encodeString, registerCount, type RegisterSpec } from './register-map.js';

export type Fault = { kind: 'no-reply' } | { kind: 'exception'; code: number } | { kind: 'slow'; delayMs: number };

export interface SimulatedUnitOptions {
  unitId: number;
  profile: Profile;
  /** From a limit change to the car drawing the new current (IEC 61851 PWM step plus the car); default 3000. */
  carDelayMs?: number;
  /** Share of the limit the car draws; default 0.95. */
  carDrawFraction?: number;
  carConnected?: boolean;
  /** Phases the car draws on (1 or 3); default 3. */
  phases?: 1 | 3;
  /** The charger's own timeout where the profile cannot write one (Alfen's validity time). */
  timeoutS?: number;
  /** The charger's own safe current where the profile cannot write one (Alfen's ACE setting). */
  safeCurrentA?: number;
}

export interface SimRequest {
  atMs: number;
  unitId: number;
  fc: 3 | 4 | 6 | 16;
  address: number;
  length: number;
  values?: number[];
}

type Cb<T> = (err: Error | null, value?: T) => void;

function modbusError(code: number, msg: string): Error {
  return Object.assign(new Error(msg), { modbusErrorCode: code });
}

const NOMINAL_V = 230;

/** One simulated charger (one unit id) and its car. */
export class SimulatedCharger {
  readonly profile: Profile;
  readonly unitId: number;
  fault: Fault | null = null;
  carConnected: boolean;
  carDelayMs: number;
  carDrawFraction: number;
  readonly phases: number;
  /**
   * A car that ignores the pilot signal: it draws this current (A per phase) whatever the
   * limit, while plugged in. Null: it follows the limit.
   */
  carIgnoresLimitA: number | null = null;
  /** The setpoint as last written (A), null when lost or never written. */
  setpointA: number | null = null;
  failsafeCurrentA: number;
  timeoutMs: number | null;
  lastKeepAliveMs: number;
  private fallbackAtMs: number | null = null;
  reboots = 0;
  private readonly holding = new Map<number, number>();
  private readonly input = new Map<number, number>();
  private drawFromA = 0;
  private drawToA = 0;
  private changedAtMs = 0;

  constructor(
    opts: SimulatedUnitOptions,
    private readonly now: () => number,
  ) {
    this.profile = opts.profile;
    this.unitId = opts.unitId;
    this.carConnected = opts.carConnected ?? true;
    this.carDelayMs = opts.carDelayMs ?? 3000;
    this.carDrawFraction = opts.carDrawFraction ?? 0.95;
    this.phases = opts.phases ?? 3;
    const fs = opts.profile.failsafe;
    this.failsafeCurrentA = opts.safeCurrentA ?? 0;
    const timeoutS = opts.timeoutS ?? fs?.defaultTimeoutS;
    this.timeoutMs = opts.profile.keepAlive.kind === 'none' || !fs || timeoutS === undefined ? null : timeoutS * 1000;
    this.lastKeepAliveMs = now();
    for (const spec of this.knownRegisters()) {
      const map = spec.table === 'holding' ? this.holding : this.input;
      for (let i = 0; i < registerCount(spec); i++) if (!map.has(spec.address + i)) map.set(spec.address + i, 0);
    }
    if (fs?.timeout?.write && timeoutS !== undefined) this.store(fs.timeout.write, fs.timeout.unit === 'ms' ? timeoutS * 1000 : timeoutS);
    this.powerOn(null);
  }

  private knownRegisters(): RegisterSpec[] {
    const p = this.profile;
    const fs = p.failsafe;
    return [
      p.setpoint.register,
      p.status.register,
      p.status.charging?.register,
      p.appliedLimit,
      p.keepAlive.register,
      fs?.current?.write,
      fs?.current?.read,
      fs?.timeout?.write,
      fs?.timeout?.read,
      ...(p.measurements?.currentsA ?? []),
      p.measurements?.powerW,
      ...(p.init ?? []).map((i) => i.register),
    ].filter((s): s is RegisterSpec => s !== undefined);
  }

  private store(spec: RegisterSpec, value: number | string): void {
    const map = spec.table === 'holding' ? this.holding : this.input;
    const { shift: _shift, mask: _mask, ...whole } = spec;
    const regs = typeof value === 'string' ? encodeString(value, spec.length ?? 1) : encodeExact(whole, value);
    regs.forEach((r, i) => map.set(spec.address + i, r));
  }

  /** The setpoint a power-on leaves, per the profile's onReboot. */
  private powerOn(previousA: number | null): void {
    const sp = this.profile.setpoint;
    const rule = sp.onReboot;
    let a: number | null;
    if (rule === 'zero') a = 0;
    else if (rule === 'failsafe-current') a = this.failsafeCurrentA;
    else if (rule === 'kept' && previousA !== null) a = previousA;
    // Not documented: assume the worst case, the charger's maximum (go-e's EEPROM value,
    // SimpleEVSE's "current after boot" of 32 A).
    else a = sp.maxA;
    this.setpointA = a;
    this.fallbackAtMs = null;
    this.lastKeepAliveMs = this.now();
    if (sp.readable) this.store(sp.register, a);
    this.limitChanged(this.now());
  }

  /** Plugs the car in or out; the draw changes after the car delay, as after a limit change. */
  setCarConnected(connected: boolean): void {
    if (connected === this.carConnected) return;
    this.carConnected = connected;
    this.limitChanged(this.now());
  }

  /** Power cycle: the setpoint is lost as the profile says (Heidelberg 261 -> 0, Alfen -> safe current). */
  reboot(): void {
    this.reboots++;
    this.powerOn(this.setpointA);
  }

  /** When the failsafe took over, null while the master is in charge. */
  get fallbackSinceMs(): number | null {
    this.evaluate(this.now());
    return this.fallbackAtMs;
  }

  /** The limit the charger signals to the car now. */
  effectiveLimitA(atMs = this.now()): number {
    this.evaluate(atMs);
    const a = this.fallbackAtMs !== null ? this.failsafeCurrentA : (this.setpointA ?? 0);
    return Math.min(a, this.profile.setpoint.maxA);
  }

  private evaluate(atMs: number): void {
    if (this.fallbackAtMs === null && this.timeoutMs !== null && atMs - this.lastKeepAliveMs > this.timeoutMs) {
      this.fallbackAtMs = this.lastKeepAliveMs + this.timeoutMs;
      this.limitChanged(this.fallbackAtMs);
    }
  }

  private drawFor(limitA: number): number {
    return this.carConnected && limitA >= 6 ? limitA * this.carDrawFraction : 0;
  }

  private limitChanged(atMs: number): void {
    const wasDrawing = atMs - this.changedAtMs >= this.carDelayMs ? this.drawToA : this.drawFromA;
    this.drawFromA = wasDrawing;
    this.changedAtMs = atMs;
    const a = this.fallbackAtMs !== null ? this.failsafeCurrentA : (this.setpointA ?? 0);
    this.drawToA = this.drawFor(Math.min(a, this.profile.setpoint.maxA));
  }

  /** The current the car draws per phase now. */
  measuredA(atMs = this.now()): number {
    this.evaluate(atMs);
    if (!this.carConnected) return 0;
    if (this.carIgnoresLimitA !== null) return this.carIgnoresLimitA;
    return atMs - this.changedAtMs >= this.carDelayMs ? this.drawToA : this.drawFromA;
  }

  vehicleState(atMs = this.now()): VehicleState {
    if (!this.carConnected) return 'A';
    return this.measuredA(atMs) > 0.5 ? 'C' : 'B';
  }

  private statusKey(state: VehicleState): string | undefined {
    const st = this.profile.status;
    const keys = Object.keys(st.map).filter((k) => st.map[k] === state);
    if (st.charging && state === 'C') return Object.keys(st.map).find((k) => st.map[k] === 'B');
    return keys.find((k) => st.chargingValues?.includes(k) ?? false) ?? keys[0];
  }

  /** Writes the live values (status, measurements, applied limit) into the register maps. */
  private refresh(atMs: number): void {
    const p = this.profile;
    const state = this.vehicleState(atMs);
    const key = this.statusKey(state) ?? this.statusKey('unknown');
    if (key !== undefined) {
      const spec = p.status.register;
      if (spec.type === 'string') this.store(spec, key);
      else this.store(spec, Number(key) * 2 ** (spec.shift ?? 0) * (spec.scale ?? 1));
    }
    if (p.status.charging) {
      const v = p.status.charging.values[0]!;
      this.store(p.status.charging.register, state === 'C' ? v : v === 0 ? 1 : 0);
    }
    const drawn = this.measuredA(atMs);
    const currents = p.measurements?.currentsA ?? [];
    currents.forEach((spec, i) => this.store(spec, i < this.phases ? drawn : 0));
    if (p.measurements?.powerW) this.store(p.measurements.powerW, drawn * NOMINAL_V * Math.min(this.phases, Math.max(1, currents.length)));
    if (p.appliedLimit) this.store(p.appliedLimit, this.effectiveLimitA(atMs));
    const fs = p.failsafe;
    if (fs?.current?.read) this.store(fs.current.read, this.failsafeCurrentA);
    if (fs?.timeout?.read && this.timeoutMs !== null) this.store(fs.timeout.read, fs.timeout.unit === 'ms' ? this.timeoutMs : this.timeoutMs / 1000);
  }

  read(table: 'holding' | 'input', address: number, length: number): number[] {
    const at = this.now();
    if (this.profile.keepAlive.kind === 'poll') this.keepAliveSeen(at);
    const max = this.profile.quirks?.maxRegistersPerRead;
    if (max !== undefined && length > max) throw modbusError(3, `at most ${max} registers per read`);
    this.refresh(at);
    const map = table === 'holding' ? this.holding : this.input;
    const out: number[] = [];
    for (let a = address; a < address + length; a++) {
      const v = map.get(a);
      if (v === undefined) throw modbusError(2, `no ${table} register ${a}`);
      out.push(v);
    }
    return out;
  }

  private keepAliveSeen(atMs: number): void {
    this.evaluate(atMs);
    // The fallback holds until the master writes a setpoint again (KEBA: "current and enable
    // must then be written again"); a keep-alive alone does not lift it.
    this.lastKeepAliveMs = atMs;
  }

  write(fc: 6 | 16, address: number, values: number[]): void {
    const at = this.now();
    const p = this.profile;
    const fcs = p.quirks?.writeFunctionCodes;
    if (fcs && !fcs.includes(fc)) throw modbusError(1, `FC${fc} not supported`);
    if (p.keepAlive.kind === 'poll') this.keepAliveSeen(at);
    for (let i = 0; i < values.length; i++) {
      if (!this.holding.has(address + i)) throw modbusError(2, `no holding register ${address + i}`);
    }
    const sp = p.setpoint.register;
    const fs = p.failsafe;
    const covers = (spec: RegisterSpec | undefined): boolean =>
      spec !== undefined && spec.table === 'holding' && address === spec.address && values.length >= registerCount(spec);
    const touches = (spec: RegisterSpec | undefined): boolean =>
      spec !== undefined && spec.table === 'holding' && address < spec.address + registerCount(spec) && address + values.length > spec.address;
    if (touches(sp) && !covers(sp)) throw modbusError(3, 'partial write of the setpoint');
    if (covers(sp)) {
      const a = decodeNumber(sp, values.slice(0, registerCount(sp)));
      const pause = p.setpoint.pauseValueA;
      const ok = (pause !== null && Math.abs(a - pause) < 1e-6) || (a >= p.setpoint.minA - 1e-6 && a <= p.setpoint.maxA + 1e-6);
      if (!ok) throw modbusError(3, `setpoint ${a} A out of range`);
      this.evaluate(at);
      this.setpointA = a;
      this.fallbackAtMs = null;
      if (p.keepAlive.kind === 'rewrite-setpoint') this.lastKeepAliveMs = at;
      this.limitChanged(at);
    }
    if (covers(fs?.current?.write)) this.failsafeCurrentA = decodeNumber(fs!.current!.write!, values);
    if (covers(fs?.timeout?.write)) {
      const raw = decodeNumber(fs!.timeout!.write!, values);
      this.timeoutMs = raw === 0 ? null : fs!.timeout!.unit === 'ms' ? raw : raw * 1000;
      this.lastKeepAliveMs = at;
    }
    const ka = p.keepAlive;
    if ((ka.kind === 'life-bit' || ka.kind === 'heartbeat-value') && covers(ka.register) && values[0] === ka.value) this.keepAliveSeen(at);
    values.forEach((v, i) => this.holding.set(address + i, v));
  }
}

export interface SimulatorOptions {
  units: SimulatedUnitOptions[];
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  now?: () => number;
  /** Called for every request as it arrives (before faults apply), e.g. to print writes. */
  onRequest?: (req: SimRequest) => void;
}

export interface RtuSimulatorOptions {
  units: SimulatedUnitOptions[];
  /** The serial device the simulated chargers answer on (an RS-485 adapter, a socat pty). */
  path: string;
  serial: SerialSettings;
  now?: () => number;
  onRequest?: (req: SimRequest) => void;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A Modbus TCP server (or an RTU slave on a serial device) with one SimulatedCharger per unit
 * id (unknown ids get exception 0x0B over TCP; over RTU they get no answer, as on a real line).
 */
export class ChargerSimulator {
  readonly requests: SimRequest[] = [];
  private readonly units = new Map<number, SimulatedCharger>();
  private readonly pending = new Set<NodeJS.Timeout>();
  private server: ServerTCP | ServerSerial | null = null;
  private onRequest: ((req: SimRequest) => void) | undefined;
  private rtu = false;

  private constructor(
    readonly host: string,
    public port: number,
    private readonly now: () => number,
  ) {}

  /** An RTU slave for every unit on one serial line. Resolves once the port is open. */
  static async startRtu(options: RtuSimulatorOptions): Promise<ChargerSimulator> {
    const now = options.now ?? Date.now;
    const sim = new ChargerSimulator(options.path, 0, now);
    sim.rtu = true;
    sim.onRequest = options.onRequest;
    for (const u of options.units) sim.units.set(u.unitId, new SimulatedCharger(u, now));
    await new Promise<void>((resolve, reject) => {
      const s = options.serial;
      const server = new ServerSerial(sim.vector() as never, {
        path: options.path,
        baudRate: s.baudRate,
        parity: s.parity,
        dataBits: s.dataBits,
        stopBits: s.stopBits,
        unitID: 255,
        openCallback: (err) => {
          if (err) reject(err);
          else {
            sim.server = server;
            resolve();
          }
        },
      });
      server.on('error', (err) => {
        if (sim.server === null) reject(err ?? new Error('simulator could not open the serial port'));
      });
      server.on('socketError', () => undefined);
    });
    return sim;
  }

  /** The simulated unit ids. */
  unitIds(): number[] {
    return [...this.units.keys()];
  }

  static async start(options: SimulatorOptions): Promise<ChargerSimulator> {
    const host = options.host ?? '127.0.0.1';
    const now = options.now ?? Date.now;
    for (let attempt = 0; ; attempt++) {
      // modbus-serial treats port 0 as "use 502", so a free port is found first.
      const port = options.port || (await freePort(host));
      const sim = new ChargerSimulator(host, port, now);
      sim.onRequest = options.onRequest;
      for (const u of options.units) sim.units.set(u.unitId, new SimulatedCharger(u, now));
      try {
        await sim.listen();
        return sim;
      } catch (err) {
        if (options.port || attempt >= 4) throw err;
      }
    }
  }

  unit(unitId: number): SimulatedCharger {
    const u = this.units.get(unitId);
    if (!u) throw new Error(`no simulated unit ${unitId}`);
    return u;
  }

  private handle<T>(unitId: number, req: Omit<SimRequest, 'atMs' | 'unitId'>, cb: Cb<T>, run: (u: SimulatedCharger) => T): void {
    const request: SimRequest = { atMs: this.now(), unitId, ...req };
    this.requests.push(request);
    if (this.requests.length > 5000) this.requests.splice(0, 1000);
    this.onRequest?.(request);
    const u = this.units.get(unitId);
    if (!u) {
      if (this.rtu) return;
      return cb(modbusError(0x0b, `no unit ${unitId}`));
    }
    const answer = (): void => {
      try {
        cb(null, run(u));
      } catch (err) {
        cb(err as Error);
      }
    };
    const f = u.fault;
    if (f?.kind === 'no-reply') return;
    if (f?.kind === 'exception') return cb(modbusError(f.code, 'injected exception'));
    if (f?.kind === 'slow') {
      const t = setTimeout(() => {
        this.pending.delete(t);
        answer();
      }, f.delayMs);
      this.pending.add(t);
      return;
    }
    answer();
  }

  private vector(): Record<string, unknown> {
    return {
      getHoldingRegister: (addr: number, unitID: number, cb: Cb<number>) =>
        this.handle(unitID, { fc: 3, address: addr, length: 1 }, cb, (u) => u.read('holding', addr, 1)[0]!),
      getMultipleHoldingRegisters: (addr: number, length: number, unitID: number, cb: Cb<number[]>) =>
        this.handle(unitID, { fc: 3, address: addr, length }, cb, (u) => u.read('holding', addr, length)),
      getInputRegister: (addr: number, unitID: number, cb: Cb<number>) =>
        this.handle(unitID, { fc: 4, address: addr, length: 1 }, cb, (u) => u.read('input', addr, 1)[0]!),
      getMultipleInputRegisters: (addr: number, length: number, unitID: number, cb: Cb<number[]>) =>
        this.handle(unitID, { fc: 4, address: addr, length }, cb, (u) => u.read('input', addr, length)),
      setRegister: (addr: number, value: number, unitID: number, cb: Cb<void>) =>
        this.handle(unitID, { fc: 6, address: addr, length: 1, values: [value] }, cb, (u) => u.write(6, addr, [value])),
      setRegisterArray: (addr: number, values: number[], unitID: number, cb: Cb<void>) =>
        this.handle(unitID, { fc: 16, address: addr, length: values.length, values }, cb, (u) => u.write(16, addr, values)),
    };
  }

  private listen(): Promise<void> {
    const vector = this.vector();
    return new Promise((resolve, reject) => {
      const server = new ServerTCP(vector as never, { host: this.host, port: this.port, unitID: 255 });
      server.on('initialized', () => {
        this.server = server;
        resolve();
      });
      server.on('serverError', (err) => {
        if (this.server === null) {
          server.close(() => undefined);
          reject(err ?? new Error('simulator could not listen'));
        }
      });
      // A client that drops its socket mid-request is normal in fault tests.
      server.on('socketError', () => undefined);
    });
  }

  async close(): Promise<void> {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
