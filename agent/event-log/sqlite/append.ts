// Appending: each row is chained onto the newest one inside the write lock, so two writers
// (the agent and a CLI) can never chain onto the same previous row.
import type Database from 'better-sqlite3';
import { GENESIS_HASH, chainHash } from '../chain.js';
import type { RowInput, EventRow } from '../types.js';
import type { Conn } from './connection.js';
import { prepareInput, type Prepared } from './input.js';
import { parseData } from './rows.js';

export function appender(c: Conn): (events: RowInput[]) => EventRow[] {
  // Prepared on the first append: a reader never needs the INSERT.
  let appendTx: Database.Transaction<(rows: Prepared[]) => EventRow[]> | undefined;
  function tx(): Database.Transaction<(rows: Prepared[]) => EventRow[]> {
    c.mustWrite();
    if (appendTx !== undefined) return appendTx;
    const insert = c.db.prepare('INSERT INTO events (id, at, at_ms, kind, "switch", charger, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    appendTx = c.db.transaction((rows: Prepared[]): EventRow[] => {
      // Read the head inside the write lock: another process could have appended since.
      const last = c.lastRow.get();
      const seq = c.seq.get()?.seq ?? 0;
      // After pruning everything (only possible by hand) the chain goes on from the checkpoint.
      let prevHash = last?.hash ?? c.checkpoint()?.throughHash ?? GENESIS_HASH;
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
    return appendTx;
  }

  return function appendMany(events: RowInput[]): EventRow[] {
    if (!Array.isArray(events)) throw new TypeError('appendMany takes an array of events');
    const run = tx();
    // Validate the whole batch first: a bad event refuses the batch before anything is written.
    const prepared = events.map((e, i) => prepareInput(e, i, c.clock));
    if (prepared.length === 0) return [];
    // IMMEDIATE takes the write lock before reading the head, so two writers cannot both
    // chain onto the same previous row.
    return run.immediate(prepared);
  };
}
