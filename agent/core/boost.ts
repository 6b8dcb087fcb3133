// The Boost Button (SRV 7.9/7.10/7.11). BOOSTCFG says which switches are on the button and
// the period; a press grants an override, for the period, only to the switches on the button
// at the moment of the press. Rules the standard leaves open, made explicit here:
// - a press while a boost runs restarts the period for the switches on the button then;
// - a press before any BOOSTCFG grants nothing (the assignment is unknown) and asks for it;
// - removing a switch from the button ends its boost at once; a period change leaves running
//   boosts to their granted end;
// - a granted boost lifts an open with cause=dno only when boost.liftsDnoOpen is true.

import type { BoostConfigReport } from './inputs.js';
import type { CoreConfig, Ms } from './types.js';
import type { BoostGrant, CoreState, SwitchRecord } from './state.js';
import { boundIdxs, chargersOfIdx } from './bindings.js';
import { emitEvent, exempt, requestRead, type Ctx } from './ctx.js';
import { clockText, MINUTE_MS } from './time.js';

export function onBoostConfig(state: CoreState, msg: BoostConfigReport, ctx: Ctx): void {
  const wasKnown = state.boost.loads !== null;
  const before = state.boost.loads ?? [];
  const loads = [...new Set(msg.loads)].sort((a, z) => a - z);
  const added = loads.filter((i) => !before.includes(i));
  const removed = before.filter((i) => !loads.includes(i));
  state.boost.loads = loads;
  state.boost.periodMin = msg.periodMin;
  state.boost.configMs = ctx.nowMs;
  emitEvent(ctx, 'boost.config', { loads, periodMin: msg.periodMin, added, removed, firstConfig: !wasKnown });
  for (const key of Object.keys(state.boost.active).sort()) {
    const idx = Number(key);
    if (loads.includes(idx)) continue;
    endBoost(state, idx, 'removed-from-button', ctx);
  }
}

export function onBoostPress(config: CoreConfig, state: CoreState, ctx: Ctx): void {
  const now = ctx.nowMs;
  state.boost.lastPressMs = now;
  const bound = boundIdxs(config, state);
  const loads = state.boost.loads;
  const periodMin = state.boost.periodMin;
  emitEvent(ctx, 'boost.press', { loads, periodMin, known: loads !== null, rule: 'press-restarts-period' });
  if (loads === null || periodMin === null) {
    requestRead(ctx, 'boost');
    for (const idx of bound) deny(state, idx, 'Boost Button details not known yet (no BOOSTCFG received)', ctx);
    return;
  }
  const untilMs = now + periodMin * MINUTE_MS;
  for (const idx of loads) {
    const renewed = state.boost.active[String(idx)] !== undefined;
    state.boost.active[String(idx)] = { sinceMs: now, untilMs };
    delete state.boost.denials[String(idx)];
    const sw = state.switches[String(idx)] ?? null;
    const rule = liftRule(config, sw);
    emitEvent(
      ctx,
      'boost.granted',
      { idx, untilMs, periodMin, renewed, bound: bound.includes(idx), liftsOpen: rule.lifts, rule: rule.rule },
      { switchIdx: idx },
    );
    // Only a boost that lifts something speaks for the consumer's wish to charge now.
    if (rule.lifts) for (const id of chargersOfIdx(config, state, idx)) exempt(ctx, id, 'boost', `boost on switch ${idx}`);
  }
  for (const idx of bound) {
    if (!loads.includes(idx)) deny(state, idx, `switch ${idx} not on the Boost Button`, ctx);
  }
}

function deny(state: CoreState, idx: number, reason: string, ctx: Ctx): void {
  state.boost.denials[String(idx)] = { atMs: ctx.nowMs, reason };
  emitEvent(ctx, 'boost.denied', { idx, reason }, { switchIdx: idx });
}

export function onBoostCancel(state: CoreState, ctx: Ctx): void {
  const active = Object.keys(state.boost.active)
    .map(Number)
    .sort((a, z) => a - z);
  emitEvent(ctx, 'boost.cancel', { active });
  for (const idx of active) endBoost(state, idx, 'cancelled', ctx);
}

function endBoost(state: CoreState, idx: number, reason: 'period' | 'cancelled' | 'removed-from-button', ctx: Ctx): void {
  const g = state.boost.active[String(idx)];
  if (!g) return;
  delete state.boost.active[String(idx)];
  emitEvent(ctx, 'boost.ended', { idx, reason, sinceMs: g.sinceMs, untilMs: g.untilMs }, { switchIdx: idx });
}

/** Boosts end by wall time, also across a restart. */
export function expireBoosts(state: CoreState, ctx: Ctx): void {
  for (const key of Object.keys(state.boost.active).sort()) {
    const g = state.boost.active[key];
    if (g && ctx.nowMs >= g.untilMs) endBoost(state, Number(key), 'period', ctx);
  }
}

export function activeBoost(state: CoreState, idx: number, nowMs: Ms): BoostGrant | null {
  const g = state.boost.active[String(idx)];
  return g && nowMs < g.untilMs ? g : null;
}

export function liftRule(config: CoreConfig, sw: SwitchRecord | null): { lifts: boolean; rule: string } {
  if (sw && sw.cause === 'dno') {
    return { lifts: config.boost.liftsDnoOpen, rule: `boost.liftsDnoOpen=${String(config.boost.liftsDnoOpen)}` };
  }
  return { lifts: true, rule: 'boost lifts opens not caused by a dno' };
}

/** What an active boost does to this switch's cap, for the explanation. */
export function boostEffect(config: CoreConfig, state: CoreState, sw: SwitchRecord, nowMs: Ms): { lifts: boolean; text: string } | null {
  const g = activeBoost(state, sw.idx, nowMs);
  if (!g) return null;
  const r = liftRule(config, sw);
  return r.lifts
    ? { lifts: true, text: `boost on switch ${sw.idx} until ${clockText(g.untilMs)} lifts it (${r.rule})` }
    : { lifts: false, text: `boost on switch ${sw.idx} until ${clockText(g.untilMs)} does not lift a dno open (${r.rule})` };
}

/** Is the switch on the Boost Button as far as we know? null: the assignment is unknown. */
export function onButton(state: CoreState, idx: number): boolean | null {
  return state.boost.loads === null ? null : state.boost.loads.includes(idx);
}
