// How the applied limit follows the target (Smart Charge Points Regulations Reg 11).
// - A decrease applies in the same step, always, and cancels any pending restore or ramp.
// - An increase waits a uniform random delay in [0, restore.maxDelayMs] (drawn from the
//   seeded generator in the state, so it survives a restart), then steps up by ramp.stepA
//   every ramp.intervalMs if a ramp is configured, else in one step. While a restore is
//   pending its due time never moves, whatever else happens short of a decrease.
// - Exempt (applied at once, recorded with the reason): a boost that lifts, the owner's explicit action
//   (manual limit, restore-now), and calendar switching the meter already randomises.
//   An exempt increase releases the charger's whole increase, including a delay pending
//   from another cause: the owner or the consumer asked for charge now.
// - The very first limit after a fresh start is not an increase: it is simply applied.

import type { CoreConfig } from './types.js';
import type { CoreState } from './state.js';
import type { Target } from './targets.js';
import { applyLimit, emitEvent, type Ctx } from './ctx.js';
import { claimsData, explain } from './explain.js';
import { drawDelayMs } from './rng.js';

export function settle(config: CoreConfig, state: CoreState, targets: Map<string, Target>, ctx: Ctx): void {
  const now = ctx.nowMs;
  for (const c of config.chargers) {
    const rec = state.chargers[c.id];
    const t = targets.get(c.id);
    if (!rec || !t) continue;
    const ref = { chargerId: c.id };
    const prev = rec.appliedA;
    let next = prev;
    let reason = 'unchanged';

    if (prev === null) {
      next = t.targetA;
      reason = ctx.resuming ? 'resume-new-charger' : 'initial';
    } else if (t.targetA < prev) {
      next = t.targetA;
      reason = 'decrease';
      if (rec.restore || rec.ramp) {
        emitEvent(ctx, 'restore.cancelled', { reason: 'reduced again', dueMs: rec.restore?.dueMs ?? null, ramping: rec.ramp !== null }, ref);
      }
      rec.restore = null;
      rec.ramp = null;
    } else if (t.targetA === prev) {
      if (rec.restore || rec.ramp) {
        emitEvent(ctx, 'restore.cancelled', { reason: 'target back at the applied limit', dueMs: rec.restore?.dueMs ?? null, ramping: rec.ramp !== null }, ref);
      }
      rec.restore = null;
      rec.ramp = null;
    } else {
      const ex = ctx.exempt.get(c.id);
      if (ex) {
        emitEvent(
          ctx,
          'restore.exempt',
          { reason: ex.reason, detail: ex.detail, fromA: prev, toA: t.targetA, cancelledDueMs: rec.restore?.dueMs ?? null },
          ref,
        );
        rec.restore = null;
        rec.ramp = null;
        next = t.targetA;
        reason = `exempt: ${ex.reason}`;
      } else {
        if (!rec.restore && !rec.ramp) {
          const { delayMs, rng } = drawDelayMs(state.rng, config.restore.maxDelayMs);
          state.rng = rng;
          rec.restore = { scheduledMs: now, dueMs: now + delayMs, delayMs, fromA: prev, toA: t.targetA };
          emitEvent(ctx, 'restore.scheduled', { fromA: prev, toA: t.targetA, delayMs, dueMs: now + delayMs, maxDelayMs: config.restore.maxDelayMs }, ref);
        }
        if (rec.restore && now >= rec.restore.dueMs) {
          emitEvent(ctx, 'restore.done', { fromA: prev, toA: t.targetA, dueMs: rec.restore.dueMs, scheduledMs: rec.restore.scheduledMs }, ref);
          rec.restore = null;
          const ramp = config.restore.ramp;
          if (ramp && ramp.stepA > 0 && ramp.intervalMs > 0) rec.ramp = { nextMs: now };
          else {
            next = t.targetA;
            reason = 'restore';
          }
        }
        if (rec.ramp && now >= rec.ramp.nextMs && config.restore.ramp) {
          const stepped = Math.min(t.targetA, Math.max(prev + config.restore.ramp.stepA, c.minCurrentA));
          next = stepped;
          reason = 'ramp';
          rec.ramp = stepped < t.targetA ? { nextMs: now + config.restore.ramp.intervalMs } : null;
          emitEvent(ctx, 'restore.ramp', { fromA: prev, toA: stepped, targetA: t.targetA, nextMs: rec.ramp?.nextMs ?? null }, ref);
        }
      }
    }

    const applied = next ?? t.targetA;
    rec.appliedA = applied;
    rec.explanation = explain(applied, t, rec.restore, rec.ramp);
    if (applied !== prev) {
      rec.lastChangeMs = now;
      emitEvent(ctx, 'limit.changed', { fromA: prev, toA: applied, reason, explanation: rec.explanation, claims: claimsData(t) }, ref);
    } else if (ctx.forceEmit) {
      emitEvent(ctx, 'limit.reapplied', { limitA: applied, reason: 'resume', explanation: rec.explanation, claims: claimsData(t) }, ref);
    }
    if (applied !== prev || ctx.forceEmit) applyLimit(ctx, c.id, applied, rec.explanation);
  }
}
