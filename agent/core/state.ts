// CoreState: everything the core remembers, as plain JSON (no undefined, no Map, no Date),
// because the shell persists it with JSON.stringify after every step and hands it back to
// resume() after a restart. Absent values are null so a JSON round trip changes nothing.

import type { SwitchCause, SwitchType } from '../../drivers/han/messages.js';
import type { Amps, CoreConfig, Ms } from './types.js';
import type { SwitchSignal } from './signal.js';
import { seedRng } from './rng.js';

export const STATE_VERSION = 1;

export interface SwitchRecord {
  idx: number;
  type: SwitchType;
  dev: string | null;
  signal: SwitchSignal;
  cause: SwitchCause;
  /** When the signal (or the device behind the number) last changed. */
  sinceMs: Ms;
  lastReportMs: Ms;
  durMin: number | null;
  /** lastReportMs + dur: the meter's own promise of when the commanded state ends. */
  leaseEndMs: Ms | null;
  /** Set when the lease ran out without news (a READ was sent). */
  leaseExpiredMs: Ms | null;
  /** When the last READ for an expired lease went out (asked again every staleAfterMs). */
  leaseAskedMs: Ms | null;
  seq: number | null;
  /** The link fallback has been recorded for this switch in the current stale episode. */
  inFallback: boolean;
}

export interface LabelRecord {
  text: string | null;
  receivedMs: Ms | null;
  /** The last completed READ answer had no LABEL for this switch. */
  missing: boolean;
}

export interface LabelAlarm {
  problem: 'mismatch' | 'missing';
  text: string | null;
  sinceMs: Ms;
}

export interface BoostGrant {
  sinceMs: Ms;
  untilMs: Ms;
}

export interface BoostDenial {
  atMs: Ms;
  reason: string;
}

export interface PendingRestore {
  scheduledMs: Ms;
  dueMs: Ms;
  delayMs: Ms;
  fromA: Amps;
  toA: Amps;
}

export interface ChargerRecord {
  /** null until the first step (or resume) has emitted a limit. */
  appliedA: Amps | null;
  explanation: string;
  restore: PendingRestore | null;
  ramp: { nextMs: Ms } | null;
  manualA: Amps | null;
  lastChangeMs: Ms | null;
}

export interface Counters {
  linesOk: number;
  linesRejected: number;
  rejectedByReason: Record<string, number>;
  linesIgnored: number;
  ignoredByVerb: Record<string, number>;
  seqGaps: number;
  leaseExpiries: number;
  readsRequested: number;
}

export interface CoreState {
  v: typeof STATE_VERSION;
  rng: number;
  startedMs: Ms | null;
  lastStepMs: Ms | null;
  resumedMs: Ms | null;
  switches: Record<string, SwitchRecord>;
  labels: Record<string, LabelRecord>;
  labelAlarms: Record<string, LabelAlarm>;
  /** Switch numbers whose reported device differs from the binding's dev. */
  devMismatch: Record<string, { dev: string | null; expectedDev: string; sinceMs: Ms }>;
  boost: {
    /** null until a BOOSTCFG arrives: the button's assignment is unknown. */
    loads: number[] | null;
    periodMin: number | null;
    configMs: Ms | null;
    active: Record<string, BoostGrant>;
    denials: Record<string, BoostDenial>;
    lastPressMs: Ms | null;
  };
  link: {
    transport: 'unknown' | 'up' | 'down';
    transportSinceMs: Ms | null;
    lastLineMs: Ms | null;
    /** Staleness counts from the later of the last line and this (start or resume). */
    livenessFromMs: Ms | null;
    staleSinceMs: Ms | null;
    /** The fallback for bindings without a known switch has been recorded. */
    globalFallback: boolean;
    lastSeq: number | null;
  };
  read: { labelsSeen: number[]; lastEndMs: Ms | null };
  chargers: Record<string, ChargerRecord>;
  counters: Counters;
}

export function newChargerRecord(): ChargerRecord {
  return { appliedA: null, explanation: 'no limit applied yet', restore: null, ramp: null, manualA: null, lastChangeMs: null };
}

export function initialState(config: CoreConfig, seed: number): CoreState {
  const chargers: Record<string, ChargerRecord> = {};
  for (const c of config.chargers) chargers[c.id] = newChargerRecord();
  return {
    v: STATE_VERSION,
    rng: seedRng(seed),
    startedMs: null,
    lastStepMs: null,
    resumedMs: null,
    switches: {},
    labels: {},
    labelAlarms: {},
    devMismatch: {},
    boost: { loads: null, periodMin: null, configMs: null, active: {}, denials: {}, lastPressMs: null },
    link: {
      transport: 'unknown',
      transportSinceMs: null,
      lastLineMs: null,
      livenessFromMs: null,
      staleSinceMs: null,
      globalFallback: false,
      lastSeq: null,
    },
    read: { labelsSeen: [], lastEndMs: null },
    chargers,
    counters: {
      linesOk: 0,
      linesRejected: 0,
      rejectedByReason: {},
      linesIgnored: 0,
      ignoredByVerb: {},
      seqGaps: 0,
      leaseExpiries: 0,
      readsRequested: 0,
    },
  };
}

function copyRecord<T>(r: Record<string, T>, f: (v: T) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(r)) out[k] = f(r[k] as T);
  return out;
}

/** A copy written out field by field: step() copies on every call and this is several times
 *  faster than structuredClone. The purity property test fails if a nested object is missed. */
export function cloneState(s: CoreState): CoreState {
  return {
    ...s,
    switches: copyRecord(s.switches, (r) => ({ ...r, signal: { ...r.signal } })),
    labels: copyRecord(s.labels, (l) => ({ ...l })),
    labelAlarms: copyRecord(s.labelAlarms, (a) => ({ ...a })),
    devMismatch: copyRecord(s.devMismatch, (m) => ({ ...m })),
    boost: {
      ...s.boost,
      loads: s.boost.loads === null ? null : [...s.boost.loads],
      active: copyRecord(s.boost.active, (g) => ({ ...g })),
      denials: copyRecord(s.boost.denials, (d) => ({ ...d })),
    },
    link: { ...s.link },
    read: { ...s.read, labelsSeen: [...s.read.labelsSeen] },
    chargers: copyRecord(s.chargers, (c) => ({
      ...c,
      restore: c.restore === null ? null : { ...c.restore },
      ramp: c.ramp === null ? null : { ...c.ramp },
    })),
    counters: { ...s.counters, rejectedByReason: { ...s.counters.rejectedByReason }, ignoredByVerb: { ...s.counters.ignoredByVerb } },
  };
}

/** A light structural check of a saved state: enough to refuse garbage with a clear message. */
export function checkSavedState(saved: unknown): CoreState {
  const fail = (why: string): never => {
    throw new Error(`saved core state is not usable: ${why}`);
  };
  if (typeof saved !== 'object' || saved === null) return fail('not an object');
  const s = saved as Partial<CoreState>;
  if (s.v !== STATE_VERSION) return fail(`version ${String(s.v)}, expected ${STATE_VERSION}`);
  if (typeof s.rng !== 'number') return fail('rng: not a number');
  for (const key of ['switches', 'labels', 'labelAlarms', 'devMismatch', 'boost', 'link', 'read', 'chargers', 'counters'] as const) {
    if (typeof s[key] !== 'object' || s[key] === null) fail(`${key}: missing`);
  }
  return s as CoreState;
}
