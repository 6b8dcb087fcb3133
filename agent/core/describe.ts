// Everything `hcalcs-agent status` shows, as plain JSON: switches, Boost Button, link,
// each charger's applied limit with its explanation, pending timers, alarms and counters.
// Times are given as ms and as ISO text so a console reader needs no conversion.

import type { SwitchCause, SwitchType } from './inputs.js';
import type { Amps, CoreConfig, LinkFallback, Ms } from './types.js';
import type { CoreState, Counters } from './state.js';
import type { SwitchSignal } from './signal.js';
import { boundIdxs, chargersOfIdx } from './bindings.js';
import { activeBoost, liftRule } from './boost.js';
import { labelMatches, patternText } from './labels.js';
import { holdEndMs, inFallback, staleDeadlineMs } from './link.js';
import { signalText } from './signal.js';
import { computeTargets } from './targets.js';
import { claimsData } from './explain.js';
import { isoText } from './time.js';
import { timers } from './wake.js';
import { unconfirmedBound } from './boot.js';

export interface SwitchView {
  idx: number;
  type: SwitchType;
  dev: string | null;
  bound: boolean;
  chargerIds: string[];
  state: string;
  signal: SwitchSignal;
  cause: SwitchCause;
  sinceMs: Ms;
  since: string;
  lastReportMs: Ms;
  durMin: number | null;
  leaseEndMs: Ms | null;
  leaseEnd: string | null;
  leaseExpired: boolean;
  seq: number | null;
  label: string | null;
  /** null: no label known yet. */
  labelOk: boolean | null;
  labelMissing: boolean;
  inFallback: boolean;
}

export interface BoostSwitchView {
  idx: number;
  bound: boolean;
  onButton: boolean | null;
  activeUntilMs: Ms | null;
  activeUntil: string | null;
  liftsOpen: boolean | null;
  rule: string | null;
  lastDenial: { atMs: Ms; reason: string } | null;
}

export interface ChargerView {
  id: string;
  appliedA: Amps | null;
  explanation: string;
  /** The limit the claims give now, before the restore delay. */
  targetA: Amps;
  claims: Array<{ source: string; capA: Amps | null; text: string }>;
  manualLimitA: Amps | null;
  minCurrentA: Amps;
  maxCurrentA: Amps;
  allowPause: boolean;
  restore: { fromA: Amps; toA: Amps; dueMs: Ms; due: string; delayMs: Ms } | null;
  ramp: { nextMs: Ms; next: string } | null;
  lastChangeMs: Ms | null;
  /** Not written yet since this start: waiting for the meter to confirm (boot.ts). */
  held: boolean;
}

export interface PendingView {
  kind: string;
  atMs: Ms;
  at: string;
  switchIdx?: number;
  chargerId?: string;
}

export interface AlarmView {
  kind: 'label-mismatch' | 'label-missing' | 'dev-mismatch' | 'link-stale' | 'link-fallback' | 'site-cap-unmet' | 'switch-unconfirmed';
  sinceMs: Ms | null;
  switchIdx?: number;
  chargerId?: string;
  text: string;
}

export interface StatusView {
  atMs: Ms;
  at: string;
  startedMs: Ms | null;
  resumedMs: Ms | null;
  lastStepMs: Ms | null;
  switches: SwitchView[];
  boost: {
    known: boolean;
    loads: number[];
    periodMin: number | null;
    configMs: Ms | null;
    lastPressMs: Ms | null;
    liftsDnoOpen: boolean;
    switches: BoostSwitchView[];
  };
  link: {
    transport: 'unknown' | 'up' | 'down';
    state: 'waiting' | 'fresh' | 'stale' | 'fallback';
    lastLineMs: Ms | null;
    lastLine: string | null;
    staleDeadlineMs: Ms | null;
    staleSinceMs: Ms | null;
    holdEndMs: Ms | null;
    fallback: LinkFallback;
    lastSeq: number | null;
  };
  chargers: ChargerView[];
  pending: PendingView[];
  alarms: AlarmView[];
  counters: Counters;
  nextWakeMs: Ms | null;
}

export function describe(config: CoreConfig, state: CoreState, nowMs: Ms): StatusView {
  const bound = boundIdxs(config, state);
  const switches: SwitchView[] = Object.values(state.switches)
    .sort((a, z) => a.idx - z.idx)
    .map((sw) => {
      const label = state.labels[String(sw.idx)] ?? null;
      return {
        idx: sw.idx,
        type: sw.type,
        dev: sw.dev,
        bound: bound.includes(sw.idx),
        chargerIds: chargersOfIdx(config, state, sw.idx),
        state: signalText(sw.signal),
        signal: sw.signal,
        cause: sw.cause,
        sinceMs: sw.sinceMs,
        since: isoText(sw.sinceMs),
        lastReportMs: sw.lastReportMs,
        durMin: sw.durMin,
        leaseEndMs: sw.leaseEndMs,
        leaseEnd: sw.leaseEndMs === null ? null : isoText(sw.leaseEndMs),
        leaseExpired: sw.leaseExpiredMs !== null,
        seq: sw.seq,
        label: label?.text ?? null,
        labelOk: label?.text == null ? null : labelMatches(config, label.text),
        labelMissing: label?.missing ?? false,
        inFallback: inFallback(config, state, sw, nowMs),
      };
    });

  const boostIdx = new Set<number>([...bound, ...(state.boost.loads ?? []), ...Object.keys(state.boost.active).map(Number)]);
  const boostSwitches: BoostSwitchView[] = [...boostIdx]
    .sort((a, z) => a - z)
    .map((idx) => {
      const g = activeBoost(state, idx, nowMs);
      const rule = g ? liftRule(config, state.switches[String(idx)] ?? null) : null;
      return {
        idx,
        bound: bound.includes(idx),
        onButton: state.boost.loads === null ? null : state.boost.loads.includes(idx),
        activeUntilMs: g?.untilMs ?? null,
        activeUntil: g ? isoText(g.untilMs) : null,
        liftsOpen: rule?.lifts ?? null,
        rule: rule?.rule ?? null,
        lastDenial: state.boost.denials[String(idx)] ?? null,
      };
    });

  const targets = computeTargets(config, state, nowMs);
  const chargers: ChargerView[] = config.chargers.map((c) => {
    const rec = state.chargers[c.id];
    const t = targets.get(c.id);
    return {
      id: c.id,
      appliedA: rec?.appliedA ?? null,
      explanation: rec?.explanation ?? 'no limit applied yet',
      targetA: t?.targetA ?? c.maxCurrentA,
      claims: t ? claimsData(t) : [],
      manualLimitA: rec?.manualA ?? null,
      minCurrentA: c.minCurrentA,
      maxCurrentA: c.maxCurrentA,
      allowPause: c.allowPause,
      restore: rec?.restore
        ? { fromA: rec.restore.fromA, toA: rec.restore.toA, dueMs: rec.restore.dueMs, due: isoText(rec.restore.dueMs), delayMs: rec.restore.delayMs }
        : null,
      ramp: rec?.ramp ? { nextMs: rec.ramp.nextMs, next: isoText(rec.ramp.nextMs) } : null,
      lastChangeMs: rec?.lastChangeMs ?? null,
      held: rec?.held ?? false,
    };
  });

  const pending: PendingView[] = timers(config, state).map((tm) => {
    const v: PendingView = { kind: tm.kind, atMs: tm.atMs, at: isoText(tm.atMs) };
    if (tm.switchIdx !== undefined) v.switchIdx = tm.switchIdx;
    if (tm.chargerId !== undefined) v.chargerId = tm.chargerId;
    return v;
  });

  const alarms: AlarmView[] = [];
  for (const [key, a] of Object.entries(state.labelAlarms)) {
    alarms.push({
      kind: a.problem === 'missing' ? 'label-missing' : 'label-mismatch',
      sinceMs: a.sinceMs,
      switchIdx: Number(key),
      text:
        a.problem === 'missing'
          ? `switch ${key}: no label in the last READ (policy ${config.labels.policy})`
          : `switch ${key}: label "${a.text ?? ''}" does not match ${patternText(config)} (policy ${config.labels.policy})`,
    });
  }
  for (const [key, m] of Object.entries(state.devMismatch)) {
    alarms.push({
      kind: 'dev-mismatch',
      sinceMs: m.sinceMs,
      switchIdx: Number(key),
      text: `switch ${key} reports dev ${m.dev ?? 'none'}, binding wants ${m.expectedDev}`,
    });
  }
  const staleSince = state.link.staleSinceMs;
  const linkFallback = staleSince !== null && inFallback(config, state, null, nowMs);
  const anyFallback = linkFallback || switches.some((s) => s.inFallback);
  if (staleSince !== null) {
    alarms.push(
      anyFallback
        ? { kind: 'link-fallback', sinceMs: staleSince, text: `HAN link stale since ${isoText(staleSince)}: fallback ${config.link.fallback}` }
        : { kind: 'link-stale', sinceMs: staleSince, text: `HAN link stale since ${isoText(staleSince)}: holding the last state` },
    );
  }
  for (const c of config.chargers) {
    if (targets.get(c.id)?.siteCapUnmet) {
      alarms.push({ kind: 'site-cap-unmet', sinceMs: null, chargerId: c.id, text: `site cap ${String(config.siteCapA)} A cannot be met` });
    }
  }

  const unconfirmed = unconfirmedBound(config, state);
  if (unconfirmed.length > 0 && state.boot !== null) {
    alarms.push({
      kind: 'switch-unconfirmed',
      sinceMs: state.boot.sinceMs,
      text: `switch ${unconfirmed.join(', ')} not confirmed by the meter since the start: counts as open`,
    });
  }

  const deadline = staleDeadlineMs(config, state);
  return {
    atMs: nowMs,
    at: isoText(nowMs),
    startedMs: state.startedMs,
    resumedMs: state.resumedMs,
    lastStepMs: state.lastStepMs,
    switches,
    boost: {
      known: state.boost.loads !== null,
      loads: state.boost.loads ?? [],
      periodMin: state.boost.periodMin,
      configMs: state.boost.configMs,
      lastPressMs: state.boost.lastPressMs,
      liftsDnoOpen: config.boost.liftsDnoOpen,
      switches: boostSwitches,
    },
    link: {
      transport: state.link.transport,
      state: staleSince === null ? (state.link.lastLineMs === null ? 'waiting' : 'fresh') : anyFallback ? 'fallback' : 'stale',
      lastLineMs: state.link.lastLineMs,
      lastLine: state.link.lastLineMs === null ? null : isoText(state.link.lastLineMs),
      staleDeadlineMs: staleSince === null ? deadline : null,
      staleSinceMs: staleSince,
      holdEndMs: holdEndMs(config, state, null),
      fallback: config.link.fallback,
      lastSeq: state.link.lastSeq,
    },
    chargers,
    pending,
    alarms,
    counters: structuredClone(state.counters),
    nextWakeMs: pending[0]?.atMs ?? null,
  };
}
