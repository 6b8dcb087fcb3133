// Connecting: connect (which programs the failsafe settings), the first keep-alive at once,
// then the limit. A charger that is not there is retried with capped backoff; it never stops
// the agent or the other chargers. A lost connection starts the same sequence again.

import { backoffMs } from '../../backoff.js';
import { clearTimer, emit, periodMs, request, setTimer, type Ctx } from './ctx.js';
import type { ChargerFacts, Failure, MachineState } from './types.js';
import { stopVerification } from './verify-start.js';
import { startWrite } from './write.js';

export function beginConnect(s: MachineState, ctx: Ctx): void {
  // Connecting writes the limit: a retry meanwhile would go to a charger not yet set up.
  clearTimer(s, ctx, 'write-retry');
  if (s.closed) {
    s.cycle = { at: 'idle' };
    return;
  }
  s.cycle = { at: 'connecting' };
  request(ctx, 'cycle', { op: 'connect' });
}

export function onConnectFailed(s: MachineState, ctx: Ctx, f: Failure): void {
  s.cycle = { at: 'idle' };
  s.connectFailures += 1;
  const r = ctx.config.reconnect;
  const retryInMs = backoffMs(r, s.connectFailures);
  s.lastError = f.error;
  emit(ctx, 'charger.connect-failed', { error: f.error, attempt: s.connectFailures, retryInMs });
  if (!s.closed) setTimer(s, ctx, 'connect', retryInMs);
}

export function onConnected(s: MachineState, ctx: Ctx, facts: ChargerFacts): void {
  if (s.closed) {
    s.cycle = { at: 'idle' };
    return;
  }
  s.facts = facts;
  s.connected = true;
  s.connectFailures = 0;
  s.writeFailures = 0;
  s.failedCycles = 0;
  s.lastError = null;
  const fs = facts.failsafe;
  emit(ctx, 'charger.connected', { profileId: ctx.config.profileId, keepAlivePeriodMs: facts.keepAlivePeriodMs });
  if (fs) {
    emit(ctx, 'charger.failsafe', {
      wrote: fs.wrote,
      readBack: fs.readBack,
      ok: fs.ok,
      timeoutS: fs.timeoutS,
      timeoutSource: fs.timeoutSource,
      notes: fs.notes,
    });
    // The charger works, but what it does when the agent goes silent is not what was asked.
    if (!fs.ok) emit(ctx, 'charger.alarm', { reason: 'failsafe settings not confirmed', notes: fs.notes, wrote: fs.wrote, readBack: fs.readBack });
  }
  // The first keep-alive goes out now, not one period later: a charger found in its
  // fallback leaves it as soon as it hears from the agent, and status tells the truth.
  if (ctx.config.dryRun && facts.keepAliveKind !== 'poll') {
    afterConnectFeed(s, ctx);
    return;
  }
  s.cycle = { at: 'feeding-on-connect' };
  request(ctx, 'cycle', { op: 'keep-alive' });
}

/** The keep-alive sent at connect answered (or failed: connecting goes on regardless). */
export function onConnectFed(s: MachineState, ctx: Ctx, f: Failure | null): void {
  if (f !== null) emit(ctx, 'charger.keepalive.error', { error: f.error, during: 'connect' });
  afterConnectFeed(s, ctx);
}

function afterConnectFeed(s: MachineState, ctx: Ctx): void {
  // After a (re)connect the charger's setpoint is unknown: a reboot may have reset it.
  s.appliedA = null;
  if (s.desiredA !== null && !ctx.config.dryRun) {
    s.cycle = { at: 'writing-on-connect' };
    // A write already on the wire ends with the newest limit: connecting waits for it.
    if (startWrite(s, ctx, 'connect') !== 'nothing') return;
  }
  afterConnectWrite(s, ctx);
}

export function afterConnectWrite(s: MachineState, ctx: Ctx): void {
  s.cycle = { at: 'idle' };
  scheduleTick(s, ctx);
}

export function scheduleTick(s: MachineState, ctx: Ctx): void {
  if (s.closed || s.timers.tick) return;
  setTimer(s, ctx, 'tick', periodMs(s, ctx));
}

export function markDisconnected(s: MachineState, ctx: Ctx, reason: string): void {
  if (!s.connected) return;
  s.connected = false;
  s.lastError = reason;
  s.appliedA = null;
  stopVerification(s, ctx);
  emit(ctx, 'charger.disconnected', { error: reason });
  clearTimer(s, ctx, 'tick');
  beginConnect(s, ctx);
}

/**
 * The bus re-established a dropped connection on its own (a TCP charger that rebooted, a
 * cable pulled and put back): run the whole connect again, so the failsafe settings and the
 * limit are written on every connect, not only the first.
 */
export function recommissionIfReconnected(s: MachineState, ctx: Ctx): boolean {
  if (!ctx.reconnected) return false;
  emit(ctx, 'charger.reconnected', { note: 'connection re-established: writing the failsafe settings and the limit again' });
  s.connected = false;
  beginConnect(s, ctx);
  return true;
}
