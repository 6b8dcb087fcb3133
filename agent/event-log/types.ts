// The contract of the event log (agent/event-log/store.ts implements it). Appends are
// synchronous (better-sqlite3) and each row is chained to the one before by a hash, so a
// changed, removed or reordered row is found by verify().

export interface EventInput {
  kind: string;
  switchIdx?: number | null;
  chargerId?: string | null;
  data?: Record<string, unknown>;
  /** When it happened; the log's clock if absent. */
  atMs?: number;
}

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
}

export type VerifyResult =
  | { ok: true; count: number }
  | { ok: false; count: number; firstBadId: number; reason: string };

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
