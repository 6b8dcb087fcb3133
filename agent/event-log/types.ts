// The contract of the event log (agent/event-log/store.ts implements it). Appends are
// synchronous (better-sqlite3) and each row is chained to the one before by a hash, so a
// changed, removed or reordered row is found by verify().

import type { EventData, EventKind } from '../events.js';

/** A row to append: one of the agent's kinds (agent/events.ts) with its data. */
export type EventInput<K extends EventKind = EventKind> = {
  [P in K]: {
    kind: P;
    switchIdx?: number | null;
    chargerId?: string | null;
    data: EventData[P];
    /** When it happened; the log's clock if absent. */
    atMs?: number;
  };
}[K];

export interface EventRow {
  id: number;
  /** UTC, ISO 8601 with milliseconds and Z. */
  at: string;
  atMs: number;
  kind: string;
  switchIdx: number | null;
  chargerId: string | null;
  data: Record<string, unknown>;
  /** Hex SHA-256 over the previous row's hash and this row's content. */
  hash: string;
}

export interface EventQuery {
  /** At most this many rows (the newest), returned oldest first. */
  limit?: number;
  kind?: string;
  /** Prefix match on kind, e.g. "charger." */
  kindPrefix?: string;
  chargerId?: string;
  switchIdx?: number;
  sinceMs?: number;
  /** Exclusive. */
  untilMs?: number;
  /** Only rows with a greater id (--follow). */
  afterId?: number;
  /**
   * The rows of a switch and the rows it caused: switch = switchIdx, or a charger row (other
   * than periodic samples) of one of chargerIds. Replaces switchIdx when given.
   */
  switchCaused?: { switchIdx: number; chargerIds: string[] };
  /** Leaves these kinds out (the log view hides the periodic history samples). */
  excludeKinds?: string[];
  /** With limit: the oldest n rows of the selection instead of the newest. */
  oldestFirst?: boolean;
}

/** Where the chain starts when old rows were pruned: the newest pruned row's id and hash. */
export interface Checkpoint {
  throughId: number;
  throughHash: string;
  throughAtMs: number;
  prunedRows: number;
  atMs: number;
}

export type VerifyResult =
  { ok: true; count: number; checkpoint?: Checkpoint } | { ok: false; count: number; firstBadId: number; reason: string; checkpoint?: Checkpoint };

/**
 * A row as the storage takes it: any kind its format allows, since a log also holds rows of
 * kinds this version does not write (a newer agent's, or an older one's). The agent writes
 * through EventLog, whose EventInput names the kinds.
 */
export interface RowInput {
  kind: string;
  switchIdx?: number | null;
  chargerId?: string | null;
  data?: Record<string, unknown>;
  atMs?: number;
}

export interface EventLog {
  append(event: EventInput): EventRow;
  /** One transaction for all. */
  appendMany(events: EventInput[]): EventRow[];
  query(q: EventQuery): EventRow[];
  verify(): VerifyResult;
  /** A small key-value store beside the events, for the running agent's state snapshots. */
  saveState(key: string, value: unknown): void;
  loadState<T>(key: string): T | undefined;
  /**
   * A queue of owner commands (e.g. restore-now) that a CLI process leaves for the running
   * agent, which takes them on its next poll. Both sides only ever hold the lock briefly.
   */
  enqueueCommand(command: { name: string; args?: Record<string, unknown> }): number;
  /** Returns the commands not taken yet, oldest first, and marks them taken (one transaction). */
  takeCommands(): Array<{ id: number; name: string; args: Record<string, unknown>; atMs: number }>;
  close(): void;
}

/** Opens (creating and migrating as needed) the log at path; readonly for CLI readers. */
export type OpenEventLog = (path: string, options?: { readonly?: boolean; clock?: () => number }) => EventLog;
