// After a restart the saved switch, boost and restore state apply at once, before the HAN
// answers, with what the meter has not yet confirmed counting as open (boot.ts): a saved
// reduction is written again at once; a saved "closed" is not trusted, and a charger whose
// saved limit is above its reduced current is not written until the meter answers or the
// start grace ends.
//
// Saved times are the previous process's clock, and the wall clock may have stepped while
// the agent was down (a Pi has no RTC). So every saved deadline is clamped to at most its own
// length from now: a step back cannot stretch it. A step forward cannot be told from a real
// outage, so a restart after more than a stale period down (or with a downtime that makes no
// sense) is a cold start: pending restores are dropped and any rise draws a fresh delay,
// which also keeps chargers from rising together when the street's power comes back.

import type { CoreConfig, Ms } from './types.js';
import { checkSavedState, cloneState, type CoreState } from './state.js';
import { emitEvent, newCtx } from './ctx.js';
import { advance, finish, reconcileChargers, type StepResult } from './step.js';
import { newBoot } from './boot.js';
import { MINUTE_MS } from './time.js';

export function resume(config: CoreConfig, saved: unknown, nowMs: Ms): StepResult {
  if (!Number.isFinite(nowMs)) throw new TypeError(`core: nowMs must be a finite number of ms, got ${String(nowMs)}`);
  const s = cloneState(checkSavedState(saved));
  const ctx = newCtx(nowMs);
  ctx.forceEmit = true;
  ctx.resuming = true;
  reconcileChargers(config, s);
  const downMs = s.lastStepMs === null ? null : nowMs - s.lastStepMs;
  const cold = downMs === null || downMs < 0 || downMs > config.link.staleAfterMs;
  emitEvent(ctx, 'core.resumed', {
    savedAtMs: s.lastStepMs,
    downMs,
    cold,
    staleSinceMs: s.link.staleSinceMs,
    pendingRestores: Object.entries(s.chargers)
      .filter(([, r]) => r.restore !== null)
      .map(([id, r]) => ({ chargerId: id, dueMs: r.restore?.dueMs ?? null })),
  });
  if (s.startedMs === null) s.startedMs = nowMs;
  s.resumedMs = nowMs;
  s.lastStepMs = nowMs;
  s.link.livenessFromMs = nowMs;
  s.link.transport = 'unknown';
  s.link.transportSinceMs = nowMs;
  s.boot = newBoot(config, nowMs, cold);
  clampSaved(config, s, nowMs, cold, ctx);
  for (const rec of Object.values(s.chargers)) rec.held = true;
  advance(config, s, ctx);
  return finish(config, s, ctx);
}

const clamp = (v: Ms, lo: Ms, hi: Ms): Ms => Math.min(Math.max(v, lo), hi);

function clampSaved(config: CoreConfig, s: CoreState, now: Ms, cold: boolean, ctx: ReturnType<typeof newCtx>): void {
  for (const [id, rec] of Object.entries(s.chargers)) {
    if (cold && (rec.restore !== null || rec.ramp !== null)) {
      emitEvent(
        ctx,
        'restore.cancelled',
        { reason: 'cold start: a rise draws a fresh delay', dueMs: rec.restore?.dueMs ?? null, ramping: rec.ramp !== null },
        { chargerId: id },
      );
      rec.restore = null;
      rec.ramp = null;
      continue;
    }
    if (rec.restore) rec.restore.dueMs = clamp(rec.restore.dueMs, -Infinity, now + Math.max(0, config.restore.maxDelayMs));
    if (rec.ramp) rec.ramp.nextMs = clamp(rec.ramp.nextMs, -Infinity, now + (config.restore.ramp?.intervalMs ?? 0));
  }
  // A stale episode keeps its start (restarts cannot stretch a hold), but never in the future.
  if (s.link.staleSinceMs !== null) s.link.staleSinceMs = Math.min(s.link.staleSinceMs, now);
  for (const [key, g] of Object.entries(s.boost.active)) {
    const length = Math.max(0, g.untilMs - g.sinceMs);
    g.untilMs = clamp(g.untilMs, -Infinity, now + length);
    g.sinceMs = Math.min(g.sinceMs, now);
    s.boost.active[key] = g;
  }
  for (const sw of Object.values(s.switches)) {
    if (sw.leaseEndMs !== null && sw.durMin !== null) sw.leaseEndMs = clamp(sw.leaseEndMs, -Infinity, now + sw.durMin * MINUTE_MS);
    if (sw.leaseAskedMs !== null) sw.leaseAskedMs = Math.min(sw.leaseAskedMs, now);
  }
}
