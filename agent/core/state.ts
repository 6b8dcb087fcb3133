// CoreState: everything the core remembers, as plain JSON (no undefined, no Map, no Date),
// because the shell persists it with JSON.stringify after every step and hands it back to
// resume() after a restart. Absent values are null so a JSON round trip changes nothing.

import type { SwitchCause, SwitchType } from './inputs.js';
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
  /** What the charger was last told (null: never, by any process). */
  appliedA: Amps | null;
  /** Not written since this process started: the write is held back until the meter confirms
   *  its switches or the start grace ends (boot.ts). */
  held: boolean;
  explanation: string;
  restore: PendingRestore | null;
  /** Stepping up after a delay; `scheduledMs` is when that delay began (absent in states saved
   *  before it was kept: such a ramp counts as begun long ago). */
  ramp: { nextMs: Ms; scheduledMs?: Ms } | null;
  manualA: Amps | null;
  lastChangeMs: Ms | null;
}

/** One kind of bad line (rejected or ignored) aggregated over a window (badlines.ts). */
export interface BadLineWindow {
  /** The first bad line of the window was recorded in full at this time; null: no window. */
  sinceMs: Ms | null;
  /** Lines counted in the window after the first. */
  count: number;
  by: Record<string, number>;
  samples: string[];
}

/** What this process has heard from the meter since it started (never carried across a
 *  restart: resume() begins it afresh). */
export interface BootRecord {
  sinceMs: Ms;
  graceEndMs: Ms;
  /** Down longer than a stale period (or unknown): a charger may stand at its failsafe. */
  cold: boolean;
  /** Switch numbers a SWITCH line has reported since the start. */
  confirmed: number[];
  /** An END what=switches arrived: the meter has told its whole state. */
  allConfirmedMs: Ms | null;
  graceEnded: boolean;
  fallbackRecorded: boolean;
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
  boot: BootRecord | null;
  badLines: { rejected: BadLineWindow; ignored: BadLineWindow };
}

export function emptyWindow(): BadLineWindow {
  return { sinceMs: null, count: 0, by: {}, samples: [] };
}

export function newChargerRecord(): ChargerRecord {
  return { appliedA: null, held: true, explanation: 'no limit applied yet', restore: null, ramp: null, manualA: null, lastChangeMs: null };
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
    boot: null,
    badLines: { rejected: emptyWindow(), ignored: emptyWindow() },
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
    boot: s.boot === null ? null : { ...s.boot, confirmed: [...s.boot.confirmed] },
    badLines: { rejected: cloneWindow(s.badLines.rejected), ignored: cloneWindow(s.badLines.ignored) },
  };
}

function cloneWindow(w: BadLineWindow): BadLineWindow {
  return { ...w, by: { ...w.by }, samples: [...w.samples] };
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
  // Fields added since version 1 was first saved: an older save lacks them.
  const out = s as CoreState;
  if (typeof out.boot !== 'object') out.boot = null;
  if (typeof out.badLines !== 'object' || out.badLines === null) out.badLines = { rejected: emptyWindow(), ignored: emptyWindow() };
  for (const rec of Object.values(out.chargers)) if (typeof rec.held !== 'boolean') rec.held = false;
  return out;
}
