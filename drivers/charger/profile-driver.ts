// The one generic driver: it runs any profile's register map on a shared bus. Everything a
// charger model differs in is data in its profile; this file knows only the Modbus verbs.

import type { Logger } from 'pino';
import type { ChargerOptions } from './options.js';
import type { Charger, ChargerReading, VehicleState, WriteOutcome } from './charger.js';
import { BusError, type DeviceOptions, type ModbusBus } from './bus.js';
import type { Profile } from './profile.js';
import { decode, decodeNumber, encode, registerCount, type RegisterSpec } from './register-map.js';
import { systemClock, type Clock } from '../clock.js';

/** What connect() wrote to the failsafe registers and what the charger then reported. */
export interface FailsafeReport {
  wrote: { currentA?: number; timeoutS?: number };
  readBack: { currentA?: number; timeoutS?: number };
  /** The timeout the keep-alive period is derived from, and where it came from. */
  timeoutS: number | null;
  timeoutSource: 'written' | 'read' | 'config' | 'profile-default' | 'none';
  /** True when every value written reads back as written (or nothing was readable). */
  ok: boolean;
  /** Why something was not written or does not match. */
  notes: string[];
}

export interface ProfileCharger extends Charger {
  readonly profile: Profile;
  /** Set by connect(); null before. */
  readonly failsafe: FailsafeReport | null;
  /** The setpoint (or applied limit) as the charger reports it now, where readable. */
  readLimitA(): Promise<{ valueA: number; kind: 'setpoint' | 'applied' } | null>;
  /** True when the bus reconnected since connect(): the charger may have rebooted, so its
   *  failsafe settings and setpoint must be written again. */
  reconnectedSinceConnect(): boolean;
  /** The effective accepted range: the profile's range narrowed by the config. */
  readonly rangeA: { minA: number; maxA: number; pauseA: number | null };
  /**
   * The profile's failsafe.reenable writes (KEBA: 5014 = 1), for a charger that may have been
   * through a failsafe and disabled itself; connect() makes them too. Resolves with what was
   * not written (empty when all were, or when the profile has none).
   */
  reenable(): Promise<string[]>;
}

export interface CreateChargerOptions {
  /** Shadow mode: never write anything (connect and keepAlive only read). */
  dryRun?: boolean;
  clock?: Clock;
}

const EPS_A = 0.01;

export function createCharger(config: ChargerOptions, profile: Profile, bus: ModbusBus, logger: Logger, options: CreateChargerOptions = {}): ProfileCharger {
  return new ProfileDriver(config, profile, bus, logger, options);
}

class ProfileDriver implements ProfileCharger {
  readonly id: string;
  readonly profileId: string;
  failsafe: FailsafeReport | null = null;
  private readonly device: DeviceOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private lastSetpointRegs: number[] | null = null;
  /** Heartbeats written since construction: toggle and counter derive their value from it. */
  private beats = 0;
  private busConnection = -1;
  private writeChain: Promise<void> = Promise.resolve();
  readonly rangeA: { minA: number; maxA: number; pauseA: number | null };

  constructor(
    private readonly config: ChargerOptions,
    readonly profile: Profile,
    private readonly bus: ModbusBus,
    logger: Logger,
    private readonly options: CreateChargerOptions,
  ) {
    this.id = config.id;
    this.profileId = profile.id;
    this.clock = options.clock ?? systemClock;
    this.log = logger.child({ module: 'charger', chargerId: config.id, profile: profile.id });
    this.device = {
      unitId: config.unitId ?? profile.transport.defaultUnitId,
      timeoutMs: config.timeoutMs,
      interFrameDelayMs: profile.transport.interFrameDelayMs,
      ...(profile.quirks?.maxRegistersPerRead !== undefined ? { maxRegistersPerRead: profile.quirks.maxRegistersPerRead } : {}),
    };
    this.rangeA = {
      minA: Math.max(profile.setpoint.minA, config.minCurrentA),
      maxA: Math.min(profile.setpoint.maxA, config.maxCurrentA),
      pauseA: config.allowPause ? profile.setpoint.pauseValueA : null,
    };
  }

  get keepAlivePeriodMs(): number | null {
    const ka = this.profile.keepAlive;
    if (ka.kind === 'none') return null;
    const timeoutS = this.failsafe?.timeoutS ?? this.configuredTimeoutS();
    const cap = ka.maxPeriodMs ?? Number.POSITIVE_INFINITY;
    if (timeoutS === null) return Number.isFinite(cap) ? cap : null;
    return Math.max(100, Math.floor(Math.min(timeoutS * 1000 * ka.periodFraction, cap)));
  }

  /** The timeout before connect() has read anything: the config's, else the profile's default. */
  private configuredTimeoutS(): number | null {
    return this.config.failsafeTimeoutS ?? this.profile.failsafe?.defaultTimeoutS ?? null;
  }

  private async readSpec(spec: RegisterSpec): Promise<number[]> {
    return this.readRange(spec.table, spec.address, registerCount(spec));
  }

  /** Some firmware drops the connection when certain registers are read (Mennekes 4You: 730, 740). */
  private readRange(table: RegisterSpec['table'], address: number, length: number): Promise<number[]> {
    const bad = this.profile.quirks?.forbiddenReads?.find((a) => a >= address && a < address + length);
    if (bad !== undefined) return Promise.reject(new Error(`register ${bad} must not be read on this charger (quirks.forbiddenReads)`));
    return this.bus.read(this.device, table, address, length);
  }

  private async writeSpec(spec: RegisterSpec, regs: number[]): Promise<void> {
    if (this.options.dryRun) throw new Error('dry run: no writes');
    const fcs = this.profile.quirks?.writeFunctionCodes;
    let fc: 6 | 16 = regs.length > 1 ? 16 : 6;
    if (fc === 6 && fcs && !fcs.includes(6)) fc = 16;
    if (fc === 16 && regs.length === 1 && fcs && !fcs.includes(16)) fc = 6;
    await this.bus.write(this.device, fc, spec.address, regs);
  }

  /**
   * A connect-time write the charger refuses (an exception reply, a value the codec cannot
   * hold) is noted and connect goes on: the charger must still take limits. A charger that
   * does not answer fails connect.
   */
  private async tryWrite(spec: RegisterSpec, value: number, what: string, notes: string[]): Promise<boolean> {
    try {
      await this.writeSpec(spec, encode(spec, value));
      return true;
    } catch (err) {
      if (err instanceof BusError && err.code !== 'exception') throw err;
      notes.push(`${what} not written: ${(err as Error).message}`);
      this.log.warn({ err, register: spec.address }, `${what} not written`);
      return false;
    }
  }

  async connect(): Promise<void> {
    await this.bus.open();
    this.busConnection = this.bus.connectCount;
    const notes: string[] = [];
    const report: FailsafeReport = { wrote: {}, readBack: {}, timeoutS: null, timeoutSource: 'none', ok: true, notes };
    const fs = this.profile.failsafe;
    if (!this.options.dryRun) {
      for (const w of this.profile.init ?? []) {
        if (!(await this.tryWrite(w.register, w.value, `init ${w.register.address} = ${w.value} (${w.why})`, notes))) {
          report.ok = false;
          continue;
        }
        this.log.info({ register: w.register.address, value: w.value, why: w.why }, 'init write');
      }
    }
    if (!this.options.dryRun && fs?.reenable?.length) {
      const failed = await this.reenable();
      if (failed.length > 0) report.ok = false;
      notes.push(...failed);
    }
    if (fs?.current?.write) {
      const wantA = this.config.failsafeCurrentA;
      if (wantA === undefined) {
        notes.push('no failsafeCurrentA configured: the charger keeps its own safe current');
      } else if (this.options.dryRun) {
        notes.push(`dry run: would write failsafe current ${wantA} A`);
      } else {
        if (await this.tryWrite(fs.current.write, wantA, `failsafe current ${wantA} A`, notes)) report.wrote.currentA = wantA;
        else report.ok = false;
      }
    } else if (fs?.current?.read) {
      notes.push('the failsafe current is set on the charger, not over Modbus');
    }
    if (fs?.timeout?.write) {
      const wantS = this.config.failsafeTimeoutS;
      if (wantS === undefined) {
        notes.push('no failsafeTimeoutS configured: the charger keeps its own timeout');
      } else if (this.options.dryRun) {
        notes.push(`dry run: would write failsafe timeout ${wantS} s`);
      } else {
        const t = fs.timeout;
        if ((t.minS !== undefined && wantS < t.minS) || (t.maxS !== undefined && wantS > t.maxS)) {
          throw new Error(`failsafeTimeoutS ${wantS} outside the charger's range ${t.minS ?? 0}..${t.maxS ?? '∞'} s`);
        }
        const raw = t.unit === 'ms' ? wantS * 1000 : wantS;
        if (await this.tryWrite(t.write!, raw, `failsafe timeout ${wantS} s`, notes)) {
          report.wrote.timeoutS = wantS;
          report.timeoutS = wantS;
          report.timeoutSource = 'written';
        } else {
          report.ok = false;
        }
      }
    }
    const curRead = fs?.current?.read ?? fs?.current?.write;
    if (curRead) {
      try {
        report.readBack.currentA = decodeNumber(curRead, await this.readSpec(curRead));
      } catch (err) {
        notes.push(`failsafe current not readable: ${(err as Error).message}`);
      }
    }
    const toRead = fs?.timeout?.read ?? fs?.timeout?.write;
    if (toRead && fs?.timeout) {
      try {
        const raw = decodeNumber(toRead, await this.readSpec(toRead));
        report.readBack.timeoutS = fs.timeout.unit === 'ms' ? raw / 1000 : raw;
      } catch (err) {
        notes.push(`failsafe timeout not readable: ${(err as Error).message}`);
      }
    }
    if (report.wrote.currentA !== undefined && report.readBack.currentA !== undefined) {
      const expected = decodeNumber(fs!.current!.write!, encode(fs!.current!.write!, report.wrote.currentA));
      if (Math.abs(report.readBack.currentA - expected) > EPS_A) {
        report.ok = false;
        notes.push(`failsafe current reads ${report.readBack.currentA} A, wrote ${expected} A`);
      }
    }
    if (report.wrote.timeoutS !== undefined && report.readBack.timeoutS !== undefined && Math.abs(report.readBack.timeoutS - report.wrote.timeoutS) > 0.001) {
      report.ok = false;
      notes.push(`failsafe timeout reads ${report.readBack.timeoutS} s, wrote ${report.wrote.timeoutS} s`);
    }
    if (report.timeoutS === null && report.readBack.timeoutS !== undefined && report.readBack.timeoutS > 0) {
      report.timeoutS = report.readBack.timeoutS;
      report.timeoutSource = 'read';
    }
    if (report.timeoutS === null && this.config.failsafeTimeoutS !== undefined) {
      report.timeoutS = this.config.failsafeTimeoutS;
      report.timeoutSource = 'config';
    }
    if (report.timeoutS === null && fs?.defaultTimeoutS !== undefined) {
      report.timeoutS = fs.defaultTimeoutS;
      report.timeoutSource = 'profile-default';
    }
    this.failsafe = report;
    this.log.info({ failsafe: report }, 'connected');
  }

  async reenable(): Promise<string[]> {
    const notes: string[] = [];
    if (this.options.dryRun) return notes;
    for (const w of this.profile.failsafe?.reenable ?? []) {
      if (await this.tryWrite(w.register, w.value, `re-enable ${w.register.address} = ${w.value} (${w.why})`, notes)) {
        this.log.info({ register: w.register.address, value: w.value, why: w.why }, 're-enable write');
      }
    }
    return notes;
  }

  /** The value a writing keep-alive sends next: fixed, alternating, or counting. */
  private nextBeat(): number {
    const ka = this.profile.keepAlive;
    const n = this.beats++;
    if (ka.kind === 'toggle') return (ka.values ?? [0, 1])[n % 2]!;
    if (ka.kind === 'counter') return (n + 1) % (ka.modulo ?? 65536);
    return ka.value!;
  }

  /** Null when the limit is acceptable, else why not. */
  private refusal(limitA: number): string | null {
    if (!Number.isFinite(limitA) || limitA < 0) return `limit ${limitA} A is not a current`;
    if (limitA === 0) {
      if (this.rangeA.pauseA === null) {
        return this.profile.setpoint.pauseValueA === null
          ? 'this charger cannot be paused over Modbus'
          : 'pausing is not allowed for this charger (allowPause: false)';
      }
      return null;
    }
    if (limitA < this.rangeA.minA - EPS_A) return `limit ${limitA} A below the minimum ${this.rangeA.minA} A`;
    if (limitA > this.rangeA.maxA + EPS_A) return `limit ${limitA} A above the maximum ${this.rangeA.maxA} A`;
    return null;
  }

  /** One write-and-read-back at a time per charger, so a read-back belongs to its own write. */
  setCurrentLimitA(limitA: number): Promise<WriteOutcome> {
    const run = this.writeChain.then(() => this.writeAndReadBack(limitA));
    this.writeChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async writeAndReadBack(limitA: number): Promise<WriteOutcome> {
    const started = this.clock.now();
    const refused = this.refusal(limitA);
    if (refused) return { ok: false, limitA, error: refused, durationMs: 0 };
    const sp = this.profile.setpoint;
    const valueA = limitA === 0 ? (this.rangeA.pauseA ?? 0) : limitA;
    let regs: number[];
    try {
      regs = encode(sp.register, valueA);
    } catch (err) {
      return { ok: false, limitA, error: (err as Error).message, durationMs: 0 };
    }
    try {
      if (this.options.dryRun) throw new Error('dry run: no writes');
      await this.bus.write(this.device, sp.functionCode, sp.register.address, regs);
      this.lastSetpointRegs = regs;
    } catch (err) {
      return this.withBusWait({ ok: false, limitA, error: (err as Error).message, durationMs: this.clock.now() - started });
    }
    const written = decodeNumber(sp.register, regs);
    let readBackA: number | undefined;
    let error: string | undefined;
    try {
      const rb = await this.readLimitA();
      if (rb) {
        readBackA = rb.valueA;
        // A setpoint register must echo what was written; an applied-limit register is the
        // minimum of all the charger's limits, so it may be lower but never higher.
        if (rb.kind === 'setpoint' && Math.abs(rb.valueA - written) > EPS_A) error = `read back ${rb.valueA} A, wrote ${written} A`;
        if (rb.kind === 'applied' && rb.valueA > written + EPS_A) error = `charger applies ${rb.valueA} A, above the ${written} A written`;
      }
    } catch (err) {
      error = `written, but read-back failed: ${(err as Error).message}`;
    }
    const out: WriteOutcome = { ok: error === undefined, limitA, durationMs: this.clock.now() - started };
    if (readBackA !== undefined) out.readBackA = readBackA;
    if (error !== undefined) out.error = error;
    return error === undefined ? out : this.withBusWait(out);
  }

  /** A failed write says how long the bus will still refuse this unit, where it does. */
  private withBusWait(out: WriteOutcome): WriteOutcome {
    const waitMs = this.bus.backoffUntilMs(this.device.unitId) - this.clock.now();
    if (waitMs > 0) out.retryAfterMs = waitMs;
    return out;
  }

  reconnectedSinceConnect(): boolean {
    return this.busConnection >= 0 && this.bus.connectCount !== this.busConnection;
  }

  async readLimitA(): Promise<{ valueA: number; kind: 'setpoint' | 'applied' } | null> {
    const sp = this.profile.setpoint;
    if (sp.readable) return { valueA: decodeNumber(sp.register, await this.readSpec(sp.register)), kind: 'setpoint' };
    if (this.profile.appliedLimit) {
      return { valueA: decodeNumber(this.profile.appliedLimit, await this.readSpec(this.profile.appliedLimit)), kind: 'applied' };
    }
    return null;
  }

  /**
   * Reads several registers in as few requests as the bus allows: runs of contiguous
   * registers in one table become one request (an RS-485 line with Heidelberg's 100 ms
   * inter-frame delay pays per request). Gaps are never read: a charger may refuse them.
   */
  private async readMany(specs: RegisterSpec[]): Promise<number[][]> {
    const max = this.profile.quirks?.maxRegistersPerRead ?? 125;
    const order = specs.map((spec, i) => ({ spec, i })).sort((a, b) => a.spec.table.localeCompare(b.spec.table) || a.spec.address - b.spec.address);
    const out: number[][] = new Array<number[]>(specs.length);
    let block: Array<{ spec: RegisterSpec; i: number }> = [];
    const flush = async (): Promise<void> => {
      if (block.length === 0) return;
      const first = block[0]!.spec;
      const end = Math.max(...block.map((b) => b.spec.address + registerCount(b.spec)));
      const regs = await this.readRange(first.table, first.address, end - first.address);
      for (const b of block) out[b.i] = regs.slice(b.spec.address - first.address, b.spec.address - first.address + registerCount(b.spec));
      block = [];
    };
    for (const item of order) {
      const first = block[0]?.spec;
      const end = block.length ? Math.max(...block.map((b) => b.spec.address + registerCount(b.spec))) : 0;
      const fits =
        first !== undefined &&
        item.spec.table === first.table &&
        item.spec.address <= end &&
        Math.max(end, item.spec.address + registerCount(item.spec)) - first.address <= max;
      if (!fits) await flush();
      block.push(item);
    }
    await flush();
    return out;
  }

  async read(): Promise<ChargerReading> {
    const st = this.profile.status;
    const m = this.profile.measurements;
    const limitSpec = this.profile.appliedLimit ?? (this.profile.setpoint.readable ? this.profile.setpoint.register : undefined);
    const specs: RegisterSpec[] = [st.register];
    const at = (spec: RegisterSpec | undefined): number => (spec ? specs.push(spec) - 1 : -1);
    const iCharging = at(st.charging?.register);
    const iCurrents = (m?.currentsA ?? []).map((spec) => at(spec));
    const iPower = at(m?.powerW);
    const iLimit = at(limitSpec);
    const regs = await this.readMany(specs);
    const raw = decode(st.register, regs[0]!);
    const key = typeof raw === 'number' ? String(raw) : raw;
    let vehicleState: VehicleState = st.map[key] ?? 'unknown';
    let charging: boolean = st.chargingValues ? st.chargingValues.includes(key) : vehicleState === 'C' || vehicleState === 'D';
    if (st.charging && st.charging.values.includes(decodeNumber(st.charging.register, regs[iCharging]!))) {
      charging = true;
      if (vehicleState === 'B' || vehicleState === 'A') vehicleState = 'C';
    }
    const reading: ChargerReading = { vehicleState, charging };
    if (iCurrents.length > 0) {
      const currents = iCurrents.map((i) => decodeNumber(specs[i]!, regs[i]!));
      // A charger without a meter reports a "missing" pattern: then it measures nothing.
      if (currents.every((c) => Number.isFinite(c))) reading.currentsA = currents;
    }
    if (iPower >= 0) {
      const powerW = decodeNumber(specs[iPower]!, regs[iPower]!);
      if (Number.isFinite(powerW)) reading.powerW = powerW;
    }
    if (iLimit >= 0) reading.appliedLimitA = decodeNumber(specs[iLimit]!, regs[iLimit]!);
    return reading;
  }

  async keepAlive(): Promise<void> {
    const ka = this.profile.keepAlive;
    switch (ka.kind) {
      case 'none':
        return;
      case 'poll':
        await this.readSpec(ka.register ?? this.profile.status.register);
        return;
      case 'life-bit':
      case 'heartbeat-value':
      case 'toggle':
      case 'counter':
        if (this.options.dryRun) return;
        await this.writeSpec(ka.register!, encode(ka.register!, this.nextBeat()));
        return;
      case 'rewrite-setpoint': {
        if (this.options.dryRun) return;
        // Through the write chain, taking the setpoint when its turn comes: a rewrite that took
        // the old value while a newer limit was on the wire would land after it and undo a
        // DNO reduction until the next read-back.
        const run = this.writeChain.then(async () => {
          if (!this.lastSetpointRegs) return;
          await this.bus.write(this.device, this.profile.setpoint.functionCode, this.profile.setpoint.register.address, this.lastSetpointRegs);
        });
        this.writeChain = run.then(
          () => undefined,
          () => undefined,
        );
        await run;
        return;
      }
    }
  }

  async close(): Promise<void> {
    // The bus belongs to the registry, which closes it when its last charger leaves.
  }
}
