// What one step carries while it runs: the time, the effects asked for so far, and whether
// the bus reports a reconnect. Handlers append effects here instead of doing anything.

import type { WriteOutcome } from '../charger.js';
import type { Lane, MachineConfig, MachineEffect, MachineState, Request, TimerName } from './types.js';
import type { ChargerEventEffect, ChargerEventKind, ChargerEvents } from '../events.js';

export interface Ctx {
  config: MachineConfig;
  nowMs: number;
  reconnected: boolean;
  effects: MachineEffect[];
  /** Set when a write chain ended in this step: the lane waiting on it goes on. */
  writeDone: { outcome: WriteOutcome | null } | null;
}

export function emit<K extends ChargerEventKind>(ctx: Ctx, kind: K, data: ChargerEvents[K]): void {
  const e: ChargerEventEffect<K> = { type: 'emit', kind, data };
  // ChargerEventEffect<K> is one member of the union, but TypeScript cannot see it for a
  // generic K (correlated unions, microsoft/TypeScript#30581): the signature above is what checks.
  ctx.effects.push(e as ChargerEventEffect);
}

export function request(ctx: Ctx, lane: Lane, req: Request): void {
  ctx.effects.push({ type: 'request', lane, request: req });
}

export function setTimer(s: MachineState, ctx: Ctx, timer: TimerName, inMs: number): void {
  s.timers[timer] = true;
  ctx.effects.push({ type: 'set-timer', timer, atMs: ctx.nowMs + inMs });
}

export function clearTimer(s: MachineState, ctx: Ctx, timer: TimerName): void {
  if (!s.timers[timer]) return;
  s.timers[timer] = false;
  ctx.effects.push({ type: 'clear-timer', timer });
}

/** Two currents closer than this are the same (register scaling rounds). */
export const EPS_A = 0.01;

/** The charger acknowledged this limit (the last write of it was answered). */
export function holds(s: MachineState, limitA: number): boolean {
  return s.appliedA !== null && Math.abs(s.appliedA - limitA) < EPS_A;
}

/** The keep-alive period; chargers without a keep-alive are read back on their own period. */
export function periodMs(s: MachineState, ctx: Ctx): number {
  return s.facts?.keepAlivePeriodMs ?? ctx.config.readBackPeriodMs;
}
