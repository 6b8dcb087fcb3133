// The write lane: one setpoint write on the wire at a time. A limit asked for while one is on
// the wire follows it at once, also when that write failed: a DNO's reduction must not wait
// for the next keep-alive because the write before it went unanswered. For the same reason a
// failed write is retried on its own timer, backing off over failures in a row, well within
// a keep-alive period; the period's rewrite stays as the backstop.

import { backoffMs } from '../../backoff.js';
import type { WriteOutcome } from '../charger.js';
import { clearTimer, emit, holds, periodMs, request, setTimer, type Ctx } from './ctx.js';
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
  // Whatever the reason, this write is the retry of any that failed before it.
  clearTimer(s, ctx, 'write-retry');
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
    s.writeFailures = 0;
    if (reason !== 'verify-retry' && reason !== 'refresh') startVerification(s, ctx, limitA, atMs);
  } else {
    s.appliedA = null;
    s.lastError = outcome.error ?? 'write failed';
    s.writeFailures += 1;
  }
  // The follow-up stops once the desired limit stays put during a write.
  if (s.desiredA !== null && s.desiredA !== limitA && !s.closed) {
    startWrite(s, ctx, 'change');
    return;
  }
  if (!outcome.ok) scheduleWriteRetry(s, ctx, outcome.retryAfterMs ?? 0);
  ctx.writeDone = { outcome };
}

/** A retry has a limit to write and a charger to write it to (connecting writes it anyway). */
function retryPossible(s: MachineState, ctx: Ctx): boolean {
  return !s.closed && s.connected && !ctx.config.dryRun && s.desiredA !== null;
}

function scheduleWriteRetry(s: MachineState, ctx: Ctx, busWaitMs: number): void {
  if (!retryPossible(s, ctx)) return;
  const r = ctx.config.writeRetry;
  const maxMs = Math.min(r.maxMs, periodMs(s, ctx));
  // Sooner than the bus takes a request again would only be refused unsent.
  const inMs = Math.max(busWaitMs, backoffMs({ initialMs: Math.min(r.initialMs, maxMs), maxMs }, s.writeFailures));
  setTimer(s, ctx, 'write-retry', inMs);
}

/** The retry timer fired: write the limit the charger has not acknowledged. */
export function onWriteRetryTimer(s: MachineState, ctx: Ctx): void {
  if (!retryPossible(s, ctx) || holds(s, s.desiredA!)) return;
  // A write on the wire (none should be: starting one disarms this timer) ends with the
  // newest limit, and arms the timer again if it fails.
  startWrite(s, ctx, 'retry');
}
