// Charging history (Reg 9): every sampleIntervalS the agent records each charger's measured
// current and power, and the energy delivered since the last sample, as one compact
// charger.sample row. It only reads what the charger supervisor already measured (its
// state()), so sampling adds no Modbus traffic and never waits on a charger.
//
// Row data (short keys, a year of rows per charger stays small):
//   a   measured current per phase, A (absent if the charger measures none)
//   w   power, W: the charger's own figure, else estimated from the currents (e: true)
//   wh  energy since the previous sample, Wh (trapezoid of the two powers over the gap;
//       0 after a gap longer than twice the interval or after no reading)
//   lim the limit the charger last acknowledged, A
//   st  IEC 61851 vehicle state; ch true while charging
//   age how old the reading is, ms
import type { Clock } from '../../drivers/clock.js';

/** What the sampler reads of a charger (ChargerSupervisor.state() has these fields). */
export interface SampledCharger {
  readonly id: string;
  state(): {
    connected: boolean;
    appliedLimitA: number | null;
    lastReading: { vehicleState: string; charging?: boolean; currentsA?: number[]; powerW?: number } | null;
    lastReadingAtMs: number | null;
  };
}

export const SAMPLE_KIND = 'charger.sample';
/** Phase voltage for a power estimate when the charger reports currents but no power (GB). */
export const NOMINAL_PHASE_V = 230;

export type SampleData = {
  a?: number[];
  w?: number;
  e?: true;
  wh: number;
  lim: number | null;
  st: string;
  ch?: boolean;
  age: number;
};

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;

export class HistorySampler {
  private timer: unknown = null;
  private readonly last = new Map<string, { atMs: number; w: number | null }>();
  private stopped = false;

  constructor(
    private readonly o: {
      chargers: SampledCharger[];
      intervalMs: number;
      clock: Clock;
      record: (chargerId: string, data: SampleData) => void;
    },
  ) {}

  start(): void {
    if (this.o.intervalMs <= 0) return;
    const tick = () => {
      if (this.stopped) return;
      this.sampleAll();
      this.timer = this.o.clock.setTimeout(tick, this.o.intervalMs);
    };
    this.timer = this.o.clock.setTimeout(tick, this.o.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** One sample of every charger with a reading (exposed for tests). */
  sampleAll(): void {
    const now = this.o.clock.now();
    for (const c of this.o.chargers) {
      const data = this.sample(c, now);
      if (data !== null) this.o.record(c.id, data);
    }
  }

  private sample(c: SampledCharger, now: number): SampleData | null {
    const s = c.state();
    const r = s.lastReading;
    // A reading older than two intervals says nothing about now (charger gone quiet).
    if (r === null || s.lastReadingAtMs === null || now - s.lastReadingAtMs > 2 * this.o.intervalMs) {
      this.last.delete(c.id);
      return null;
    }
    const data: SampleData = { wh: 0, lim: s.appliedLimitA, st: r.vehicleState, age: Math.max(0, now - s.lastReadingAtMs) };
    if (r.charging !== undefined) data.ch = r.charging;
    let w: number | null = null;
    if (r.currentsA !== undefined) data.a = r.currentsA.map((x) => round(x, 2));
    if (r.powerW !== undefined && Number.isFinite(r.powerW)) w = r.powerW;
    else if (r.currentsA !== undefined) {
      w = r.currentsA.reduce((sum, x) => sum + Math.max(0, x), 0) * NOMINAL_PHASE_V;
      data.e = true;
    }
    if (w !== null) data.w = Math.round(w);
    const prev = this.last.get(c.id);
    if (prev !== undefined && w !== null && prev.w !== null && now - prev.atMs <= 2 * this.o.intervalMs) {
      data.wh = round(((prev.w + w) / 2) * ((now - prev.atMs) / 3_600_000), 3);
    }
    this.last.set(c.id, { atMs: now, w });
    return data;
  }
}
