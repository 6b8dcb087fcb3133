// The effects of one step, gathered by kind so they come out in the order the shell carries
// them out: charger limits first (the point of the agent), then read requests to the meter side, then
// event-log rows, then the one wake-at.

import type { Amps, Effect, Ms } from './types.js';
import type { ReadWhat } from './inputs.js';
import type { CoreEventKind, CoreEvents, EventEffect } from './events.js';

export type ExemptReason = 'boost' | 'boost-switch' | 'calendar-randomised' | 'owner-manual-limit' | 'owner-restore-now';

export interface Ctx {
  nowMs: Ms;
  applies: Effect[];
  sends: ReadWhat[];
  events: EventEffect[];
  /** Chargers whose increase in this step is exempt from the restore delay, and why. */
  exempt: Map<string, { reason: ExemptReason; detail: string }>;
  /** resume(): emit every charger's limit even when unchanged. */
  forceEmit: boolean;
  resuming: boolean;
}

export function newCtx(nowMs: Ms): Ctx {
  return { nowMs, applies: [], sends: [], events: [], exempt: new Map(), forceEmit: false, resuming: false };
}

export function emitEvent<K extends CoreEventKind>(ctx: Ctx, kind: K, data: CoreEvents[K], ref: { switchIdx?: number; chargerId?: string } = {}): void {
  const e: EventEffect<K> = { type: 'event', kind, data };
  if (ref.switchIdx !== undefined) e.switchIdx = ref.switchIdx;
  if (ref.chargerId !== undefined) e.chargerId = ref.chargerId;
  // EventEffect<K> is one member of the union, but TypeScript cannot see it for a generic K
  // (correlated unions, microsoft/TypeScript#30581): the signature above is what checks.
  ctx.events.push(e as EventEffect);
}

export function requestRead(ctx: Ctx, what: ReadWhat): void {
  if (!ctx.sends.includes(what)) ctx.sends.push(what);
}

export function applyLimit(ctx: Ctx, chargerId: string, limitA: Amps, explanation: string): void {
  ctx.applies.push({ type: 'apply-limit', chargerId, limitA, explanation });
}

export function exempt(ctx: Ctx, chargerId: string, reason: ExemptReason, detail: string): void {
  if (!ctx.exempt.has(chargerId)) ctx.exempt.set(chargerId, { reason, detail });
}

export function collect(ctx: Ctx, wakeAtMs: Ms | null): Effect[] {
  const out: Effect[] = [...ctx.applies];
  for (const what of ctx.sends) out.push({ type: 'request-read', what });
  out.push(...ctx.events);
  if (wakeAtMs !== null) out.push({ type: 'wake-at', atMs: wakeAtMs });
  return out;
}
