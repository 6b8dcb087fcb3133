// The event log's schema history. The file's version lives in `PRAGMA user_version`; each
// migration runs in its own IMMEDIATE transaction together with the version bump, so a power
// cut mid-upgrade leaves the file at the old version, never half-migrated, and two processes
// opening the same file at once (the agent and a CLI) cannot both apply a step.
// Append new steps at the end; never edit a released one (files in the field carry its result).
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  /** What the step is for, shown in errors. */
  description: string;
  up: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'append-only events with hash chain, state snapshots',
    up: `
      -- AUTOINCREMENT (not a plain rowid) so ids are never reused: sqlite_sequence then keeps
      -- the highest id ever written, which lets verify() see rows removed from the tail.
      CREATE TABLE events (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        at        TEXT    NOT NULL,
        at_ms     INTEGER NOT NULL,
        kind      TEXT    NOT NULL,
        "switch"  INTEGER,
        charger   TEXT,
        data      TEXT    NOT NULL,
        prev_hash TEXT    NOT NULL CHECK (length(prev_hash) = 64),
        hash      TEXT    NOT NULL CHECK (length(hash) = 64)
      ) STRICT;

      -- The triggers stop the agent's own code (or a careless sqlite3 session) from changing
      -- history; someone who drops them is caught by the hash chain instead.
      CREATE TRIGGER events_no_update BEFORE UPDATE ON events
      BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END;
      CREATE TRIGGER events_no_delete BEFORE DELETE ON events
      BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END;
      -- INSERT OR REPLACE deletes the old row without firing DELETE triggers (unless
      -- recursive_triggers is on in that connection), so overwriting an id is refused here.
      CREATE TRIGGER events_no_replace BEFORE INSERT ON events
      WHEN EXISTS (SELECT 1 FROM events WHERE id = NEW.id)
      BEGIN SELECT RAISE(ABORT, 'events are append-only: an existing id cannot be overwritten'); END;

      -- A rowid table's index carries the rowid (id) as its last column, so (kind) serves
      -- "WHERE kind = ? ORDER BY id DESC LIMIT n" straight from the index.
      CREATE INDEX events_kind ON events (kind);
      -- Partial: most rows have no charger or no switch, and "charger = ?" implies NOT NULL.
      CREATE INDEX events_charger ON events (charger) WHERE charger IS NOT NULL;
      CREATE INDEX events_switch ON events ("switch") WHERE "switch" IS NOT NULL;

      CREATE TABLE state (
        key           TEXT    PRIMARY KEY,
        value         TEXT    NOT NULL,
        updated_at_ms INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: 'owner command queue (CLI -> running agent)',
    up: `
      CREATE TABLE commands (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms       INTEGER NOT NULL,
        name        TEXT    NOT NULL,
        args        TEXT    NOT NULL,
        taken_at_ms INTEGER
      ) STRICT;
      CREATE INDEX commands_open ON commands (id) WHERE taken_at_ms IS NULL;
    `,
  },
  {
    version: 3,
    description: 'retention: pruning the oldest rows behind a checkpoint of the pruned head',
    up: `
      -- The hash of the newest pruned row: verify starts from it, as from the genesis hash.
      -- One row (id 1), replaced as pruning moves on; the log.pruned event in the chain
      -- records the same id and hash, so a checkpoint edited later is caught.
      CREATE TABLE checkpoint (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        through_id    INTEGER NOT NULL,
        through_hash  TEXT    NOT NULL CHECK (length(through_hash) = 64),
        through_at_ms INTEGER NOT NULL,
        pruned_rows   INTEGER NOT NULL,
        at_ms         INTEGER NOT NULL
      ) STRICT;
      -- Pruning may remove rows up to upto_id, and only inside the transaction that sets it
      -- (and clears it again before committing): any other DELETE is still refused.
      CREATE TABLE prune_permit (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        upto_id INTEGER NOT NULL
      ) STRICT;
      DROP TRIGGER events_no_delete;
      CREATE TRIGGER events_no_delete BEFORE DELETE ON events
      WHEN NOT EXISTS (SELECT 1 FROM prune_permit WHERE OLD.id <= upto_id)
      BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END;
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the file up to `toVersion` (default: the latest). Returns the versions applied.
 * A file newer than this code is refused: running old code against it could misread rows.
 */
export function migrate(db: Database.Database, options: { toVersion?: number; migrations?: readonly Migration[] } = {}): number[] {
  const migrations = options.migrations ?? MIGRATIONS;
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  const target = options.toVersion ?? latest;
  const current = schemaVersion(db);
  if (current > latest) {
    throw new Error(`event log schema version ${current} is newer than this agent knows (${latest}); ` + 'upgrade the agent or point it at a new log file');
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version > target) break;
    const step = db.transaction(() => {
      // Re-read inside the lock: another process may have migrated since we looked.
      if (schemaVersion(db) >= m.version) return false;
      db.exec(m.up);
      db.pragma(`user_version = ${m.version}`);
      return true;
    });
    let did: boolean;
    try {
      did = step.immediate();
    } catch (err) {
      throw new Error(`event log migration to version ${m.version} (${m.description}) failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (did) applied.push(m.version);
  }
  return applied;
}
