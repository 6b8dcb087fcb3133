// The event kinds the core records, each with the shape of its data: the contract between the
// core that writes them and every reader of the log (log, incidents, status, demo, uplink).
// agent/core/EVENTS.md says what each means; test/unit/core/events-doc.test.ts holds the two
// to each other, so a kind added here without a line there fails the suite.

import type { Amps, Ms } from './types.js';
import type { LabelAlarm, SwitchRecord } from './state.js';
import type { SwitchSignal } from './signal.js';
import type { ExemptReason } from './ctx.js';

export type ClaimData = {
  source: string;
  capA: Amps | null;
  text: string;
};

/** A window of rejected lines or of unknown verbs closed with more than its first line. */
type BadLineSummary = {
  fromMs: Ms;
  toMs: Ms;
  count: number;
  samples: string[];
};

export interface CoreEvents {
  // Decisions
  'limit.changed': { fromA: Amps | null; toA: Amps; reason: string; explanation: string; claims: ClaimData[] };
  'limit.reapplied': { limitA: Amps | null; reason: 'resume' | 'start'; explanation: string; claims: ClaimData[] };
  'restore.scheduled': { fromA: Amps; toA: Amps; delayMs: Ms; dueMs: Ms; maxDelayMs: Ms };
  'restore.done': { fromA: Amps; toA: Amps; dueMs: Ms; scheduledMs: Ms };
  'restore.ramp': { fromA: Amps; toA: Amps; targetA: Amps; nextMs: Ms | null };
  'restore.exempt': { reason: ExemptReason; detail: string; fromA: Amps; toA: Amps; cancelledDueMs: Ms | null };
  'restore.cancelled': {
    reason: 'reduced again' | 'target back at the applied limit' | 'cold start: a rise draws a fresh delay';
    dueMs: Ms | null;
    ramping: boolean;
  };
  // The switches and their labels
  'switch.state': {
    idx: number;
    type: SwitchRecord['type'];
    dev: string | null;
    /** The signal as text: `open`, `closed`, or `at N %`. */
    state: string;
    cause: SwitchRecord['cause'];
    durMin: number | null;
    seq: number | null;
    changed: boolean;
    bound: boolean;
    label: string | null;
    leaseEndMs: Ms | null;
  };
  'switch.dev-mismatch': { idx: number; dev: string | null; expectedDev: string };
  'switch.dev-match': { idx: number; dev: string | null; mismatchSinceMs: Ms };
  'label.state': { idx: number; text: string; ok: boolean; bound: boolean; seq: number | null };
  'label.alarm': { idx: number; problem: LabelAlarm['problem']; text: string | null; pattern: string; policy: 'warn' | 'enforce' };
  'label.cleared': { idx: number; text: string | null; reason: 'label ok' | 'switch no longer bound' };
  'lease.expired': { idx: number; leaseEndMs: Ms; durMin: number | null; state: SwitchSignal; cause: SwitchRecord['cause'] };
  'lease.reread': { idx: number; leaseEndMs: Ms };
  'read.end': { what: string; missingLabels: number[] };
  // The Boost Button
  'boost.config': { loads: number[]; periodMin: number; added: number[]; removed: number[]; firstConfig: boolean };
  'boost.press': { loads: number[] | null; periodMin: number | null; known: boolean; rule: 'press-restarts-period' };
  'boost.granted': { idx: number; untilMs: Ms; periodMin: number; renewed: boolean; bound: boolean; liftsOpen: boolean; rule: string };
  'boost.denied': { idx: number; reason: string };
  'boost.cancel': { active: number[] };
  'boost.ended': { idx: number; reason: 'period' | 'cancelled' | 'removed-from-button'; sinceMs: Ms; untilMs: Ms };
  'boost.inconsistent': { idx: number; reason: string; loads: number[] | null };
  // The HAN link
  'link.up': { was: 'unknown' | 'up' | 'down' };
  'link.down': { was: 'unknown' | 'up' | 'down'; error: string | null };
  'link.stale': { lastLineMs: Ms | null; staleSinceMs: Ms; staleAfterMs: Ms };
  'link.fallback':
    | { scope: 'link'; fallback: 'normal' | 'reduced'; holdEndMs: Ms; reason: 'hold' }
    | {
        scope: 'switch';
        idx: number;
        fallback: 'normal' | 'reduced';
        holdEndMs: Ms;
        reason: 'hold' | 'lease';
        lastState: SwitchSignal;
        lastCause: SwitchRecord['cause'];
      };
  'link.fresh': { staleSinceMs: Ms; staleForMs: Ms; fallbackEnded: boolean };
  'seq.gap': { expected: number; got: number; lost: number };
  'han.rejected': { reason: string; line: string };
  'han.rejected-summary': BadLineSummary & { byReason: Record<string, number> };
  'han.ignored': { verb: string };
  'han.ignored-summary': BadLineSummary & { byVerb: Record<string, number> };
  'han.error': { code: string; text: string | null };
  // The start
  'start.confirmed': { by: 'switch'; idx: number; afterMs: Ms } | { by: 'read'; unconfirmed: number[]; afterMs: Ms };
  'start.grace-ended': { graceMs: Ms; unconfirmed: number[]; heldChargers: string[] };
  'start.unconfirmed-fallback': { unconfirmed: number[]; fallback: 'normal' | 'reduced'; sinceMs: Ms; endMs: Ms };
  // The owner and the core itself
  'owner.manual-limit': { previousA: Amps | null; limitA: Amps | null };
  'owner.restore-now': { pending: string[]; later: string[]; issuedMs: Ms };
  'owner.rejected': { chargerId: string; limitA: Amps | null; reason: string };
  'core.started': { chargers: string[]; bindings: number; graceEndMs: Ms };
  'core.resumed': {
    savedAtMs: Ms | null;
    downMs: Ms | null;
    cold: boolean;
    staleSinceMs: Ms | null;
    pendingRestores: Array<{ chargerId: string; dueMs: Ms | null }>;
  };
  'core.clock-back': { fromMs: Ms; toMs: Ms; byMs: Ms };
  'core.bad-input': { reason: 'unknown message verb'; verb: string } | { reason: 'unknown input type'; type: string };
}

export type CoreEventKind = keyof CoreEvents;

/** Every core kind, as data: a Record so that a kind missing here, or one too many, fails to compile. */
const CORE_KINDS: Record<CoreEventKind, true> = {
  'limit.changed': true,
  'limit.reapplied': true,
  'restore.scheduled': true,
  'restore.done': true,
  'restore.ramp': true,
  'restore.exempt': true,
  'restore.cancelled': true,
  'switch.state': true,
  'switch.dev-mismatch': true,
  'switch.dev-match': true,
  'label.state': true,
  'label.alarm': true,
  'label.cleared': true,
  'lease.expired': true,
  'lease.reread': true,
  'read.end': true,
  'boost.config': true,
  'boost.press': true,
  'boost.granted': true,
  'boost.denied': true,
  'boost.cancel': true,
  'boost.ended': true,
  'boost.inconsistent': true,
  'link.up': true,
  'link.down': true,
  'link.stale': true,
  'link.fallback': true,
  'link.fresh': true,
  'seq.gap': true,
  'han.rejected': true,
  'han.rejected-summary': true,
  'han.ignored': true,
  'han.ignored-summary': true,
  'han.error': true,
  'start.confirmed': true,
  'start.grace-ended': true,
  'start.unconfirmed-fallback': true,
  'owner.manual-limit': true,
  'owner.restore-now': true,
  'owner.rejected': true,
  'core.started': true,
  'core.resumed': true,
  'core.clock-back': true,
  'core.bad-input': true,
};

export const CORE_EVENT_KINDS = Object.keys(CORE_KINDS) as CoreEventKind[];

/** The event effect of one kind; with no argument, the union of all of them. */
export type EventEffect<K extends CoreEventKind = CoreEventKind> = {
  [P in K]: { type: 'event'; kind: P; switchIdx?: number; chargerId?: string; data: CoreEvents[P] };
}[K];
