// Reading rows back: filtered queries (newest n, oldest n, all), streaming scans, counts, and
// the lookups the CLI needs (one stored row, the chargers a switch caused rows for).
import type { ChainRow } from '../chain.js';
import type { EventQuery, EventRow } from '../types.js';
import type { Conn } from './connection.js';
import { COLUMNS, rowFromRaw, storedFromRaw, type RawRow } from './rows.js';
import { prefixUpper, whereClause } from './where.js';

export interface Queries {
  query(q?: EventQuery): EventRow[];
  scan(q?: Omit<EventQuery, 'limit'>): IterableIterator<ChainRow>;
  count(q?: Omit<EventQuery, 'limit'>): number;
  storedRow(id: number): ChainRow | null;
  chargersOfSwitch(n: number): string[];
  head(): { id: number; hash: string } | null;
}

export function queries(c: Conn): Queries {
  const db = c.db;
  const stmtRowById = db.prepare(`SELECT ${COLUMNS} FROM events WHERE id = ?`).raw(true);
  // Distinct kinds under a prefix by index seeks (one per kind, not one per row).
  const stmtKindsUnder = db.prepare<[{ lo: string; hi: string }], { kind: string }>(`
    WITH RECURSIVE k(kind) AS (
      SELECT (SELECT min(kind) FROM events WHERE kind >= @lo AND kind < @hi)
      UNION ALL
      SELECT (SELECT min(kind) FROM events WHERE kind > k.kind AND kind < @hi) FROM k WHERE k.kind IS NOT NULL
    )
    SELECT kind FROM k WHERE kind IS NOT NULL`);
  const stmtSwitchChargers = db.prepare<[string], { charger: string }>(
    "SELECT DISTINCT charger FROM events WHERE kind IN ('limit.changed', 'limit.reapplied') AND charger IS NOT NULL AND instr(data, ?) > 0",
  );

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
      const s = c.cached(`O${key}`, `SELECT ${COLUMNS} FROM events ${sql} ORDER BY id LIMIT ?`, true);
      return (s.all(...params, q.limit) as RawRow[]).map(rowFromRaw);
    }
    if (q.limit !== undefined) {
      // Newest first with LIMIT lets SQLite stop after n rows; reversed for the caller.
      const s = c.cached(`L${key}`, `SELECT ${COLUMNS} FROM events ${sql} ORDER BY id DESC LIMIT ?`, true);
      const rows = (s.all(...params, q.limit) as RawRow[]).map(rowFromRaw);
      return rows.reverse();
    }
    const s = c.cached(`A${key}`, `SELECT ${COLUMNS} FROM events ${sql} ORDER BY id`, true);
    return (s.all(...params) as RawRow[]).map(rowFromRaw);
  }

  function* scan(q: Omit<EventQuery, 'limit'> = {}): IterableIterator<ChainRow> {
    const { sql, params } = whereClause(q);
    // Not cached: an iterating statement is busy until done, and scans can overlap.
    const s = db.prepare(`SELECT ${COLUMNS} FROM events ${sql} ORDER BY id`).raw(true);
    for (const r of s.iterate(...params) as IterableIterator<RawRow>) yield storedFromRaw(r);
  }

  return {
    query,
    scan,
    count(q = {}) {
      const { sql, key, params } = whereClause(q);
      return (c.cached(`C${key}`, `SELECT count(*) FROM events ${sql}`, true).get(...params) as [number])[0];
    },
    storedRow(id: number) {
      const r = stmtRowById.get(id) as RawRow | undefined;
      return r === undefined ? null : storedFromRaw(r);
    },
    chargersOfSwitch(n: number): string[] {
      // Claims name their switch as "switch N " in the stored JSON text.
      return stmtSwitchChargers.all(`switch ${n} `).map((r) => r.charger);
    },
    head() {
      return c.lastRow.get() ?? null;
    },
  };
}
