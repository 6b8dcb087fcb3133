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
// - After a start (boot.ts) the first write may be held back until the meter confirms; the
//   level a charger is taken to stand at then is its reduced current when it may have fallen
//   to its failsafe (a cold start, or never written), so a rise above that waits the delay.

import type { CoreConfig } from './types.js';
import type { CoreState } from './state.js';
import type { Target } from './targets.js';
import { applyLimit, emitEvent, type Ctx } from './ctx.js';
import { claimsData, explain } from './explain.js';
import { drawDelayMs } from './rng.js';
import { graceOver, reducedOf } from './boot.js';
import { clampLimit } from './claims.js';
import { clockText } from './time.js';

export function settle(config: CoreConfig, state: CoreState, targets: Map<string, Target>, ctx: Ctx): void {
  const now = ctx.nowMs;
  for (const c of config.chargers) {
    const rec = state.chargers[c.id];
    const t = targets.get(c.id);
    if (!rec || !t) continue;
    const ref = { chargerId: c.id };
    const prev = rec.appliedA;
    let from = prev;
    let force = ctx.forceEmit;
    let reason = 'unchanged';

    if (rec.held) {
      // The first write of this process (boot.ts): held back while the grace lasts and only an
      // unconfirmed switch lowers the target, unless what the charger was told is within it.
      // Never held when something known caps the charger below what it may hold: a charger
      // never written may hold anything, so then only a target of its maximum may wait.
      const maxA = clampLimit(c, c.maxCurrentA).limitA;
      const mayHold = t.holdable && (prev === null ? t.savedViewA >= maxA : prev <= t.savedViewA);
      const waiting = mayHold && !graceOver(state, now);
      if (waiting && (prev === null || prev > t.targetA)) {
        rec.explanation = heldText(prev, t, state.boot?.graceEndMs ?? now);
        continue;
      }
      rec.held = false;
      force = true;
      if (!waiting && prev !== null && state.boot?.cold) {
        const low = reducedOf(config, c);
        if (low !== null && low < prev) {
          from = low;
          reason = 'cold start';
        }
      }
    }
    if (from === null) {
      const low = reducedOf(config, c);
      from = low === null ? t.targetA : Math.min(t.targetA, low);
      reason = ctx.resuming ? 'resume-new-charger' : 'initial';
    }
    let next = from;

    if (t.targetA < from) {
      next = t.targetA;
      reason = 'decrease';
      if (rec.restore || rec.ramp) {
        emitEvent(ctx, 'restore.cancelled', { reason: 'reduced again', dueMs: rec.restore?.dueMs ?? null, ramping: rec.ramp !== null }, ref);
      }
      rec.restore = null;
      rec.ramp = null;
    } else if (t.targetA === from) {
      // Held down only by a switch the meter has yet to confirm: a pending rise keeps its due
      // time for when the meter answers.
      if ((rec.restore || rec.ramp) && !t.holdable) {
        emitEvent(ctx, 'restore.cancelled', { reason: 'target back at the applied limit', dueMs: rec.restore?.dueMs ?? null, ramping: rec.ramp !== null }, ref);
      }
      if (!t.holdable) {
        rec.restore = null;
        rec.ramp = null;
      }
    } else {
      const ex = ctx.exempt.get(c.id);
      if (ex) {
        emitEvent(
          ctx,
          'restore.exempt',
          { reason: ex.reason, detail: ex.detail, fromA: from, toA: t.targetA, cancelledDueMs: rec.restore?.dueMs ?? null },
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
          rec.restore = { scheduledMs: now, dueMs: now + delayMs, delayMs, fromA: from, toA: t.targetA };
          emitEvent(ctx, 'restore.scheduled', { fromA: from, toA: t.targetA, delayMs, dueMs: now + delayMs, maxDelayMs: config.restore.maxDelayMs }, ref);
        }
        if (rec.restore && now >= rec.restore.dueMs) {
          emitEvent(ctx, 'restore.done', { fromA: from, toA: t.targetA, dueMs: rec.restore.dueMs, scheduledMs: rec.restore.scheduledMs }, ref);
          const scheduledMs = rec.restore.scheduledMs;
          rec.restore = null;
          const ramp = config.restore.ramp;
          if (ramp && ramp.stepA > 0 && ramp.intervalMs > 0) rec.ramp = { nextMs: now, scheduledMs };
          else {
            next = t.targetA;
            reason = 'restore';
          }
        }
        if (rec.ramp && now >= rec.ramp.nextMs && config.restore.ramp) {
          const stepped = Math.min(t.targetA, Math.max(from + config.restore.ramp.stepA, c.minCurrentA));
          next = stepped;
          reason = 'ramp';
          rec.ramp = stepped < t.targetA ? { ...rec.ramp, nextMs: now + config.restore.ramp.intervalMs } : null;
          emitEvent(ctx, 'restore.ramp', { fromA: from, toA: stepped, targetA: t.targetA, nextMs: rec.ramp?.nextMs ?? null }, ref);
        }
      }
    }

    const applied = next;
    rec.appliedA = applied;
    rec.explanation = explain(applied, t, rec.restore, rec.ramp);
    if (applied !== prev) {
      rec.lastChangeMs = now;
      emitEvent(ctx, 'limit.changed', { fromA: prev, toA: applied, reason, explanation: rec.explanation, claims: claimsData(t) }, ref);
    } else if (force) {
      emitEvent(
        ctx,
        'limit.reapplied',
        { limitA: applied, reason: ctx.resuming ? 'resume' : 'start', explanation: rec.explanation, claims: claimsData(t) },
        ref,
      );
    }
    if (applied !== prev || force) applyLimit(ctx, c.id, applied, rec.explanation);
  }
}

function heldText(prev: number | null, t: Target, graceEndMs: number): string {
  const told = prev === null ? 'no limit written yet' : `${prev} A last written`;
  return `${told}; not written until the meter confirms or ${clockText(graceEndMs)}; target ${t.targetA} A <- ${t.decisive?.text ?? 'no claims'}`;
}
