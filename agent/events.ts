// Every event kind the agent writes to its log, with the shape of its data: the core's
// (agent/core/events.ts), the charger layer's (drivers/charger/events.ts) and the shell's own
// below. A row written with a kind not named here, or with data of another shape, fails to
// compile; agent/core/EVENTS.md documents each kind, and a test holds the two together.

import { CORE_EVENT_KINDS, type CoreEvents } from './core/events.js';
import { CHARGER_EVENT_KINDS, type ChargerEvents } from '../drivers/charger/events.js';
import type { SampleData } from './history/sampler.js';
import type { EventInput } from './event-log/types.js';

/** The shell's own kinds, grouped by the module that writes them. */
export interface ShellEvents {
  // agent/runtime.ts
  'agent.start': { dryRun: boolean; resumed: boolean; pid: number };
  'agent.stop': { reason: string };
  /** The saved core state could not be resumed; it is kept here as evidence. */
  'agent.state-discarded': { error: string; saved: unknown };
  'agent.state-save-failed': { error: string };
  'agent.state-save-recovered': { failingSinceMs: number | null; attempts: number; lastError: string | null };
  'clock.step': { byMs: number; wallMs: number; timelineMs: number; thresholdMs: number };
  'owner.command': { id: number; name: string; args: Record<string, unknown> };
  // agent/history/sampler.ts (through the runtime)
  'charger.sample': SampleData;
  // agent/event-log
  'log.pruned': {
    rows: number;
    retentionDays: number;
    cutoffMs: number;
    throughId: number;
    throughHash: string;
    throughAtMs: number;
    batches: number;
    tookMs: number;
  };
  'eventlog.state-unreadable': { key: string; error: string };
  'eventlog.rejected-row': { kind: string; error: string };
  'eventlog.outage': { reason: string; fromMs: number; toMs: number; delayedRows: number; lostRows: number };
  'eventlog.gap': { lost: number; firstAtMs: number | null; lastAtMs: number | null; reason: string };
  'eventlog.recovered': { reason: string; when: 'start' | 'retry' | 'broken while running'; movedTo: string; salvagedState: string[] };
  'eventlog.reopened': { reason: string; rebuilt: string } | { reason: string; rebuilt: false; error: string };
  // agent/uplink
  'uplink.start-failed': { error: string };
  'uplink.cursor-reset': { cursorId: number; expectedHash: string | null; foundHash: string | null };
  'uplink.command-refused': { name: string; reason: string; requestId?: string };
  // agent/cli (field tools run beside the service)
  'owner.manual-set': { limitA: number; ok: boolean; readBackA: number | null; durationMs: number; error: string | null; via: 'cli' };
  'charger.failsafe-test': {
    outcome: 'PASS' | 'FAIL' | 'INCONCLUSIVE';
    pass: boolean;
    reason: string;
    view: string;
    /** The figures the verdict rests on (bounds, samples, the failsafe settings read back). */
    [figure: string]: unknown;
  };
}

export type ShellEventKind = keyof ShellEvents;

/** Every shell kind, as data: a kind missing here, or one too many, fails to compile. */
const SHELL_KINDS: Record<ShellEventKind, true> = {
  'agent.start': true,
  'agent.stop': true,
  'agent.state-discarded': true,
  'agent.state-save-failed': true,
  'agent.state-save-recovered': true,
  'clock.step': true,
  'owner.command': true,
  'charger.sample': true,
  'log.pruned': true,
  'eventlog.state-unreadable': true,
  'eventlog.rejected-row': true,
  'eventlog.outage': true,
  'eventlog.gap': true,
  'eventlog.recovered': true,
  'eventlog.reopened': true,
  'uplink.start-failed': true,
  'uplink.cursor-reset': true,
  'uplink.command-refused': true,
  'owner.manual-set': true,
  'charger.failsafe-test': true,
};

/** Kind -> data, for every kind the agent writes. */
export interface EventData extends CoreEvents, ChargerEvents, ShellEvents {}

export type EventKind = keyof EventData;

export const EVENT_KINDS: readonly EventKind[] = [...CORE_EVENT_KINDS, ...CHARGER_EVENT_KINDS, ...(Object.keys(SHELL_KINDS) as ShellEventKind[])];

const known: ReadonlySet<string> = new Set(EVENT_KINDS);

export function isEventKind(kind: string): kind is EventKind {
  return known.has(kind);
}

/** One event of a known kind with its data: narrowing on `kind` types `data`. */
export type KnownEvent<K extends EventKind = EventKind> = { [P in K]: { kind: P; data: EventData[P] } }[K];

/**
 * One row of kind K: the signature checks the data against the kind. The result is widened
 * to the union of all kinds, which TypeScript cannot do by itself for a generic K
 * (microsoft/TypeScript#30581).
 */
export function eventRow<K extends EventKind>(kind: K, data: EventData[K], ref: { switchIdx?: number | null; chargerId?: string | null } = {}): EventInput {
  const row: EventInput<K> = { ...ref, kind, data };
  return row as EventInput;
}

/**
 * A row read back from the log, when its kind is one this version writes. Its data is typed
 * Partial: a row written by another version may lack a field, so readers still check each.
 */
export type LoggedEvent = { [K in EventKind]: { kind: K; data: Partial<EventData[K]> } }[EventKind];

export function loggedEvent(kind: string, data: Record<string, unknown>): LoggedEvent | null {
  // The log is written through EventInput, so a known kind's data has that kind's shape (or
  // an older one's, which Partial allows for): the one place stored JSON is given a type.
  return isEventKind(kind) ? ({ kind, data } as LoggedEvent) : null;
}
