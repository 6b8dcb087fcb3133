// The event log on SQLite (better-sqlite3). One writer (the agent) appends; CLI processes read
// (log, verify-log, export) or leave owner commands. See chain.ts for the hash chain and
// migrations.ts for the schema; sqlite/ holds the store's parts, one concern each, and this
// file puts them together behind the one public API.
import type { ChainRow } from './chain.js';
import type { Checkpoint, RowInput, EventLog, EventQuery, EventRow, OpenEventLog, VerifyResult } from './types.js';
import { appender } from './sqlite/append.js';
import { openConn, type OpenOptions } from './sqlite/connection.js';
import { pruner } from './sqlite/prune-batch.js';
import { queries } from './sqlite/queries.js';
import { stateTables } from './sqlite/state.js';
import { verifier } from './sqlite/verify.js';

export type { OpenOptions } from './sqlite/connection.js';

/** A row exactly as stored, with what a third party needs to re-verify the chain. The data
 *  column is its JSON text byte for byte (the hash covers this text, not a re-encoding). */
export type StoredEventRow = ChainRow;

/** What the store offers beyond the shared contract, for the CLI (export, verify-log). */
export interface EventLogStore extends EventLog {
  /** The storage takes any kind its format allows (RowInput); the agent writes through EventLog. */
  append(event: RowInput): EventRow;
  appendMany(events: RowInput[]): EventRow[];
  /** All rows matching q (limit ignored), oldest first, streamed rather than loaded at once. */
  scan(q?: Omit<EventQuery, 'limit'>): IterableIterator<StoredEventRow>;
  /** The newest row's id and hash (to quote as an anchor for the evidence), or null if empty. */
  head(): { id: number; hash: string } | null;
  /**
   * verify() spread over worker threads (same result, first bad row included); falls back to
   * verify() for small logs or if workers cannot start.
   */
  verifyParallel(options?: { threads?: number; minRows?: number; onFallback?: (err: Error) => void }): Promise<VerifyResult>;
  /** How many rows match q (limit and oldestFirst ignored). */
  count(q?: Omit<EventQuery, 'limit'>): number;
  /** One row as stored, or null if there is none with that id (pruned, or never written). */
  storedRow(id: number): StoredEventRow | null;
  /** Where the chain starts after pruning, or null if nothing was ever pruned. */
  pruneCheckpoint(): Checkpoint | null;
  /** Chargers whose limit rows name switch n (the rows a switch causes are theirs). */
  chargersOfSwitch(n: number): string[];
  /**
   * Removes up to maxRows of the oldest rows written before cutoffMs, in one short
   * transaction, moving the checkpoint to the newest row removed. Never removes the newest
   * row. Returns how many went and whether more are due.
   */
  pruneBatch(cutoffMs: number, maxRows: number): { pruned: number; more: boolean; checkpoint: Checkpoint | null };
  readonly path: string;
  readonly readonly: boolean;
  /** Copies the WAL into the main file and empties it (PRAGMA wal_checkpoint(TRUNCATE)). */
  checkpoint(): void;
  /** Writes a complete copy of the log, as this connection sees it, to a new file (VACUUM INTO). */
  copyTo(dest: string): void;
}

export function openEventLogStore(path: string, options: OpenOptions = {}): EventLogStore {
  const c = openConn(path, options);
  const appendMany = appender(c);
  const q = queries(c);
  const v = verifier(c);
  const s = stateTables(c);
  const db = c.db;
  return {
    path,
    readonly: c.readonly,
    count: q.count,
    storedRow: q.storedRow,
    pruneCheckpoint: c.checkpoint,
    chargersOfSwitch: q.chargersOfSwitch,
    pruneBatch: pruner(c),
    verifyParallel: v.verifyParallel,
    append(event: RowInput): EventRow {
      const [row] = appendMany([event]);
      return row as EventRow;
    },
    appendMany,
    query: q.query,
    scan: q.scan,
    verify: v.verify,
    head: q.head,
    saveState: s.saveState,
    loadState: s.loadState,
    enqueueCommand: s.enqueueCommand,
    takeCommands: s.takeCommands,
    checkpoint(): void {
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    copyTo(dest: string): void {
      db.prepare('VACUUM INTO ?').run(dest);
    },
    close(): void {
      if (db.open) db.close();
    },
  };
}

export const openEventLog: OpenEventLog = (path, options) => openEventLogStore(path, options);
