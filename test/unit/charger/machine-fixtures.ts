// Builders for the charger machine's tests: a config, the facts connect() reports, and a
// runner that feeds inputs at explicit times (the clock is just numbers, as in the core's).

import type { Test } from 'tap';
import type { FailsafeReport } from '../../../drivers/charger/profile-driver.js';
import { initialState, step } from '../../../drivers/charger/machine/step.js';
import type { ChargerFacts, MachineConfig, MachineEffect, MachineInput, MachineState, TimerName } from '../../../drivers/charger/machine/types.js';

export const T0 = Date.UTC(2026, 10, 30, 6, 0, 0);
export const S = 1000;

export function makeConfig(p: Partial<MachineConfig> = {}): MachineConfig {
  return {
    profileId: 'test-profile',
    dryRun: false,
    verify: { windowMs: 20 * S, pollMs: 2 * S, toleranceA: 1, tolerancePct: 10, retries: 2 },
    readBackPeriodMs: 30 * S,
    reconnect: { initialMs: 1000, maxMs: 60_000 },
    blindRewriteMs: null,
    readingPeriodMs: 10 * S,
    maxFailedCycles: 3,
    writeRetry: { initialMs: 250, maxMs: 5000 },
    ...p,
  };
}

export const goodFailsafe: FailsafeReport = {
  wrote: { currentA: 6, timeoutS: 15 },
  readBack: { currentA: 6, timeoutS: 15 },
  timeoutS: 15,
  timeoutSource: 'written',
  ok: true,
  notes: [],
};

export function makeFacts(p: Partial<ChargerFacts> = {}): ChargerFacts {
  return { keepAliveKind: 'heartbeat-value', limitReadable: true, canReenable: false, keepAlivePeriodMs: 5 * S, failsafe: goodFailsafe, ...p };
}

export type Timed = [offsetMs: number, input: MachineInput];

export interface Run {
  state: MachineState;
  /** The effects of the last input. */
  effects: MachineEffect[];
  all: MachineEffect[][];
}

export function run(config: MachineConfig, inputs: Timed[], from?: MachineState): Run {
  let state = from ?? initialState();
  const all: MachineEffect[][] = [];
  for (const [off, input] of inputs) {
    const r = step(config, state, input, T0 + off);
    state = r.state;
    all.push(r.effects);
  }
  return { state, effects: all.at(-1) ?? [], all };
}

/** A request as text: "lane:op" ("write:write 10" for a write). */
export function requests(effects: MachineEffect[]): string[] {
  return effects.flatMap((e) => (e.type === 'request' ? [`${e.lane}:${e.request.op === 'write' ? `write ${e.request.limitA}` : e.request.op}`] : []));
}

export function events(effects: MachineEffect[]): string[] {
  return effects.flatMap((e) => (e.type === 'emit' ? [e.kind] : []));
}

export function eventData(effects: MachineEffect[], kind: string): Record<string, unknown> | undefined {
  const e = effects.find((x) => x.type === 'emit' && x.kind === kind);
  return e?.type === 'emit' ? e.data : undefined;
}

/** Timers set, as "name@offset from T0". */
export function timers(effects: MachineEffect[]): string[] {
  return effects.flatMap((e) => (e.type === 'set-timer' ? [`${e.timer}@${e.atMs - T0}`] : e.type === 'clear-timer' ? [`-${e.timer}`] : []));
}

// Inputs, short.
export const start: MachineInput = { type: 'start' };
export const connected = (f: Partial<ChargerFacts> = {}): MachineInput => ({ type: 'connected', facts: makeFacts(f) });
export const connectFailed: MachineInput = { type: 'connect-failed', error: 'connection refused', lost: true };
export const fed: MachineInput = { type: 'fed' };
export const feedFailed = (lost: boolean): MachineInput => ({ type: 'feed-failed', error: lost ? 'Port Not Open' : 'no answer', lost });
export const setLimit = (limitA: number, explanation = 'x'): MachineInput => ({ type: 'set-limit', limitA, explanation });
export const written = (limitA: number, ok = true): MachineInput => ({
  type: 'written',
  outcome: ok ? { ok, limitA, readBackA: limitA, durationMs: 3 } : { ok, limitA, error: 'no answer', durationMs: 1000 },
});
export const timer = (name: TimerName, reconnected = false): MachineInput => ({ type: 'timer', timer: name, reconnected });
export const readBack = (valueA: number | null, kind: 'setpoint' | 'applied' = 'setpoint'): MachineInput => ({
  type: 'read-back',
  value: valueA === null ? null : { valueA, kind },
});
export const reading = (lane: 'cycle' | 'verify', currentsA?: number[]): MachineInput => ({
  type: 'reading',
  lane,
  reading: currentsA === undefined ? { vehicleState: 'C' } : { vehicleState: 'C', charging: true, currentsA },
});

/** Connected, fed, limit written at connect and acknowledged: the common starting point. */
export function connectedWith(limitA: number | null, config = makeConfig(), f: Partial<ChargerFacts> = {}): Run {
  const steps: Timed[] = [[0, start]];
  if (limitA !== null) steps.push([0, setLimit(limitA)]);
  steps.push([0, connected(f)], [0, fed]);
  if (limitA !== null) steps.push([0, written(limitA)]);
  return run(config, steps);
}

export interface Case {
  name: string;
  config?: Partial<MachineConfig>;
  /** Inputs that bring the machine to the state under test. */
  given: (config: MachineConfig) => MachineState;
  /** The input under test, at T0 + offset. */
  input: Timed;
  requests?: string[];
  events?: string[];
  data?: Array<[kind: string, subset: Record<string, unknown>]>;
  timers?: string[];
  state?: (s: MachineState, t: Test) => void;
}

export function runTable(t: Test, cases: Case[]): void {
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const config = makeConfig(c.config);
      const r = run(config, [c.input], c.given(config));
      if (c.requests) t.same(requests(r.effects), c.requests, 'requests');
      if (c.events) t.same(events(r.effects), c.events, 'events');
      for (const [kind, subset] of c.data ?? []) t.match(eventData(r.effects, kind), subset, `${kind} data`);
      if (c.timers) t.same(timers(r.effects), c.timers, 'timers');
      c.state?.(r.state, t);
    });
  }
}
