// What the agent may believe right after a start. The meter owns the switches; until it has
// spoken in this process, neither a saved "closed" nor an empty memory is evidence that a
// switch is closed. So, until the meter confirms a bound switch (a SWITCH line for it, or an
// END what=switches closing a READ answer), the switch counts as open: its chargers are capped
// at their reduced current. Reg 7 still holds: once stale + hold have passed since the start
// (or the stale episode carried over a restart ran out), link.fallback applies instead.
//
// Writing the capped value at once would dip every charger at every routine restart, so a
// charger whose saved limit is above the cap (or that has no saved limit) is not written at
// all until the meter answers or the start grace ends; a charger whose saved limit is within
// the cap (a saved open) is written again at once. When the hold ends, a charger that may
// have dropped to its failsafe meanwhile (a cold start: never written, or down longer than a
// stale period, or an unknown downtime) is taken to stand at its reduced current, so any rise
// above it waits the random restore delay: after a street's power cut the chargers come
// back spread out, not all at once.

import type { Amps, BindingSpec, ChargerSpec, CoreConfig, Ms } from './types.js';
import type { BootRecord, CoreState, SwitchRecord } from './state.js';
import { emitEvent, requestRead, type Ctx } from './ctx.js';
import { clampLimit } from './claims.js';

export const DEFAULT_START_GRACE_MS = 10_000;

export function startGraceMs(config: CoreConfig): Ms {
  const g = config.link.startGraceMs;
  return g !== undefined && Number.isFinite(g) && g >= 0 ? g : DEFAULT_START_GRACE_MS;
}

export function newBoot(config: CoreConfig, nowMs: Ms, cold: boolean): BootRecord {
  return { sinceMs: nowMs, graceEndMs: nowMs + startGraceMs(config), cold, confirmed: [], allConfirmedMs: null, graceEnded: false, fallbackRecorded: false };
}

/** Has the meter told this process the state of the switch behind this binding? */
export function confirmed(state: CoreState, sw: SwitchRecord | null): boolean {
  const boot = state.boot;
  if (boot === null || boot.allConfirmedMs !== null) return true;
  return sw !== null && boot.confirmed.includes(sw.idx);
}

/** From this time an unconfirmed switch no longer caps: stale + hold have passed since the start. */
export function unconfirmedEndMs(config: CoreConfig, state: CoreState): Ms | null {
  return state.boot === null ? null : state.boot.sinceMs + config.link.staleAfterMs + config.link.holdMs;
}

export function graceOver(state: CoreState, nowMs: Ms): boolean {
  return state.boot === null || nowMs >= state.boot.graceEndMs;
}

/** The lowest reduced current among a charger's bindings, as the charger can signal it. */
export function reducedOf(config: CoreConfig, charger: ChargerSpec): Amps | null {
  let low: Amps | null = null;
  for (const b of config.bindings) {
    if (!b.chargerIds.includes(charger.id)) continue;
    const a = clampLimit(charger, b.reducedCurrentA).limitA;
    if (low === null || a < low) low = a;
  }
  return low;
}

/** A SWITCH line for idx: the meter has spoken about it. */
export function onConfirmSwitch(config: CoreConfig, state: CoreState, idx: number, ctx: Ctx): void {
  const boot = state.boot;
  if (boot === null || boot.allConfirmedMs !== null || boot.confirmed.includes(idx)) return;
  const before = unconfirmedBound(config, state);
  boot.confirmed.push(idx);
  if (before.length > 0 && unconfirmedBound(config, state).length === 0) {
    emitEvent(ctx, 'start.confirmed', { by: 'switch', idx, afterMs: ctx.nowMs - boot.sinceMs });
  }
}

/** END what=switches: the meter's whole state is known. */
export function onConfirmAll(config: CoreConfig, state: CoreState, ctx: Ctx): void {
  const boot = state.boot;
  if (boot === null || boot.allConfirmedMs !== null) return;
  const pending = unconfirmedBound(config, state);
  boot.allConfirmedMs = ctx.nowMs;
  if (pending.length > 0) emitEvent(ctx, 'start.confirmed', { by: 'read', unconfirmed: pending, afterMs: ctx.nowMs - boot.sinceMs });
}

/** Bound switches (by number, or by device where found) the meter has not confirmed. */
export function unconfirmedBound(config: CoreConfig, state: CoreState): number[] {
  const boot = state.boot;
  if (boot === null || boot.allConfirmedMs !== null) return [];
  const out = new Set<number>();
  for (const b of config.bindings) {
    const idx = bindingIdx(state, b);
    if (idx !== null && !boot.confirmed.includes(idx)) out.add(idx);
  }
  return [...out].sort((a, z) => a - z);
}

function bindingIdx(state: CoreState, b: BindingSpec): number | null {
  if (b.switchIdx !== undefined) return b.switchIdx;
  let best: SwitchRecord | null = null;
  for (const rec of Object.values(state.switches)) if (rec.dev === b.dev && (best === null || rec.lastReportMs > best.lastReportMs)) best = rec;
  return best?.idx ?? -1;
}

/** Time passing: the grace ends (the held writes go out) and, later, the unconfirmed cap gives way. */
export function advanceBoot(config: CoreConfig, state: CoreState, ctx: Ctx): void {
  const boot = state.boot;
  if (boot === null) return;
  const now = ctx.nowMs;
  if (!boot.graceEnded && now >= boot.graceEndMs) {
    boot.graceEnded = true;
    const unconfirmed = unconfirmedBound(config, state);
    const held = Object.entries(state.chargers)
      .filter(([, r]) => r.held)
      .map(([id]) => id);
    if (unconfirmed.length > 0 || held.length > 0) {
      emitEvent(ctx, 'start.grace-ended', { graceMs: startGraceMs(config), unconfirmed, heldChargers: held });
      if (unconfirmed.length > 0) requestRead(ctx, 'switches');
    }
  }
  const end = unconfirmedEndMs(config, state);
  if (!boot.fallbackRecorded && end !== null && now >= end) {
    boot.fallbackRecorded = true;
    const unconfirmed = unconfirmedBound(config, state);
    if (unconfirmed.length > 0)
      emitEvent(ctx, 'start.unconfirmed-fallback', { unconfirmed, fallback: config.link.fallback, sinceMs: boot.sinceMs, endMs: end });
  }
}

/** The next time advanceBoot has something to do. */
export function nextBootWakeMs(config: CoreConfig, state: CoreState): Ms | null {
  const boot = state.boot;
  if (boot === null) return null;
  const held = Object.values(state.chargers).some((r) => r.held);
  if (!boot.graceEnded && held) return boot.graceEndMs;
  const end = unconfirmedEndMs(config, state);
  if (!boot.fallbackRecorded && end !== null && unconfirmedBound(config, state).length > 0) return end;
  return null;
}
