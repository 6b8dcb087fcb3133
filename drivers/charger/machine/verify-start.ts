// Starting (and stopping) the verification of a write: write -> read back -> measured current
// at or below the limit within a window. Separate from the rest of verification because the
// write lane starts it and verification itself writes.

import { clearTimer, setTimer, type Ctx } from './ctx.js';
import type { MachineState, VerificationState } from './types.js';

export function replaceVerification(s: MachineState, v: VerificationState): void {
  s.verification = v;
  s.verifyGen += 1;
}

export function stopVerification(s: MachineState, ctx: Ctx): void {
  clearTimer(s, ctx, 'verify');
}

export function scheduleVerify(s: MachineState, ctx: Ctx, inMs: number): void {
  if (s.closed) return;
  setTimer(s, ctx, 'verify', inMs);
}

export function startVerification(s: MachineState, ctx: Ctx, limitA: number, atMs: number): void {
  stopVerification(s, ctx);
  s.verifyFromMs = atMs;
  replaceVerification(s, { status: 'pending', limitA, attempt: 1, startedAtMs: atMs });
  scheduleVerify(s, ctx, 0);
}
