// The transition function: time passes, the input is applied, then every charger's limit is
// computed afresh and the applied limits follow under the restore rules.

import type { CoreConfig, Effect, Input, Ms } from './types.js';
import type { CoreState } from './state.js';
import { cloneState, newChargerRecord } from './state.js';
import { collect, emitEvent, exempt, newCtx, type Ctx } from './ctx.js';
import { expireBoosts, onBoostCancel, onBoostConfig, onBoostPress } from './boost.js';
import { advanceLeases, advanceLink, onLine, onLinkDown, onLinkUp, onSeq } from './link.js';
import { onEndSwitches, onLabel, reconcileLabelAlarms } from './labels.js';
import { onSwitch } from './switches.js';
import { computeTargets } from './targets.js';
import { settle } from './restore.js';
import { nextWakeMs } from './wake.js';
import { advanceBoot, newBoot, onConfirmAll, onConfirmSwitch } from './boot.js';
import { advanceBadLines, onIgnored, onRejected } from './badlines.js';

export interface StepResult {
  state: CoreState;
  effects: Effect[];
}

function checkNow(nowMs: Ms): void {
  if (!Number.isFinite(nowMs)) throw new TypeError(`core: nowMs must be a finite number of ms, got ${String(nowMs)}`);
}

/** Chargers added to the config since the state was made get a fresh record; removed ones go. */
export function reconcileChargers(config: CoreConfig, state: CoreState): void {
  const ids = new Set(config.chargers.map((c) => c.id));
  for (const id of ids) if (!state.chargers[id]) state.chargers[id] = newChargerRecord();
  for (const id of Object.keys(state.chargers)) if (!ids.has(id)) delete state.chargers[id];
}

export function advance(config: CoreConfig, state: CoreState, ctx: Ctx): void {
  expireBoosts(state, ctx);
  advanceLink(config, state, ctx);
  advanceLeases(config, state, ctx);
  advanceBoot(config, state, ctx);
  advanceBadLines(state, ctx);
}

export function finish(config: CoreConfig, state: CoreState, ctx: Ctx): StepResult {
  reconcileLabelAlarms(config, state, ctx);
  settle(config, state, computeTargets(config, state, ctx.nowMs), ctx);
  state.counters.readsRequested += ctx.sends.length;
  state.lastStepMs = ctx.nowMs;
  return { state, effects: collect(ctx, nextWakeMs(config, state)) };
}

function applyInput(config: CoreConfig, state: CoreState, input: Input, ctx: Ctx): void {
  switch (input.type) {
    case 'han': {
      const m = input.message;
      state.counters.linesOk += 1;
      onLine(state, ctx);
      onSeq(state, m.seq, ctx);
      switch (m.verb) {
        case 'SWITCH':
          onSwitch(config, state, m, ctx);
          onConfirmSwitch(config, state, m.idx, ctx);
          return;
        case 'LABEL':
          onLabel(config, state, m, ctx);
          return;
        case 'BOOSTCFG':
          onBoostConfig(state, m, ctx);
          return;
        case 'BOOST':
          if (m.action === 'press') onBoostPress(config, state, ctx);
          else onBoostCancel(state, ctx);
          return;
        case 'HB':
          return;
        case 'END': {
          const missingLabels = m.what === 'switches' ? onEndSwitches(config, state, ctx) : [];
          emitEvent(ctx, 'read.end', { what: m.what, missingLabels });
          if (m.what === 'switches') onConfirmAll(config, state, ctx);
          return;
        }
        case 'ERR':
          emitEvent(ctx, 'han.error', { code: m.code, text: m.text ?? null });
          return;
        default:
          emitEvent(ctx, 'core.bad-input', { reason: 'unknown message verb', verb: String((m as { verb?: unknown }).verb) });
          return;
      }
    }
    case 'han-rejected':
      onRejected(state, input.reason, input.line, ctx);
      return;
    case 'han-ignored':
      // Counted but not taken as a sign of life: liveness needs a line the core understands,
      // so a firmware speaking only verbs we do not know ends in the Reg 7 fallback.
      onIgnored(state, input.verb, ctx);
      return;
    case 'link-up':
      onLinkUp(state, ctx);
      return;
    case 'link-down':
      onLinkDown(state, input.error, ctx);
      return;
    case 'tick':
      return;
    case 'owner-restore-now': {
      // Only the delays the owner could have seen: one that began after they asked (the command
      // waited in the queue while the first delay ended and a new reduction came and went) is
      // another restore, which they did not ask to skip.
      const begunMs = (c: { id: string }): Ms | null => {
        const r = state.chargers[c.id];
        if (r === undefined) return null;
        if (r.restore !== null) return r.restore.scheduledMs;
        if (r.ramp !== null) return r.ramp.scheduledMs ?? -Infinity;
        return null;
      };
      const running = config.chargers.filter((c) => begunMs(c) !== null);
      const pending = running.filter((c) => begunMs(c)! <= input.issuedMs);
      const later = running.filter((c) => begunMs(c)! > input.issuedMs);
      emitEvent(ctx, 'owner.restore-now', { pending: pending.map((c) => c.id), later: later.map((c) => c.id), issuedMs: input.issuedMs });
      for (const c of pending) exempt(ctx, c.id, 'owner-restore-now', 'the owner cancelled the restore delay');
      return;
    }
    case 'owner-manual-limit': {
      const rec = state.chargers[input.chargerId];
      const valid = input.limitA === null || (Number.isFinite(input.limitA) && input.limitA >= 0);
      if (!rec || !valid) {
        emitEvent(ctx, 'owner.rejected', {
          chargerId: input.chargerId,
          limitA: input.limitA,
          reason: !rec ? 'no such charger' : 'limit must be a number of amps >= 0, or null to clear',
        });
        return;
      }
      emitEvent(ctx, 'owner.manual-limit', { previousA: rec.manualA, limitA: input.limitA }, { chargerId: input.chargerId });
      rec.manualA = input.limitA;
      exempt(ctx, input.chargerId, 'owner-manual-limit', 'the owner changed the manual limit');
      return;
    }
    default:
      emitEvent(ctx, 'core.bad-input', { reason: 'unknown input type', type: String((input as { type?: unknown }).type) });
  }
}

export function step(config: CoreConfig, state: CoreState, input: Input, nowMs: Ms): StepResult {
  checkNow(nowMs);
  const s = cloneState(state);
  const ctx = newCtx(nowMs);
  reconcileChargers(config, s);
  if (s.lastStepMs !== null && nowMs < s.lastStepMs) {
    // The shell's wall clock went back (an NTP step, an RTC-less boot): timers keep their wall
    // times, so waits stretch by the jump. Recorded so the log explains a late stale or restore.
    emitEvent(ctx, 'core.clock-back', { fromMs: s.lastStepMs, toMs: nowMs, byMs: s.lastStepMs - nowMs });
  }
  if (s.startedMs === null) {
    s.startedMs = nowMs;
    s.link.livenessFromMs = nowMs;
    s.boot = newBoot(config, nowMs, true);
    emitEvent(ctx, 'core.started', { chargers: config.chargers.map((c) => c.id), bindings: config.bindings.length, graceEndMs: s.boot.graceEndMs });
  }
  advance(config, s, ctx);
  applyInput(config, s, input, ctx);
  return finish(config, s, ctx);
}
