// Verification of a write by the measured current: confirmed when it falls to the limit
// within the window (IEC 61851 allows a PWM step every 5 s, and the car takes a few more),
// else rewritten up to `retries` times, then an alarm. The time to confirmation is reported
// per write: it is the evidence a DNO asks for.

import type { ChargerReading, WriteOutcome } from '../charger.js';
import { emit, request, type Ctx } from './ctx.js';
import type { MachineState } from './types.js';
import { replaceVerification, scheduleVerify } from './verify-start.js';
import { startWrite } from './write.js';

export function allowedA(ctx: Ctx, limitA: number): number {
  const v = ctx.config.verify;
  return limitA + Math.max(v.toleranceA, (limitA * v.tolerancePct) / 100);
}

function confirm(s: MachineState, ctx: Ctx, limitA: number, measuredA: number, late: boolean): void {
  const confirmMs = ctx.nowMs - s.verifyFromMs;
  replaceVerification(s, { status: 'confirmed', limitA, attempt: s.verification.attempt ?? 1, confirmMs, measuredA });
  emit(ctx, 'charger.verified', { limitA, confirmMs, measuredA, attempt: s.verification.attempt, late });
}

/** Every reading, from whichever lane, is kept; a late confirmation after an alarm still counts. */
export function noteReading(s: MachineState, ctx: Ctx, r: ChargerReading): void {
  s.lastReading = r;
  s.lastReadingAtMs = ctx.nowMs;
  const v = s.verification;
  if (v.status === 'alarm' && v.limitA !== undefined && r.currentsA && Math.max(...r.currentsA) <= allowedA(ctx, v.limitA)) {
    confirm(s, ctx, v.limitA, Math.max(...r.currentsA), true);
  }
}

/** The verify timer fired: read the charger, unless a read for it is already on the wire. */
export function onVerifyTimer(s: MachineState, ctx: Ctx): void {
  const v = s.verification;
  if (s.closed || v.status !== 'pending' || v.limitA === undefined) return;
  // One verify request at a time: a timer that fires meanwhile is served when it answers.
  if (s.verifyLane.at !== 'idle') {
    s.verifyLane.again = true;
    return;
  }
  s.verifyLane = { at: 'reading', gen: s.verifyGen, limitA: v.limitA, again: false };
  request(ctx, 'verify', { op: 'read' });
}

export function onVerifyReading(s: MachineState, ctx: Ctx, reading: ChargerReading | null, error: string | null): void {
  const lane = s.verifyLane;
  if (lane.at !== 'reading') return;
  s.verifyLane = { at: 'idle' };
  if (reading !== null) noteReading(s, ctx, reading);
  else if (error !== null) emit(ctx, 'charger.read.error', { error, during: 'verification' });
  if (s.verifyGen !== lane.gen) {
    // A newer write replaced this verification; its own timer may have fired meanwhile.
    if (lane.again) onVerifyTimer(s, ctx);
    return;
  }
  const v = s.verification;
  const limitA = lane.limitA;
  if (reading && !reading.currentsA) {
    const confirmMs = ctx.nowMs - s.verifyFromMs;
    replaceVerification(s, { status: 'read-back-only', limitA, confirmMs, reason: 'the charger measures no current' });
    emit(ctx, 'charger.verified', { limitA, confirmMs, by: 'read-back', late: false });
    return;
  }
  const measuredA = reading?.currentsA ? Math.max(...reading.currentsA) : undefined;
  if (measuredA !== undefined && measuredA <= allowedA(ctx, limitA)) {
    confirm(s, ctx, limitA, measuredA, false);
    return;
  }
  if (measuredA !== undefined) v.measuredA = measuredA;
  const opts = ctx.config.verify;
  const elapsed = ctx.nowMs - (v.startedAtMs ?? s.verifyFromMs);
  if (elapsed < opts.windowMs) {
    scheduleVerify(s, ctx, Math.min(opts.pollMs, opts.windowMs - elapsed));
    return;
  }
  if ((v.attempt ?? 1) <= opts.retries) {
    replaceVerification(s, { ...v, attempt: (v.attempt ?? 1) + 1, startedAtMs: ctx.nowMs });
    s.verifyLane = { at: 'writing', limitA, again: false };
    // A write already on the wire ends with the newest limit: the retry waits for it.
    if (startWrite(s, ctx, 'verify-retry') === 'nothing') afterVerifyWrite(s, ctx, null);
    return;
  }
  const reason = measuredA === undefined ? 'no reading within the window' : 'measured current above the limit';
  replaceVerification(s, { ...v, status: 'alarm', reason });
  emit(ctx, 'charger.alarm', {
    reason,
    limitA,
    measuredA: measuredA ?? null,
    allowedA: allowedA(ctx, limitA),
    attempts: v.attempt ?? 1,
    windowMs: opts.windowMs,
    sinceWriteMs: ctx.nowMs - s.verifyFromMs,
  });
}

/** The write chain a retry waited for has ended. */
export function afterVerifyWrite(s: MachineState, ctx: Ctx, outcome: WriteOutcome | null): void {
  const lane = s.verifyLane;
  if (lane.at !== 'writing') return;
  s.verifyLane = { at: 'idle' };
  if (s.verification.limitA === lane.limitA && s.verification.status === 'pending') scheduleVerify(s, ctx, outcome?.ok ? ctx.config.verify.pollMs : 0);
  if (lane.again) onVerifyTimer(s, ctx);
}
