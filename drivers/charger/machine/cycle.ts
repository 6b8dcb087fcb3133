// One keep-alive period: read the limit back (heal), keep-alive, a reading when one is due,
// a re-enable after periods without an answer. Each waits for the answer before the next.

import type { ChargerReading, WriteOutcome } from '../charger.js';
import { emit, EPS_A, periodMs, request, type Ctx } from './ctx.js';
import { markDisconnected, recommissionIfReconnected, scheduleTick } from './connect.js';
import type { Failure, MachineState, TickFlags } from './types.js';
import { noteReading } from './verify.js';
import { startWrite } from './write.js';

/** Timers fire a little early or late; a period that has all but passed counts as passed. */
const EPS_MS = 5;

export function onTick(s: MachineState, ctx: Ctx): void {
  if (s.closed || !s.connected) return;
  if (recommissionIfReconnected(s, ctx)) return;
  const t: TickFlags = { failed: false, healing: !ctx.config.dryRun && s.desiredA !== null && s.write === null, wrote: false };
  if (!t.healing) {
    keepAlive(s, ctx, t);
    return;
  }
  // The read-back goes first: a setpoint-rewrite keep-alive would otherwise restore a lost
  // setpoint silently, and the reboot would go unrecorded.
  if (s.appliedA === null) {
    heal(s, ctx, t, { kind: 'rewrite' }, 'retry');
    return;
  }
  s.cycle = { at: 'reading-back', desiredA: s.desiredA!, t };
  request(ctx, 'cycle', { op: 'read-limit' });
}

/** Rewrites the limit the charger no longer holds; the period goes on when the write is done. */
function heal(
  s: MachineState,
  ctx: Ctx,
  t: TickFlags,
  h: Extract<MachineState['cycle'], { at: 'healing' }>['heal'],
  reason: 'retry' | 'refresh' | 'heal',
): void {
  s.cycle = { at: 'healing', t, heal: h };
  if (startWrite(s, ctx, reason) === 'nothing') afterHealWrite(s, ctx, null);
}

export function onReadBack(s: MachineState, ctx: Ctx, rb: { valueA: number; kind: 'setpoint' | 'applied' } | null): void {
  const c = s.cycle;
  if (c.at !== 'reading-back') return;
  const { t, desiredA } = c;
  // A write that started meanwhile decides what the charger holds.
  if (s.write !== null) return keepAlive(s, ctx, t);
  if (!rb) {
    const sinceMs = ctx.nowMs - (s.lastWrite?.atMs ?? 0);
    // Default: every keep-alive period, so a charger that rebooted and lost a setpoint it
    // cannot report gets it back within one period, as one that can report does.
    if (sinceMs < (ctx.config.blindRewriteMs ?? periodMs(s, ctx)) - EPS_MS) return keepAlive(s, ctx, t);
    return heal(s, ctx, t, { kind: 'rewrite' }, 'refresh');
  }
  const expected = s.lastWrite?.readBackA ?? desiredA;
  const lost = rb.kind === 'setpoint' ? Math.abs(rb.valueA - expected) > EPS_A : rb.valueA > desiredA + EPS_A;
  if (!lost) return keepAlive(s, ctx, t);
  ctx.effects.push({ type: 'log-warn', data: { foundA: rb.valueA, limitA: desiredA }, msg: 'charger lost its setpoint; rewriting' });
  heal(s, ctx, t, { kind: 'lost', foundA: rb.valueA, desiredA, readKind: rb.kind }, 'heal');
}

export function afterHealWrite(s: MachineState, ctx: Ctx, outcome: WriteOutcome | null): void {
  const c = s.cycle;
  if (c.at !== 'healing') return;
  if (c.heal.kind === 'lost') {
    emit(ctx, 'charger.healed', { foundA: c.heal.foundA, limitA: c.heal.desiredA, kind: c.heal.readKind, ok: outcome?.ok ?? false });
  }
  keepAlive(s, ctx, { ...c.t, wrote: true });
}

function fail(s: MachineState, ctx: Ctx, t: TickFlags, f: Failure): boolean {
  t.failed = true;
  if (!f.lost) return false;
  s.cycle = { at: 'idle' };
  markDisconnected(s, ctx, f.error);
  return true;
}

export function onReadBackFailed(s: MachineState, ctx: Ctx, f: Failure): void {
  const c = s.cycle;
  if (c.at !== 'reading-back') return;
  emit(ctx, 'charger.read.error', { error: f.error, during: 'read-back' });
  if (!fail(s, ctx, c.t, f)) keepAlive(s, ctx, c.t);
}

function keepAlive(s: MachineState, ctx: Ctx, t: TickFlags): void {
  const kind = s.facts?.keepAliveKind ?? 'none';
  const pollKind = kind === 'poll';
  const healReads = t.healing && (s.facts?.limitReadable ?? false);
  // Where any request feeds the watchdog the read-back was the keep-alive; a rewrite of
  // the setpoint is one for rewrite-setpoint chargers.
  const fed = (pollKind && (healReads || t.wrote)) || (kind === 'rewrite-setpoint' && t.wrote);
  if (!fed && (!ctx.config.dryRun || pollKind)) {
    s.cycle = { at: 'keeping-alive', t };
    request(ctx, 'cycle', { op: 'keep-alive' });
    return;
  }
  reading(s, ctx, t);
}

export function onFed(s: MachineState, ctx: Ctx, f: Failure | null): void {
  const c = s.cycle;
  if (c.at !== 'keeping-alive') return;
  if (f !== null) {
    emit(ctx, 'charger.keepalive.error', { error: f.error });
    if (fail(s, ctx, c.t, f)) return;
  }
  reading(s, ctx, c.t);
}

function reading(s: MachineState, ctx: Ctx, t: TickFlags): void {
  const due = s.lastReadingAtMs === null || ctx.nowMs - s.lastReadingAtMs >= ctx.config.readingPeriodMs;
  if (due && s.verification.status !== 'pending') {
    s.cycle = { at: 'reading', t };
    request(ctx, 'cycle', { op: 'read' });
    return;
  }
  reenable(s, ctx, t);
}

export function onCycleReading(s: MachineState, ctx: Ctx, r: ChargerReading | null, f: Failure | null): void {
  const c = s.cycle;
  if (c.at !== 'reading') return;
  if (r !== null) noteReading(s, ctx, r);
  if (f !== null) {
    emit(ctx, 'charger.read.error', { error: f.error, during: 'read' });
    if (fail(s, ctx, c.t, f)) return;
  }
  reenable(s, ctx, c.t);
}

function reenable(s: MachineState, ctx: Ctx, t: TickFlags): void {
  // Periods without an answer may have outlasted the charger's timeout: a charger that
  // disables itself on a failsafe (KEBA) must be enabled again, and its limit rewritten.
  if (!t.failed && s.failedCycles > 0 && !ctx.config.dryRun && s.facts?.canReenable) {
    s.cycle = { at: 'reenabling', t };
    request(ctx, 'cycle', { op: 'reenable' });
    return;
  }
  endPeriod(s, ctx, t);
}

export function onReenabled(s: MachineState, ctx: Ctx, notWritten: string[]): void {
  const c = s.cycle;
  if (c.at !== 'reenabling') return;
  emit(ctx, 'charger.reenabled', { afterFailedPeriods: s.failedCycles, ok: notWritten.length === 0, notes: notWritten });
  s.appliedA = null;
  if (s.desiredA !== null && s.write === null) {
    s.cycle = { at: 'writing-after-reenable', t: c.t };
    if (startWrite(s, ctx, 'retry') === 'started') return;
  }
  endPeriod(s, ctx, c.t);
}

export function afterReenableWrite(s: MachineState, ctx: Ctx): void {
  const c = s.cycle;
  if (c.at !== 'writing-after-reenable') return;
  endPeriod(s, ctx, c.t);
}

function endPeriod(s: MachineState, ctx: Ctx, t: TickFlags): void {
  s.cycle = { at: 'idle' };
  s.failedCycles = t.failed ? s.failedCycles + 1 : 0;
  if (s.failedCycles >= ctx.config.maxFailedCycles) {
    markDisconnected(s, ctx, `${s.failedCycles} periods without an answer`);
    return;
  }
  if (recommissionIfReconnected(s, ctx)) return;
  scheduleTick(s, ctx);
}
