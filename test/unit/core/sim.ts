// Random configs and input sequences for the property tests, and a shell simulator: it feeds
// each input after its time gap, ticks at every wake-at the core asked for on the way (as the
// runtime does), persists the state through JSON after every step, and restarts on demand
// through resume(). Inputs are plain data so a shrunk counterexample reads as a story.

import fc from 'fast-check';
import type { CoreConfig, Effect, Input } from '../../../agent/core/types.js';
import type { SwitchCause } from '../../../agent/core/inputs.js';
import { initialState, resume, step, type CoreState } from '../../../agent/core/index.js';
import { DEV_A, DEV_B, MIN, S, T0 } from './fixtures.js';

/** An input, a restart, or an owner's restore-now that waited `waitedMs` in the command queue
 *  (simulate() turns it into the input with the time the owner asked). */
export type Action = Input | { type: 'restart' } | { type: 'queued-restore-now'; waitedMs: number };
export interface Item {
  gapMs: number;
  action: Action;
}

export interface Trace {
  kind: 'step' | 'tick' | 'resume';
  atMs: number;
  /** What the core was given (a queued restore-now as the input it became). */
  input: Input | { type: 'restart' } | null;
  before: CoreState;
  after: CoreState;
  effects: Effect[];
}

const causes: SwitchCause[] = ['dno', 'supplier', 'calendar', 'boost', 'reset', 'unknown'];

export const configArb: fc.Arbitrary<CoreConfig> = fc
  .record({
    chargers: fc.uniqueArray(
      fc.record({
        id: fc.constantFrom('a', 'b', 'c'),
        minCurrentA: fc.constant(6),
        maxCurrentA: fc.constantFrom(10, 16, 32),
        allowPause: fc.boolean(),
      }),
      { minLength: 1, maxLength: 3, selector: (c) => c.id },
    ),
    bindingSeeds: fc.array(
      fc.record({
        switchIdx: fc.integer({ min: 1, max: 3 }),
        dev: fc.option(fc.constant(DEV_A), { nil: undefined, freq: 3 }),
        pick: fc.integer({ min: 1, max: 7 }),
        reducedCurrentA: fc.constantFrom(0, 4, 6, 8, 10),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    liftsDnoOpen: fc.boolean(),
    policy: fc.constantFrom('warn' as const, 'enforce' as const),
    holdMs: fc.constantFrom(0, 5 * MIN, 10 * MIN),
    fallback: fc.constantFrom('normal' as const, 'reduced' as const),
    maxDelayMs: fc.constantFrom(0, 30 * S, 600 * S),
    ramp: fc.option(fc.record({ stepA: fc.constantFrom(2, 4), intervalMs: fc.constant(10 * S) }), { nil: undefined }),
    meterRandomisesCalendar: fc.boolean(),
    siteCapA: fc.option(fc.constantFrom(12, 20, 40), { nil: undefined, freq: 3 }),
  })
  .map((r) => {
    const ids = r.chargers.map((c) => c.id);
    const cfg: CoreConfig = {
      chargers: r.chargers,
      bindings: r.bindingSeeds.map((b) => {
        const chosen = ids.filter((_, i) => (b.pick >> i) & 1);
        const out: CoreConfig['bindings'][number] = {
          switchIdx: b.switchIdx,
          chargerIds: chosen.length > 0 ? chosen : [ids[0]!],
          reducedCurrentA: b.reducedCurrentA,
        };
        if (b.dev !== undefined) out.dev = b.dev;
        return out;
      }),
      boost: { liftsDnoOpen: r.liftsDnoOpen },
      labels: { pattern: 'ev|charg', flags: 'i', policy: r.policy },
      link: { staleAfterMs: 60 * S, holdMs: r.holdMs, fallback: r.fallback },
      restore: { maxDelayMs: r.maxDelayMs, meterRandomisesCalendar: r.meterRandomisesCalendar },
    };
    if (r.ramp) cfg.restore.ramp = r.ramp;
    if (r.siteCapA !== undefined) cfg.siteCapA = r.siteCapA;
    return cfg;
  });

const seqArb = fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined, freq: 2 });

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record({
        idx: fc.integer({ min: 1, max: 4 }),
        state: fc.constantFrom('open' as const, 'closed' as const),
        cause: fc.constantFrom(...causes),
        durMin: fc.constantFrom(undefined, 1, 5, 30),
        dev: fc.constantFrom(undefined, undefined, DEV_A, DEV_B),
        seq: seqArb,
      })
      .map(({ idx, state, cause, durMin, dev, seq }): Action => {
        const m: Extract<Input, { type: 'han' }>['message'] = { verb: 'SWITCH', idx, state, cause, type: 'HCALCS' };
        if (durMin !== undefined) m.durMin = durMin;
        if (dev !== undefined) m.dev = dev;
        if (seq !== undefined) m.seq = seq;
        return { type: 'han', message: m };
      }),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ idx: fc.integer({ min: 1, max: 4 }), text: fc.constantFrom('EV Charger', 'Heat pump') })
      .map(({ idx, text }): Action => ({ type: 'han', message: { verb: 'LABEL', idx, text } })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ loads: fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }), periodMin: fc.constantFrom(1, 5, 30) })
      .map(({ loads, periodMin }): Action => ({ type: 'han', message: { verb: 'BOOSTCFG', loads, periodMin } })),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom<Action>(
      { type: 'han', message: { verb: 'BOOST', action: 'press' } },
      { type: 'han', message: { verb: 'BOOST', action: 'cancel' } },
    ),
  },
  { weight: 3, arbitrary: seqArb.map((seq): Action => ({ type: 'han', message: seq === undefined ? { verb: 'HB' } : { verb: 'HB', seq } })) },
  { weight: 1, arbitrary: fc.constant<Action>({ type: 'han', message: { verb: 'END', what: 'switches' } }) },
  { weight: 1, arbitrary: fc.constantFrom<Action>({ type: 'link-up' }, { type: 'link-down', error: 'EIO' }) },
  { weight: 2, arbitrary: fc.constant<Action>({ type: 'tick' }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Action>({ type: 'han-rejected', reason: 'bad_checksum', line: 'HB*00' }, { type: 'han-ignored', verb: 'TARIFF' }),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * MIN })).map((waitedMs): Action => ({ type: 'queued-restore-now', waitedMs })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ chargerId: fc.constantFrom('a', 'b', 'c', 'x'), limitA: fc.constantFrom(null, 0, 6, 10, 20) })
      .map(({ chargerId, limitA }): Action => ({ type: 'owner-manual-limit', chargerId, limitA })),
  },
  { weight: 2, arbitrary: fc.constant<Action>({ type: 'restart' }) },
);

const gapArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0, S, 10 * S, 59 * S, 61 * S) },
  { weight: 2, arbitrary: fc.constantFrom(2 * MIN, 5 * MIN, 11 * MIN) },
  { weight: 1, arbitrary: fc.constantFrom(31 * MIN, 70 * MIN) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 15 * MIN }) },
);

export const itemsArb: fc.Arbitrary<Item[]> = fc.array(fc.record({ gapMs: gapArb, action: actionArb }), { minLength: 1, maxLength: 60 });
export const seedArb = fc.integer({ min: 0, max: 0xffffffff });

/** Runs a sequence as the shell would; `roundTrip` persists the state through JSON each step. */
export function simulate(config: CoreConfig, items: Item[], seed: number, roundTrip = true): Trace[] {
  const trace: Trace[] = [];
  let state = initialState(config, seed);
  let now = T0;
  let wake: number | null = null;
  const persist = (s: CoreState): CoreState => (roundTrip ? (JSON.parse(JSON.stringify(s)) as CoreState) : s);
  const record = (kind: Trace['kind'], input: Trace['input'], r: { state: CoreState; effects: Effect[] }, before: CoreState): void => {
    trace.push({ kind, atMs: now, input, before, after: r.state, effects: r.effects });
    const w = r.effects.find((e): e is Extract<Effect, { type: 'wake-at' }> => e.type === 'wake-at');
    wake = w ? w.atMs : null;
    state = persist(r.state);
  };
  for (const item of items) {
    const target = now + item.gapMs;
    for (let n = 0; n < 200 && wake !== null && wake <= target && trace.length > 0; n++) {
      now = Math.max(now, wake);
      const before = state;
      record('tick', { type: 'tick' }, step(config, state, { type: 'tick' }, now), before);
    }
    now = target;
    const before = state;
    if (item.action.type === 'restart') {
      if (trace.length === 0) continue;
      record('resume', { type: 'restart' }, resume(config, JSON.parse(JSON.stringify(state)), now), before);
    } else {
      const input: Input = item.action.type === 'queued-restore-now' ? { type: 'owner-restore-now', issuedMs: now - item.action.waitedMs } : item.action;
      record('step', input, step(config, state, input, now), before);
    }
  }
  return trace;
}

/** Keeps ticking at every wake-at until `untilMs` (the runtime left alone). */
export function idle(config: CoreConfig, last: Trace, untilMs: number): Trace[] {
  const out: Trace[] = [];
  let state = last.after;
  let effects = last.effects;
  let now = last.atMs;
  for (let n = 0; n < 2000; n++) {
    const w = effects.find((e): e is Extract<Effect, { type: 'wake-at' }> => e.type === 'wake-at');
    if (!w || w.atMs > untilMs) break;
    now = Math.max(now, w.atMs);
    const r = step(config, state, { type: 'tick' }, now);
    out.push({ kind: 'tick', atMs: now, input: { type: 'tick' }, before: state, after: r.state, effects: r.effects });
    state = r.state;
    effects = r.effects;
  }
  return out;
}
