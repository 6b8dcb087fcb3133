// Opening the file: a writer gets WAL and its schema migrated, a reader only a file it can
// read. The Conn is what every part of the store shares: the handle, the statements more than
// one part needs, and a cache of prepared query shapes.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { LATEST_VERSION, migrate, schemaVersion } from '../migrations.js';
import type { Checkpoint } from '../types.js';

export interface OpenOptions {
  readonly?: boolean;
  /** Milliseconds since the epoch; tests pass a fake. */
  clock?: () => number;
  /** How long to wait for another process's lock. */
  busyTimeoutMs?: number;
}

export interface Conn {
  db: Database.Database;
  path: string;
  readonly: boolean;
  clock: () => number;
  lastRow: Database.Statement<[], { id: number; hash: string }>;
  seq: Database.Statement<[], { seq: number }>;
  checkpoint(): Checkpoint | null;
  cached(key: string, sql: string, raw: boolean): Database.Statement;
  /** Throws unless this connection may write. */
  mustWrite(): void;
}

// The writer waits at most this long for a CLI holding the write lock (enqueueCommand holds it
// for microseconds). It is short on purpose: appends are synchronous, so waiting here stalls
// the agent's event loop.
const WRITER_BUSY_TIMEOUT_MS = 2_000;
// A reader in WAL mode never waits for the writer; it only waits during WAL recovery or a
// checkpoint that needs an exclusive lock, and can afford to wait longer than the agent.
const READER_BUSY_TIMEOUT_MS = 5_000;

function openDatabase(path: string, readonly: boolean): Database.Database {
  if (readonly && !existsSync(path)) {
    // better-sqlite3 would say "unable to open database file"; a reader must never create one.
    throw new Error(`event log not found: ${path}`);
  }
  try {
    return new Database(path, readonly ? { readonly: true, fileMustExist: true } : {});
  } catch (err) {
    throw new Error(`cannot open event log ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function prepareFile(db: Database.Database, readonly: boolean, busyTimeoutMs: number | undefined): void {
  db.pragma(`busy_timeout = ${busyTimeoutMs ?? (readonly ? READER_BUSY_TIMEOUT_MS : WRITER_BUSY_TIMEOUT_MS)}`);
  if (readonly) {
    const version = schemaVersion(db);
    if (version === 0) throw new Error('not an hcalcs event log (schema version 0, no events table)');
    if (version !== LATEST_VERSION) {
      throw new Error(
        `schema version ${version}, this agent reads version ${LATEST_VERSION}; ` +
          'start the agent once to migrate the file, or use the agent version that wrote it',
      );
    }
    return;
  }
  // WAL: CLI readers see committed rows without ever blocking the agent's appends.
  db.pragma('journal_mode = WAL');
  // synchronous=NORMAL in WAL mode: a commit is written to the WAL but not fsynced; the
  // fsync happens at checkpoints. An agent crash loses nothing (the OS has the pages); a
  // power cut can lose the last commits before the latest checkpoint, but SQLite recovery
  // drops whole transactions only, so the file stays consistent and the chain intact (the
  // tail simply ends earlier). FULL would fsync every append: on a gateway's SD card that
  // is milliseconds per event and flash wear, and it would cap bursts (HAN reconnect,
  // boost with several chargers) far below the 20,000 appends/s budget. The safety
  // decisions themselves never depend on the log having survived a power cut: after a
  // restart the agent re-reads the HAN and the chargers' read-back.
  db.pragma('synchronous = NORMAL');
  // Keep the WAL from staying at its high-water mark after a burst (SD card space).
  db.pragma('journal_size_limit = 16777216');
  migrate(db);
}

export function openConn(path: string, options: OpenOptions): Conn {
  const readonly = options.readonly ?? false;
  const clock = options.clock ?? Date.now;
  const db = openDatabase(path, readonly);
  try {
    prepareFile(db, readonly, options.busyTimeoutMs);
  } catch (err) {
    db.close();
    const msg = (err as Error).message;
    throw new Error(msg.startsWith('cannot open event log') ? msg : `event log ${path}: ${msg}`, { cause: err });
  }
  const stmtCheckpoint = db.prepare<[], { throughId: number; throughHash: string; throughAtMs: number; prunedRows: number; atMs: number }>(
    'SELECT through_id AS throughId, through_hash AS throughHash, through_at_ms AS throughAtMs, pruned_rows AS prunedRows, at_ms AS atMs FROM checkpoint WHERE id = 1',
  );
  const queryCache = new Map<string, Database.Statement>();
  return {
    db,
    path,
    readonly,
    clock,
    lastRow: db.prepare<[], { id: number; hash: string }>('SELECT id, hash FROM events ORDER BY id DESC LIMIT 1'),
    seq: db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'events'"),
    checkpoint: () => stmtCheckpoint.get() ?? null,
    cached(key, sql, raw) {
      let s = queryCache.get(key);
      if (s === undefined) {
        s = db.prepare(sql);
        if (raw) s.raw(true);
        queryCache.set(key, s);
      }
      return s;
    },
    mustWrite() {
      if (readonly) throw new Error(`event log ${path} is open readonly`);
    },
  };
}
