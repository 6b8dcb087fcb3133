// The write lane: one setpoint write on the wire at a time. A limit asked for while one is on
// the wire follows it at once, also when that write failed: a DNO's reduction must not wait
// for the next keep-alive because the write before it went unanswered.

import type { WriteOutcome } from '../charger.js';
import { emit, request, type Ctx } from './ctx.js';
import type { MachineState, WriteReason } from './types.js';
import { startVerification } from './verify-start.js';

/**
 * Puts the desired limit on the wire. Returns 'started' when it did, 'busy' when a write is
 * already on the wire (its chain ends with the newest limit, so the caller waits for that),
 * and 'nothing' when there is nothing to write (no limit yet, or closing).
 */
export function startWrite(s: MachineState, ctx: Ctx, reason: WriteReason): 'started' | 'busy' | 'nothing' {
  if (s.write !== null) return 'busy';
  const limitA = s.desiredA;
  if (limitA === null || s.closed) return 'nothing';
  s.write = { limitA, reason, atMs: ctx.nowMs };
  request(ctx, 'write', { op: 'write', limitA });
  return 'started';
}

export function onWritten(s: MachineState, ctx: Ctx, outcome: WriteOutcome): void {
  const w = s.write;
  if (w === null) return;
  const { limitA, reason, atMs } = w;
  s.write = null;
  s.lastWrite = { ...outcome, atMs };
  // A periodic refresh of an unreadable setpoint is recorded only when it fails.
  if (reason !== 'refresh' || !outcome.ok) {
    emit(ctx, 'charger.write', {
      limitA,
      ok: outcome.ok,
      readBackA: outcome.readBackA ?? null,
      durationMs: outcome.durationMs,
      error: outcome.error ?? null,
      reason,
      explanation: s.explanation,
    });
  }
  if (outcome.ok) {
    s.appliedA = limitA;
    s.lastError = null;
    if (reason !== 'verify-retry' && reason !== 'refresh') startVerification(s, ctx, limitA, atMs);
  } else {
    s.appliedA = null;
    s.lastError = outcome.error ?? 'write failed';
  }
  // The follow-up stops once the desired limit stays put during a write.
  if (s.desiredA !== null && s.desiredA !== limitA && !s.closed) {
    startWrite(s, ctx, 'change');
    return;
  }
  ctx.writeDone = { outcome };
}
