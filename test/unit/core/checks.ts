// The invariants the property tests assert over a simulated trace. Each throws an Error that
// says which rule broke, when, and with which numbers, so a shrunk counterexample reads well.

import type { CoreConfig, Effect } from '../../../agent/core/types.js';
import { computeTargets } from '../../../agent/core/targets.js';
import { Model } from './model.js';
import { T0 } from './fixtures.js';
import type { Trace } from './sim.js';

type Ev = Extract<Effect, { type: 'event' }>;
const evs = (effects: Effect[], kind: string, chargerId?: string): Ev[] =>
  effects.filter((e): e is Ev => e.type === 'event' && e.kind === kind && (chargerId === undefined || e.chargerId === chargerId));
const at = (ms: number): string => `t+${((ms - T0) / 1000).toFixed(1)}s`;

/** While a bound, label-permitted switch is open, no permitted boost runs and the link is
 *  surely not in fallback normal, no charger exceeds its reduced current. */
export function checkOpenSwitchCaps(config: CoreConfig, trace: Trace[]): void {
  const model = new Model(config);
  for (const tr of trace) {
    if (tr.input && tr.input.type !== 'restart') model.apply(tr.input, tr.atMs);
    for (const [id, cap] of model.caps(tr.atMs)) {
      const rec = tr.after.chargers[id];
      const a = rec?.appliedA;
      // A charger held back at a start was not written by this process: nothing to check yet.
      if (rec?.held && a === null) continue;
      if (a === null || a === undefined || a > cap.capA) {
        throw new Error(
          `at ${at(tr.atMs)} (${tr.kind}) charger ${id} is at ${String(a)} A above ${cap.capA} A: ${cap.why}; explanation: ${tr.after.chargers[id]?.explanation}`,
        );
      }
    }
  }
}

/** Every increase is preceded by its restore delay (due time reached) or recorded as exempt. */
export function checkIncreasesWaited(config: CoreConfig, trace: Trace[]): void {
  const applied = new Map<string, number>();
  const due = new Map<string, number | null>();
  for (const tr of trace) {
    // A decrease ends any rise pending before it; a restore scheduled in the same step (a
    // cold start's baseline and the rise above it) counts from there.
    for (const e of tr.effects) {
      if (e.type !== 'apply-limit') continue;
      const prev = applied.get(e.chargerId);
      if (prev !== undefined && e.limitA < prev) due.set(e.chargerId, null);
    }
    for (const e of tr.effects) {
      if (e.type !== 'event' || !e.chargerId) continue;
      if (e.kind === 'restore.scheduled') {
        const d = e.data as { delayMs: number; dueMs: number };
        if (d.delayMs < 0 || d.delayMs > config.restore.maxDelayMs || d.dueMs !== tr.atMs + d.delayMs) {
          throw new Error(
            `at ${at(tr.atMs)} restore.scheduled for ${e.chargerId} has delay ${d.delayMs} ms, due ${at(d.dueMs)} (max ${config.restore.maxDelayMs} ms)`,
          );
        }
        due.set(e.chargerId, d.dueMs);
      }
      if (e.kind === 'restore.cancelled') due.set(e.chargerId, null);
    }
    for (const e of tr.effects) {
      if (e.type !== 'apply-limit') continue;
      const prev = applied.get(e.chargerId);
      applied.set(e.chargerId, e.limitA);
      if (prev === undefined) continue;
      if (e.limitA < prev) continue;
      if (e.limitA === prev) continue;
      if (evs(tr.effects, 'restore.exempt', e.chargerId).length > 0) continue;
      const d = due.get(e.chargerId);
      if (d === null || d === undefined || tr.atMs < d) {
        throw new Error(
          `at ${at(tr.atMs)} (${tr.kind}) charger ${e.chargerId} rose ${prev} -> ${e.limitA} A without exemption; restore due ${d === null || d === undefined ? 'none' : at(d)}`,
        );
      }
    }
  }
}

/** Every limit is 0 (only when pausing is allowed) or within min..max; applied never exceeds
 *  the target the claims give (reductions are never delayed); the site cap holds unless it
 *  cannot be met by chargers that may not pause. */
export function checkBounds(config: CoreConfig, trace: Trace[]): void {
  for (const tr of trace) {
    for (const e of tr.effects) {
      if (e.type !== 'apply-limit') continue;
      const c = config.chargers.find((x) => x.id === e.chargerId);
      if (!c) throw new Error(`apply-limit for unknown charger ${e.chargerId}`);
      const ok = e.limitA === 0 ? c.allowPause : e.limitA >= c.minCurrentA && e.limitA <= c.maxCurrentA;
      if (!ok)
        throw new Error(
          `at ${at(tr.atMs)} charger ${c.id} got ${e.limitA} A outside 0/${c.minCurrentA}..${c.maxCurrentA} (allowPause ${String(c.allowPause)})`,
        );
    }
    const targets = computeTargets(config, tr.after, tr.atMs);
    let sum = 0;
    let unmetOk = true;
    for (const ch of config.chargers) {
      // Held back at a start: the last written limit stands until the meter answers or the grace ends.
      if (tr.after.chargers[ch.id]?.held) continue;
      const a = tr.after.chargers[ch.id]?.appliedA ?? 0;
      const targetA = targets.get(ch.id)?.targetA ?? NaN;
      if (!(a <= targetA))
        throw new Error(
          `at ${at(tr.atMs)} (${tr.kind}) charger ${ch.id} applied ${a} A above its target ${targetA} A: ${tr.after.chargers[ch.id]?.explanation}`,
        );
      sum += a;
      if (a > 0 && !(a === ch.minCurrentA && !ch.allowPause)) unmetOk = false;
    }
    if (config.siteCapA !== undefined && sum > config.siteCapA + 1e-6 && !unmetOk) {
      throw new Error(`at ${at(tr.atMs)} the chargers draw ${sum} A over the site cap ${config.siteCapA} A`);
    }
  }
}

/** After a restart the first limit emitted per charger is never higher than the last before,
 *  unless a restore (or ramp step) saved before the restart had fallen due, or the rise drew
 *  a delay of 0 ms at the resume. At resume and at
 *  the first step of all, every charger not held back is written; a held charger is written by
 *  the end of the start grace at the latest. */
export function checkRestart(config: CoreConfig, trace: Trace[]): void {
  trace.forEach((tr, i) => {
    const ids = tr.effects.flatMap((e) => (e.type === 'apply-limit' ? [e.chargerId] : []));
    if (i === 0 || tr.kind === 'resume') {
      const want = config.chargers
        .filter((c) => !tr.after.chargers[c.id]?.held)
        .map((c) => c.id)
        .sort();
      if (JSON.stringify([...ids].sort()) !== JSON.stringify(want))
        throw new Error(`at ${at(tr.atMs)} (${tr.kind}) emitted limits for ${ids.join(',')} not every charger not held ${want.join(',')}`);
    }
    const boot = tr.after.boot;
    for (const c of config.chargers) {
      if (tr.after.chargers[c.id]?.held && boot !== null && tr.atMs >= boot.graceEndMs) {
        throw new Error(`at ${at(tr.atMs)} (${tr.kind}) charger ${c.id} still held after the start grace ended ${at(boot.graceEndMs)}`);
      }
    }
    if (tr.kind !== 'resume') return;
    for (const e of tr.effects) {
      if (e.type !== 'apply-limit') continue;
      const rec = tr.before.chargers[e.chargerId];
      if (!rec || rec.appliedA === null) continue;
      // A rise drawn at this resume may be due at once only when its drawn delay was 0 ms
      // (restore.maxDelayMs 0, or a draw of 0): checkIncreasesWaited bounds the draw.
      const drawnNow = evs(tr.effects, 'restore.scheduled', e.chargerId).some((s) => (s.data as { delayMs: number }).delayMs === 0);
      const fellDue = (rec.restore !== null && rec.restore.dueMs <= tr.atMs) || (rec.ramp !== null && rec.ramp.nextMs <= tr.atMs) || drawnNow;
      if (e.limitA > rec.appliedA && !fellDue) {
        throw new Error(`at ${at(tr.atMs)} resume raised ${e.chargerId} ${rec.appliedA} -> ${e.limitA} A with no restore due`);
      }
    }
  });
}

/** At most one wake-at per step, always in the future. */
export function checkWakes(trace: Trace[]): void {
  for (const tr of trace) {
    const w = tr.effects.filter((e) => e.type === 'wake-at');
    if (w.length > 1) throw new Error(`at ${at(tr.atMs)} ${w.length} wake-at effects`);
    const first = w[0];
    if (first && first.type === 'wake-at' && first.atMs <= tr.atMs) throw new Error(`at ${at(tr.atMs)} wake-at ${at(first.atMs)} is not in the future`);
  }
}

/** From any start (fresh or resumed), a charger bound to a switch the meter has not reported
 *  since that start (no SWITCH for it, no END what=switches) is never written above that
 *  binding's reduced current, unless fallback normal may apply: stale + hold have passed since
 *  the start, or the link is stale (a stale episode carried over a restart). */
export function checkStartCaps(config: CoreConfig, trace: Trace[]): void {
  let startMs = T0;
  let heard = new Set<number>();
  let all = false;
  trace.forEach((tr, i) => {
    if (i === 0 || tr.kind === 'resume') {
      startMs = tr.atMs;
      heard = new Set();
      all = false;
    }
    const input = tr.input;
    if (input && input.type === 'han') {
      if (input.message.verb === 'SWITCH') heard.add(input.message.idx);
      if (input.message.verb === 'END' && input.message.what === 'switches') all = true;
    }
    if (all) return;
    const fallbackMay =
      config.link.fallback === 'normal' && (tr.atMs >= startMs + config.link.staleAfterMs + config.link.holdMs || tr.after.link.staleSinceMs !== null);
    if (fallbackMay) return;
    for (const e of tr.effects) {
      if (e.type !== 'apply-limit') continue;
      const ch = config.chargers.find((c) => c.id === e.chargerId);
      if (!ch) continue;
      for (const b of config.bindings) {
        if (!b.chargerIds.includes(ch.id) || b.switchIdx === undefined || heard.has(b.switchIdx)) continue;
        const floor = b.reducedCurrentA >= ch.minCurrentA ? b.reducedCurrentA : ch.allowPause ? 0 : ch.minCurrentA;
        if (e.limitA > floor) {
          throw new Error(
            `at ${at(tr.atMs)} (${tr.kind}) charger ${ch.id} written ${e.limitA} A above ${floor} A while switch ${b.switchIdx} is unconfirmed since ${at(startMs)}`,
          );
        }
      }
    }
  });
}
