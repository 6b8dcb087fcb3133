// After a restart the saved switch, boost and restore state apply at once, before the HAN
// answers: every charger's saved limit is emitted again (lowered if something ran out while
// the agent was down, never raised but by a restore whose saved due time has passed).
// A pending restore keeps its due time; boosts and leases end by wall time; the HAN gets one
// stale period from now to answer, unless a stale episode was already running.

import type { CoreConfig, Ms } from './types.js';
import { checkSavedState, cloneState } from './state.js';
import { emitEvent, newCtx } from './ctx.js';
import { advance, finish, reconcileChargers, type StepResult } from './step.js';

export function resume(config: CoreConfig, saved: unknown, nowMs: Ms): StepResult {
  if (!Number.isFinite(nowMs)) throw new TypeError(`core: nowMs must be a finite number of ms, got ${String(nowMs)}`);
  const s = cloneState(checkSavedState(saved));
  const ctx = newCtx(nowMs);
  ctx.forceEmit = true;
  ctx.resuming = true;
  reconcileChargers(config, s);
  emitEvent(ctx, 'core.resumed', {
    savedAtMs: s.lastStepMs,
    downMs: s.lastStepMs === null ? null : nowMs - s.lastStepMs,
    staleSinceMs: s.link.staleSinceMs,
    pendingRestores: Object.entries(s.chargers)
      .filter(([, r]) => r.restore !== null)
      .map(([id, r]) => ({ chargerId: id, dueMs: r.restore?.dueMs ?? null })),
  });
  if (s.startedMs === null) s.startedMs = nowMs;
  s.resumedMs = nowMs;
  s.link.livenessFromMs = nowMs;
  s.link.transport = 'unknown';
  s.link.transportSinceMs = nowMs;
  advance(config, s, ctx);
  return finish(config, s, ctx);
}
