// The event log on SQLite (better-sqlite3). One writer (the agent) appends; CLI processes read
// (log, verify-log, export) or leave owner commands. See chain.ts for the hash chain and
// migrations.ts for the schema.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import Database from 'better-sqlite3';
import { ChainChecker, GENESIS_HASH, chainHash, type ChainRow } from './chain.js';
import { LATEST_VERSION, migrate, schemaVersion } from './migrations.js';
import type { Checkpoint, EventInput, EventLog, EventQuery, EventRow, OpenEventLog, VerifyResult } from './types.js';
import { MAX_UTC_MS, toUtcIso } from './utc.js';
import { mergeSlices, runSliceInWorker } from './verify-parallel.js';

/** A row exactly as stored, with what a third party needs to re-verify the chain. The data
 *  column is its JSON text byte for byte (the hash covers this text, not a re-encoding). */
export type StoredEventRow = ChainRow;

/** What the store offers beyond the shared contract, for the CLI (export, verify-log). */
export interface EventLogStore extends EventLog {
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

export interface OpenOptions {
  readonly?: boolean;
  /** Milliseconds since the epoch; tests pass a fake. */
  clock?: () => number;
  /** How long to wait for another process's lock. */
  busyTimeoutMs?: number;
}

// The writer waits at most this long for a CLI holding the write lock (enqueueCommand holds it
// for microseconds). It is short on purpose: appends are synchronous, so waiting here stalls
// the agent's event loop.
const WRITER_BUSY_TIMEOUT_MS = 2_000;
// A reader in WAL mode never waits for the writer; it only waits during WAL recovery or a
// checkpoint that needs an exclusive lock, and can afford to wait longer than the agent.
const READER_BUSY_TIMEOUT_MS = 5_000;
// Below this many rows a sequential verify takes well under a second; workers are not worth
// their start-up.
const PARALLEL_MIN_ROWS = 100_000;

// Kinds are dotted identifiers ("switch.open", "charger.write"); printable ASCII without
// spaces keeps them safe on a serial console and in CSV, and makes prefix ranges exact.
const KIND = /^[\x21-\x7e]{1,64}$/;
// A charger id is shown on consoles and written to CSV: no control characters.
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface Prepared {
  atMs: number;
  at: string;
  kind: string;
  switchIdx: number | null;
  chargerId: string | null;
  dataJson: string;
}

function prepareInput(e: EventInput, index: number, clock: () => number): Prepared {
  // Built only on the error path: this runs for every event appended.
  const where = { toString: () => `event ${index}${typeof e?.kind === 'string' ? ` (${e.kind})` : ''}` };
  if (e === null || typeof e !== 'object') throw new TypeError(`${where}: not an object`);
  if (typeof e.kind !== 'string' || !KIND.test(e.kind)) {
    throw new TypeError(`${where}: kind must be 1-64 printable ASCII characters without spaces, got ${JSON.stringify(e.kind)}`);
  }
  const rawMs = e.atMs ?? clock();
  if (typeof rawMs !== 'number' || !Number.isFinite(rawMs)) {
    throw new TypeError(`${where}: atMs must be a finite number of milliseconds, got ${String(rawMs)}`);
  }
  // The log keeps millisecond precision; a fractional clock (performance-based) is floored.
  const atMs = Math.floor(rawMs);
  if (atMs < 0 || atMs > MAX_UTC_MS) throw new RangeError(`${where}: atMs ${atMs} is outside 1970..9999`);
  const switchIdx = e.switchIdx ?? null;
  if (switchIdx !== null && (!Number.isSafeInteger(switchIdx) || switchIdx < 0)) {
    throw new TypeError(`${where}: switchIdx must be a non-negative integer or null, got ${String(switchIdx)}`);
  }
  const chargerId = e.chargerId ?? null;
  if (chargerId !== null) {
    if (typeof chargerId !== 'string' || chargerId.length === 0 || chargerId.length > 200) {
      throw new TypeError(`${where}: chargerId must be a non-empty string of at most 200 characters or null`);
    }
    if (CONTROL.test(chargerId) || LONE_SURROGATE.test(chargerId)) {
      throw new TypeError(`${where}: chargerId ${JSON.stringify(chargerId)} contains control characters or broken UTF-16`);
    }
  }
  const data = e.data ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TypeError(`${where}: data must be a plain object`);
  }
  let dataJson: string;
  try {
    dataJson = JSON.stringify(data);
  } catch (err) {
    throw new TypeError(`${where}: data cannot be stored as JSON: ${(err as Error).message}`, { cause: err });
  }
  return { atMs, at: toUtcIso(atMs), kind: e.kind, switchIdx, chargerId, dataJson };
}

type RawRow = [number, string, number, string, number | null, string | null, string, string, string];

const COLUMNS = 'id, at, at_ms, kind, "switch", charger, data, prev_hash, hash';

function storedFromRaw(r: RawRow): StoredEventRow {
  return {
    id: r[0],
    at: r[1],
    atMs: r[2],
    kind: r[3],
    switchIdx: r[4],
    chargerId: r[5],
    dataJson: r[6],
    prevHash: r[7],
    hash: r[8],
  };
}

function parseData(json: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(json);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    return { value: v };
  } catch {
    // Only reachable if someone wrote the file by hand; show it rather than fail the query.
    return { unparseable: json };
  }
}

function rowFromRaw(r: RawRow): EventRow {
  return {
    id: r[0],
    at: r[1],
    atMs: r[2],
    kind: r[3],
    switchIdx: r[4],
    chargerId: r[5],
    data: parseData(r[6]),
    hash: r[8],
  };
}

/** Kinds are printable ASCII (< 0x7f), so every kind starting with p sorts in [p, p + "\x7f"). */
function prefixUpper(prefix: string): string {
  return `${prefix}\x7f`;
}

function whereClause(q: Omit<EventQuery, 'limit'>): { sql: string; key: string; params: unknown[] } {
  const terms: string[] = [];
  const params: unknown[] = [];
  let key = '';
  if (q.kind !== undefined) {
    terms.push('kind = ?');
    params.push(q.kind);
    key += 'k';
  }
  if (q.kindPrefix !== undefined) {
    terms.push('kind >= ? AND kind < ?');
    params.push(q.kindPrefix, prefixUpper(q.kindPrefix));
    key += 'p';
  }
  if (q.chargerId !== undefined) {
    terms.push('charger = ?');
    params.push(q.chargerId);
    key += 'c';
  }
  if (q.switchCaused !== undefined) {
    const ids = q.switchCaused.chargerIds;
    // Periodic samples are the charger's, not the switch's doing.
    terms.push(
      ids.length === 0
        ? '"switch" = ?'
        : `("switch" = ? OR (charger IN (${ids.map(() => '?').join(', ')}) AND kind <> 'charger.sample'))`,
    );
    params.push(q.switchCaused.switchIdx, ...ids);
    key += `S${ids.length}`;
  } else if (q.switchIdx !== undefined) {
    terms.push('"switch" = ?');
    params.push(q.switchIdx);
    key += 's';
  }
  if (q.sinceMs !== undefined) {
    terms.push('at_ms >= ?');
    params.push(q.sinceMs);
    key += 't';
  }
  if (q.untilMs !== undefined) {
    terms.push('at_ms < ?');
    params.push(q.untilMs);
    key += 'u';
  }
  if (q.excludeKinds !== undefined && q.excludeKinds.length > 0) {
    terms.push(`kind NOT IN (${q.excludeKinds.map(() => '?').join(', ')})`);
    params.push(...q.excludeKinds);
    key += `x${q.excludeKinds.length}`;
  }
  if (q.afterId !== undefined) {
    terms.push('id > ?');
    params.push(q.afterId);
    key += 'a';
  }
  return { sql: terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`, key, params };
}

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

export function openEventLogStore(path: string, options: OpenOptions = {}): EventLogStore {
  const readonly = options.readonly ?? false;
  const clock = options.clock ?? Date.now;
  const db = openDatabase(path, readonly);
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? (readonly ? READER_BUSY_TIMEOUT_MS : WRITER_BUSY_TIMEOUT_MS)}`);
    if (readonly) {
      const version = schemaVersion(db);
      if (version === 0) throw new Error('not an hcalcs event log (schema version 0, no events table)');
      if (version !== LATEST_VERSION) {
        throw new Error(
          `schema version ${version}, this agent reads version ${LATEST_VERSION}; ` +
            'start the agent once to migrate the file, or use the agent version that wrote it',
        );
      }
    } else {
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
  } catch (err) {
    db.close();
    const msg = (err as Error).message;
    throw new Error(msg.startsWith('cannot open event log') ? msg : `event log ${path}: ${msg}`, { cause: err });
  }

  const stmtLastRow = db.prepare<[], { id: number; hash: string }>('SELECT id, hash FROM events ORDER BY id DESC LIMIT 1');
  const stmtSeq = db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'events'");
  const stmtCount = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM events');
  const stmtAll = db.prepare(`SELECT ${COLUMNS} FROM events ORDER BY id`).raw(true);
  const stmtLoadState = db.prepare<[string], { value: string }>('SELECT value FROM state WHERE key = ?');
  const stmtCheckpoint = db.prepare<[], { throughId: number; throughHash: string; throughAtMs: number; prunedRows: number; atMs: number }>(
    'SELECT through_id AS throughId, through_hash AS throughHash, through_at_ms AS throughAtMs, pruned_rows AS prunedRows, at_ms AS atMs FROM checkpoint WHERE id = 1',
  );
  const stmtRowById = db.prepare(`SELECT ${COLUMNS} FROM events WHERE id = ?`).raw(true);
  function checkpoint(): Checkpoint | null {
    return stmtCheckpoint.get() ?? null;
  }
  const queryCache = new Map<string, Database.Statement>();

  function cached(key: string, sql: string, raw: boolean): Database.Statement {
    let s = queryCache.get(key);
    if (s === undefined) {
      s = db.prepare(sql);
      if (raw) s.raw(true);
      queryCache.set(key, s);
    }
    return s;
  }

  // Writer-only statements: preparing an INSERT on a readonly connection is fine, but keep the
  // reader's footprint minimal and its errors obvious ("readonly" at the call, not at open).
  let w:
    | {
        insert: Database.Statement;
        appendTx: Database.Transaction<(rows: Prepared[]) => EventRow[]>;
        saveState: Database.Statement;
        deleteState: Database.Statement;
        enqueue: Database.Statement;
        takeTx: Database.Transaction<() => Array<{ id: number; name: string; args: Record<string, unknown>; atMs: number }>>;
      }
    | undefined;

  function writer(): NonNullable<typeof w> {
    if (readonly) throw new Error(`event log ${path} is open readonly`);
    if (w !== undefined) return w;
    const insert = db.prepare(
      'INSERT INTO events (id, at, at_ms, kind, "switch", charger, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const appendTx = db.transaction((rows: Prepared[]): EventRow[] => {
      // Read the head inside the write lock: another process could have appended since.
      const last = stmtLastRow.get();
      const seq = stmtSeq.get()?.seq ?? 0;
      // After pruning everything (only possible by hand) the chain goes on from the checkpoint.
      let prevHash = last?.hash ?? checkpoint()?.throughHash ?? GENESIS_HASH;
      // max(seq, last id): if tail rows were removed behind our back, new rows keep counting
      // from the highest id ever written, so the gap stays visible to verify().
      let id = Math.max(seq, last?.id ?? 0);
      const out: EventRow[] = [];
      for (const p of rows) {
        id++;
        const hash = chainHash(prevHash, { id, ...p });
        insert.run(id, p.at, p.atMs, p.kind, p.switchIdx, p.chargerId, p.dataJson, prevHash, hash);
        out.push({
          id,
          at: p.at,
          atMs: p.atMs,
          kind: p.kind,
          switchIdx: p.switchIdx,
          chargerId: p.chargerId,
          data: parseData(p.dataJson),
          hash,
        });
        prevHash = hash;
      }
      return out;
    });
    const saveState = db.prepare(
      'INSERT INTO state (key, value, updated_at_ms) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms',
    );
    const deleteState = db.prepare('DELETE FROM state WHERE key = ?');
    const enqueue = db.prepare('INSERT INTO commands (at_ms, name, args) VALUES (?, ?, ?)');
    const selectOpen = db.prepare<[], { id: number; name: string; args: string; at_ms: number }>(
      'SELECT id, name, args, at_ms FROM commands WHERE taken_at_ms IS NULL ORDER BY id',
    );
    const markTaken = db.prepare('UPDATE commands SET taken_at_ms = ? WHERE id = ?');
    const takeTx = db.transaction(() => {
      const open = selectOpen.all();
      const nowMs = clock();
      for (const c of open) markTaken.run(nowMs, c.id);
      return open.map((c) => ({ id: c.id, name: c.name, args: parseData(c.args), atMs: c.at_ms }));
    });
    w = { insert, appendTx, saveState, deleteState, enqueue, takeTx };
    return w;
  }

  function appendMany(events: EventInput[]): EventRow[] {
    if (!Array.isArray(events)) throw new TypeError('appendMany takes an array of events');
    const { appendTx } = writer();
    // Validate the whole batch first: a bad event refuses the batch before anything is written.
    const prepared = events.map((e, i) => prepareInput(e, i, clock));
    if (prepared.length === 0) return [];
    // IMMEDIATE takes the write lock before reading the head, so two writers cannot both
    // chain onto the same previous row.
    return appendTx.immediate(prepared);
  }

  // Distinct kinds under a prefix by index seeks (one per kind, not one per row).
  const stmtKindsUnder = db.prepare<[{ lo: string; hi: string }], { kind: string }>(`
    WITH RECURSIVE k(kind) AS (
      SELECT (SELECT min(kind) FROM events WHERE kind >= @lo AND kind < @hi)
      UNION ALL
      SELECT (SELECT min(kind) FROM events WHERE kind > k.kind AND kind < @hi) FROM k WHERE k.kind IS NOT NULL
    )
    SELECT kind FROM k WHERE kind IS NOT NULL`);

  function query(q: EventQuery = {}): EventRow[] {
    if (q.limit !== undefined) {
      if (!Number.isSafeInteger(q.limit) || q.limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${q.limit}`);
    }
    if (q.kindPrefix !== undefined && q.kind === undefined && q.limit !== undefined && q.oldestFirst !== true) {
      // "newest n under a prefix": a range on the kind index would have to sort every matching
      // row by id (seconds at 1e6 rows when the prefix is common), and a backwards rowid scan
      // crawls when it is rare. Instead take the newest n of each kind under the prefix (few
      // kinds, each served in id order by the index) and merge.
      const limit = q.limit;
      const { kindPrefix: prefix, ...rest } = q;
      const merged = stmtKindsUnder
        .all({ lo: prefix, hi: prefixUpper(prefix) })
        .flatMap(({ kind }) => query({ ...rest, kind, limit }))
        .sort((a, b) => b.id - a.id)
        .slice(0, limit);
      return merged.reverse();
    }
    const { sql, key, params } = whereClause(q);
    if (q.limit !== undefined && q.oldestFirst === true) {
      const s = cached(`O${key}`, `SELECT ${COLUMNS} FROM events ${sql} ORDER BY id LIMIT ?`, true);
      return (s.all(...params, q.limit) as RawRow[]).map(rowFromRaw);
    }
    if (q.limit !== undefined) {
      // Newest first with LIMIT lets SQLite stop after n rows; reversed for the caller.
      const s = cached(`L${key}`, `SELECT ${COLUMNS} FROM events ${sql} ORDER BY id DESC LIMIT ?`, true);
      const rows = (s.all(...params, q.limit) as RawRow[]).map(rowFromRaw);
      return rows.reverse();
    }
    const s = cached(`A${key}`, `SELECT ${COLUMNS} FROM events ${sql} ORDER BY id`, true);
    return (s.all(...params) as RawRow[]).map(rowFromRaw);
  }

  function* scan(q: Omit<EventQuery, 'limit'> = {}): IterableIterator<StoredEventRow> {
    const { sql, params } = whereClause(q);
    // Not cached: an iterating statement is busy until done, and scans can overlap.
    const s = db.prepare(`SELECT ${COLUMNS} FROM events ${sql} ORDER BY id`).raw(true);
    for (const r of s.iterate(...params) as IterableIterator<RawRow>) yield storedFromRaw(r);
  }

  function chainStart(cp: Checkpoint | null): { id: number; hash: string } {
    return cp === null ? { id: 0, hash: GENESIS_HASH } : { id: cp.throughId, hash: cp.throughHash };
  }

  function verify(): VerifyResult {
    const cp = checkpoint();
    const checker = new ChainChecker(chainStart(cp));
    const withCp = <R extends VerifyResult>(r: R): R => (cp === null ? r : { ...r, checkpoint: cp });
    // One read transaction so rows appended meanwhile neither appear half-way nor confuse the
    // tail check below.
    const run = db.transaction((): VerifyResult => {
      for (const r of stmtAll.iterate() as IterableIterator<RawRow>) {
        const bad = checker.check(storedFromRaw(r));
        if (bad !== null) return withCp({ ok: false, count: stmtCount.get()?.n ?? checker.count, ...bad });
      }
      const seq = stmtSeq.get()?.seq ?? 0;
      const last = checker.head.id;
      if (seq > last) {
        return withCp({
          ok: false,
          count: checker.count,
          firstBadId: last + 1,
          reason: `rows ${last + 1}..${seq} are missing from the end (ids up to ${seq} were written)`,
        });
      }
      return withCp({ ok: true, count: checker.count });
    });
    // DEFERRED begins no write lock, so this works on a readonly connection too.
    return run.deferred();
  }

  const stmtBounds = db.prepare<[], { minId: number | null; maxId: number | null; total: number }>(
    'SELECT min(id) AS minId, max(id) AS maxId, count(*) AS total FROM events',
  );

  async function verifyParallel(
    options: { threads?: number; minRows?: number; onFallback?: (err: Error) => void } = {},
  ): Promise<VerifyResult> {
    const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
    // One snapshot fixes the slices' bounds and the tail check; rows up to maxId never change
    // (append-only), so workers reading later see the same rows.
    const b = db
      .transaction(() => ({ ...(stmtBounds.get() as { minId: number | null; maxId: number | null; total: number }), seq: stmtSeq.get()?.seq ?? 0, cp: checkpoint() }))
      .deferred();
    if (threads === 1 || b.minId === null || b.maxId === null || b.total < (options.minRows ?? PARALLEL_MIN_ROWS)) return verify();
    const step = Math.ceil((b.maxId - b.minId + 1) / threads);
    const jobs = [];
    for (let from = b.minId; from <= b.maxId; from += step) jobs.push({ path, fromId: from, toId: Math.min(b.maxId + 1, from + step) });
    let slices;
    try {
      slices = await Promise.all(jobs.map(runSliceInWorker));
    } catch (err) {
      // No worker threads here (or one died): the sequential walk gives the same answer.
      options.onFallback?.(err as Error);
      return verify();
    }
    const merged = mergeSlices(slices, b.seq, b.total, chainStart(b.cp));
    return b.cp === null ? merged : { ...merged, checkpoint: b.cp };
  }

  const stmtSwitchChargers = db.prepare<[string], { charger: string }>(
    "SELECT DISTINCT charger FROM events WHERE kind IN ('limit.changed', 'limit.reapplied') AND charger IS NOT NULL AND instr(data, ?) > 0",
  );
  function chargersOfSwitch(n: number): string[] {
    // Claims name their switch as "switch N " in the stored JSON text.
    return stmtSwitchChargers.all(`switch ${n} `).map((r) => r.charger);
  }

  let pruneTx: Database.Transaction<(cutoffMs: number, maxRows: number) => { pruned: number; more: boolean; checkpoint: Checkpoint | null }> | undefined;
  function pruneBatch(cutoffMs: number, maxRows: number) {
    if (readonly) throw new Error(`event log ${path} is open readonly`);
    if (pruneTx === undefined) {
      const oldest = db.prepare<[number], { id: number; hash: string; at_ms: number }>('SELECT id, hash, at_ms FROM events ORDER BY id LIMIT ?');
      const setCp = db.prepare(
        `INSERT INTO checkpoint (id, through_id, through_hash, through_at_ms, pruned_rows, at_ms) VALUES (1, @id, @hash, @atMs, @n, @now)
         ON CONFLICT (id) DO UPDATE SET through_id = excluded.through_id, through_hash = excluded.through_hash,
           through_at_ms = excluded.through_at_ms, pruned_rows = checkpoint.pruned_rows + excluded.pruned_rows, at_ms = excluded.at_ms`,
      );
      const permit = db.prepare('INSERT OR REPLACE INTO prune_permit (id, upto_id) VALUES (1, ?)');
      const unpermit = db.prepare('DELETE FROM prune_permit');
      const del = db.prepare('DELETE FROM events WHERE id <= ?');
      pruneTx = db.transaction((cut: number, max: number) => {
        const head = stmtLastRow.get();
        // Only a prefix of the chain can go (the checkpoint is one row), and never the head.
        const candidates = oldest.all(max + 1);
        let through: { id: number; hash: string; at_ms: number } | undefined;
        let n = 0;
        for (const r of candidates) {
          if (n >= max || r.at_ms >= cut || r.id === head?.id) break;
          through = r;
          n++;
        }
        if (through === undefined) return { pruned: 0, more: false, checkpoint: checkpoint() };
        setCp.run({ id: through.id, hash: through.hash, atMs: through.at_ms, n, now: clock() });
        permit.run(through.id);
        del.run(through.id);
        unpermit.run();
        const next = candidates[n];
        const more = next !== undefined && next.at_ms < cut && next.id !== head?.id;
        return { pruned: n, more, checkpoint: checkpoint() };
      });
    }
    return pruneTx.immediate(cutoffMs, maxRows);
  }

  return {
    path,
    readonly,
    count(q = {}) {
      const { sql, key, params } = whereClause(q);
      return (cached(`C${key}`, `SELECT count(*) FROM events ${sql}`, true).get(...params) as [number])[0];
    },
    storedRow(id: number) {
      const r = stmtRowById.get(id) as RawRow | undefined;
      return r === undefined ? null : storedFromRaw(r);
    },
    pruneCheckpoint: checkpoint,
    chargersOfSwitch,
    pruneBatch,
    verifyParallel,
    append(event: EventInput): EventRow {
      const [row] = appendMany([event]);
      return row as EventRow;
    },
    appendMany,
    query,
    scan,
    verify,
    head() {
      return stmtLastRow.get() ?? null;
    },
    saveState(key: string, value: unknown): void {
      if (typeof key !== 'string' || key.length === 0) throw new TypeError('state key must be a non-empty string');
      const { saveState, deleteState } = writer();
      let json: string | undefined;
      try {
        json = JSON.stringify(value);
      } catch (err) {
        throw new TypeError(`state ${key}: value cannot be stored as JSON: ${(err as Error).message}`, { cause: err });
      }
      // JSON has no undefined: saving undefined forgets the key, so loadState returns undefined.
      if (json === undefined) deleteState.run(key);
      else saveState.run(key, json, clock());
    },
    loadState<T>(key: string): T | undefined {
      const row = stmtLoadState.get(key);
      if (row === undefined) return undefined;
      try {
        return JSON.parse(row.value) as T;
      } catch (err) {
        throw new Error(`state ${key} in ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
      }
    },
    enqueueCommand(command: { name: string; args?: Record<string, unknown> }): number {
      if (typeof command?.name !== 'string' || command.name.length === 0) throw new TypeError('command name must be a non-empty string');
      const args = command.args ?? {};
      if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new TypeError('command args must be a plain object');
      const { enqueue } = writer();
      const info = enqueue.run(clock(), command.name, JSON.stringify(args));
      return Number(info.lastInsertRowid);
    },
    takeCommands() {
      return writer().takeTx.immediate();
    },
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
