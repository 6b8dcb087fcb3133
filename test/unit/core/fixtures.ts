// Shared builders for the core tests: a config, HAN messages, and a runner that feeds
// inputs at explicit times (the fake clock is just numbers).

import type { Test } from 'tap';
import type { CoreConfig, Effect, Input } from '../../../agent/core/types.js';
import type { MeterReport, SwitchCause, SwitchReport } from '../../../agent/core/inputs.js';
import { readLine } from '../../../drivers/han/read.js';
import { initialState, resume, step, type CoreState } from '../../../agent/core/index.js';

export const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
export const S = 1000;
export const MIN = 60_000;
export const DEV_A = '00-DB-12-34-56-78-90-97';
export const DEV_B = '00-DB-12-34-56-78-90-98';

export interface ConfigPatch {
  chargers?: CoreConfig['chargers'];
  bindings?: CoreConfig['bindings'];
  boost?: Partial<CoreConfig['boost']>;
  labels?: Partial<CoreConfig['labels']>;
  link?: Partial<CoreConfig['link']>;
  restore?: Partial<CoreConfig['restore']>;
  siteCapA?: number;
}

export function makeConfig(p: ConfigPatch = {}): CoreConfig {
  const cfg: CoreConfig = {
    chargers: p.chargers ?? [{ id: 'c1', minCurrentA: 6, maxCurrentA: 32, allowPause: false }],
    bindings: p.bindings ?? [{ switchIdx: 2, chargerIds: ['c1'], reducedCurrentA: 6 }],
    boost: { liftsDnoOpen: true, ...p.boost },
    labels: { pattern: 'ev|charg', flags: 'i', policy: 'warn', ...p.labels },
    link: { staleAfterMs: 60 * S, holdMs: 10 * MIN, fallback: 'normal', ...p.link },
    restore: { maxDelayMs: 0, meterRandomisesCalendar: false, ...p.restore },
  };
  if (p.siteCapA !== undefined) cfg.siteCapA = p.siteCapA;
  return cfg;
}

export const han = (message: MeterReport): Input => ({ type: 'han', message });

export function sw(
  idx: number,
  state: 'open' | 'closed',
  cause: SwitchCause = 'dno',
  extra: Partial<Omit<SwitchReport, 'verb' | 'idx' | 'state' | 'cause'>> = {},
): Input {
  return han({ verb: 'SWITCH', idx, state, cause, type: 'HCALCS', ...extra });
}
export const label = (idx: number, text: string): Input => han({ verb: 'LABEL', idx, text });
export const boostCfg = (loads: number[], periodMin = 60): Input => han({ verb: 'BOOSTCFG', loads, periodMin });
export const press: Input = han({ verb: 'BOOST', action: 'press' });
export const cancel: Input = han({ verb: 'BOOST', action: 'cancel' });
export const hb = (seq?: number): Input => han(seq === undefined ? { verb: 'HB' } : { verb: 'HB', seq });
export const endSwitches: Input = han({ verb: 'END', what: 'switches' });
export const tick: Input = { type: 'tick' };

export type Timed = [offsetMs: number, input: Input];

export interface Run {
  state: CoreState;
  effects: Effect[];
  all: Effect[][];
}

/** Feeds inputs at T0 + offset, in order. `from` continues an earlier run. */
export function run(config: CoreConfig, inputs: Timed[], from?: CoreState, seed = 1): Run {
  let state = from ?? initialState(config, seed);
  const all: Effect[][] = [];
  for (const [off, input] of inputs) {
    const r = step(config, state, input, T0 + off);
    state = r.state;
    all.push(r.effects);
  }
  return { state, effects: all[all.length - 1] ?? [], all };
}

export function resumeAt(config: CoreConfig, state: CoreState, offMs: number): Run {
  const r = resume(config, JSON.parse(JSON.stringify(state)), T0 + offMs);
  return { state: r.state, effects: r.effects, all: [r.effects] };
}

export function limits(effects: Effect[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of effects) if (e.type === 'apply-limit') out[e.chargerId] = e.limitA;
  return out;
}

export function explanations(effects: Effect[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of effects) if (e.type === 'apply-limit') out[e.chargerId] = e.explanation;
  return out;
}

export function events(effects: Effect[], kind?: string): Array<Extract<Effect, { type: 'event' }>> {
  return effects.filter((e): e is Extract<Effect, { type: 'event' }> => e.type === 'event' && (kind === undefined || e.kind === kind));
}

export function kinds(effects: Effect[]): string[] {
  return events(effects).map((e) => e.kind);
}

export function sends(effects: Effect[]): string[] {
  // As lines, so a case reads as the wire would: the HAN layer spells the request.
  return effects.flatMap((e) => (e.type === 'request-read' ? [readLine(e.what)] : []));
}

export function wakes(effects: Effect[]): number[] {
  return effects.flatMap((e) => (e.type === 'wake-at' ? [e.atMs] : []));
}

export function applied(state: CoreState): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [id, r] of Object.entries(state.chargers)) out[id] = r.appliedA;
  return out;
}

export interface Case {
  name: string;
  config?: ConfigPatch;
  /** Inputs before the one under test (their effects are not checked). */
  start?: Timed[];
  input: Timed;
  /** The exact apply-limit effects of the step under test ({} = none). */
  limits?: Record<string, number>;
  /** The applied limits in the state after the step. */
  applied?: Record<string, number>;
  /** Event kinds that must appear in the step, in this order (others may be between). */
  events?: string[];
  noEvents?: string[];
  /** Exact read-request lines of the step. */
  sends?: string[];
  /** The charger explanations after the step. */
  explain?: Record<string, RegExp>;
  /** Data an event of the step must carry (a subset match). */
  data?: Array<[kind: string, data: Record<string, unknown>]>;
  wake?: number;
}

function inOrder(have: string[], want: string[]): boolean {
  let i = 0;
  for (const k of have) if (k === want[i]) i++;
  return i === want.length;
}

export function runTable(t: Test, cases: Case[]): void {
  for (const c of cases) {
    t.test(c.name, (t) => {
      const config = makeConfig(c.config);
      const before = run(config, c.start ?? []);
      const r = run(config, [c.input], c.start && c.start.length > 0 ? before.state : undefined);
      const eff = r.effects;
      if (c.limits) t.same(limits(eff), c.limits, 'apply-limit effects');
      if (c.applied) t.same(applied(r.state), c.applied, 'applied limits');
      if (c.events) t.ok(inOrder(kinds(eff), c.events), `events ${c.events.join(', ')} in ${kinds(eff).join(', ')}`);
      for (const k of c.noEvents ?? []) t.notOk(kinds(eff).includes(k), `no ${k} event`);
      if (c.sends) t.same(sends(eff), c.sends, 'read-request lines');
      for (const [id, re] of Object.entries(c.explain ?? {})) t.match(r.state.chargers[id]?.explanation, re, `explanation of ${id}`);
      for (const [kind, data] of c.data ?? []) {
        const found = events(eff, kind);
        t.ok(found.length > 0, `an event ${kind}`);
        t.match(found[0]?.data, data, `data of ${kind}`);
      }
      if (c.wake !== undefined) t.same(wakes(eff), [c.wake], 'wake-at');
      t.equal(wakes(eff).length <= 1, true, 'at most one wake-at');
      t.end();
    });
  }
}
