// SECMP0046 requirement 2: a DNO must be able to tell that the switch it opens controls an
// EV charger, so a bound switch's label is checked against the configured pattern. The
// policy decides whether a wrong or missing label only raises an alarm (warn) or also stops
// the agent from acting on that switch (enforce). A label is "missing" when a completed READ
// answer (END what=switches) carried none for the switch.

import type { LabelReport } from './inputs.js';
import type { CoreConfig } from './types.js';
import type { CoreState, LabelAlarm } from './state.js';
import { boundIdxs } from './bindings.js';
import { emitEvent, type Ctx } from './ctx.js';

export function labelMatches(config: CoreConfig, text: string): boolean {
  try {
    return new RegExp(config.labels.pattern, config.labels.flags).test(text);
  } catch {
    // An invalid pattern can match nothing: every label alarms, which someone will notice.
    return false;
  }
}

export function patternText(config: CoreConfig): string {
  return `/${config.labels.pattern}/${config.labels.flags}`;
}

export function onLabel(config: CoreConfig, state: CoreState, msg: LabelReport, ctx: Ctx): void {
  const key = String(msg.idx);
  state.labels[key] = { text: msg.text, receivedMs: ctx.nowMs, missing: false };
  if (!state.read.labelsSeen.includes(msg.idx)) state.read.labelsSeen.push(msg.idx);
  emitEvent(
    ctx,
    'label.state',
    { idx: msg.idx, text: msg.text, ok: labelMatches(config, msg.text), bound: boundIdxs(config, state).includes(msg.idx), seq: msg.seq ?? null },
    { switchIdx: msg.idx },
  );
}

/** END what=switches: every switch the answer carried no LABEL for is marked missing. */
export function onEndSwitches(config: CoreConfig, state: CoreState, ctx: Ctx): number[] {
  const candidates = new Set<number>(boundIdxs(config, state));
  for (const rec of Object.values(state.switches)) candidates.add(rec.idx);
  const missing: number[] = [];
  for (const idx of [...candidates].sort((a, z) => a - z)) {
    if (state.read.labelsSeen.includes(idx)) continue;
    const key = String(idx);
    const prev = state.labels[key];
    state.labels[key] = { text: prev?.text ?? null, receivedMs: prev?.receivedMs ?? null, missing: true };
    missing.push(idx);
  }
  state.read.labelsSeen = [];
  state.read.lastEndMs = ctx.nowMs;
  return missing;
}

function wantedAlarm(config: CoreConfig, state: CoreState, idx: number): Omit<LabelAlarm, 'sinceMs'> | null {
  const rec = state.labels[String(idx)];
  if (!rec) return null;
  if (rec.missing) return { problem: 'missing', text: rec.text };
  if (rec.text !== null && !labelMatches(config, rec.text)) return { problem: 'mismatch', text: rec.text };
  return null;
}

/** Raise and clear label alarms so they match the labels of the switches bound now. */
export function reconcileLabelAlarms(config: CoreConfig, state: CoreState, ctx: Ctx): void {
  const bound = boundIdxs(config, state);
  for (const idx of bound) {
    const key = String(idx);
    const want = wantedAlarm(config, state, idx);
    const have = state.labelAlarms[key];
    if (want && (!have || have.problem !== want.problem || have.text !== want.text)) {
      state.labelAlarms[key] = { ...want, sinceMs: ctx.nowMs };
      emitEvent(
        ctx,
        'label.alarm',
        { idx, problem: want.problem, text: want.text, pattern: patternText(config), policy: config.labels.policy },
        { switchIdx: idx },
      );
    } else if (!want && have) {
      delete state.labelAlarms[key];
      emitEvent(ctx, 'label.cleared', { idx, text: state.labels[key]?.text ?? null, reason: 'label ok' }, { switchIdx: idx });
    }
  }
  for (const key of Object.keys(state.labelAlarms)) {
    const idx = Number(key);
    if (bound.includes(idx)) continue;
    delete state.labelAlarms[key];
    emitEvent(ctx, 'label.cleared', { idx, text: state.labels[key]?.text ?? null, reason: 'switch no longer bound' }, { switchIdx: idx });
  }
}

function alarmText(config: CoreConfig, idx: number, a: LabelAlarm): string {
  return a.problem === 'missing'
    ? `switch ${idx} label missing from the last READ`
    : `switch ${idx} label "${a.text ?? ''}" does not match ${patternText(config)}`;
}

/** Under policy enforce: why this switch's claim is ignored, else null. */
export function labelBlocks(config: CoreConfig, state: CoreState, idx: number): string | null {
  const a = state.labelAlarms[String(idx)];
  if (!a || config.labels.policy !== 'enforce') return null;
  return `switch ${idx} ignored: ${alarmText(config, idx, a)} (labels.policy=enforce)`;
}

/** Under policy warn: the alarm to mention beside the claim, else null. */
export function labelWarning(config: CoreConfig, state: CoreState, idx: number): string | null {
  const a = state.labelAlarms[String(idx)];
  if (!a || config.labels.policy !== 'warn') return null;
  return `label alarm: ${alarmText(config, idx, a)} (labels.policy=warn, acting anyway)`;
}
