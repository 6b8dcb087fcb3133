// Removing the oldest rows: only a prefix of the chain, never its head, with the checkpoint
// moved to the newest row removed so the rest stays verifiable. The prune_permit row is what
// the schema's delete trigger asks for; anything else deleting rows is refused.
import type Database from 'better-sqlite3';
import type { Checkpoint } from '../types.js';
import type { Conn } from './connection.js';

export type PruneBatchResult = { pruned: number; more: boolean; checkpoint: Checkpoint | null };

export function pruner(c: Conn): (cutoffMs: number, maxRows: number) => PruneBatchResult {
  let pruneTx: Database.Transaction<(cutoffMs: number, maxRows: number) => PruneBatchResult> | undefined;
  return function pruneBatch(cutoffMs: number, maxRows: number): PruneBatchResult {
    c.mustWrite();
    if (pruneTx === undefined) {
      const db = c.db;
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
        const head = c.lastRow.get();
        // Only a prefix of the chain can go (the checkpoint is one row), and never the head.
        const candidates = oldest.all(max + 1);
        let through: { id: number; hash: string; at_ms: number } | undefined;
        let n = 0;
        for (const r of candidates) {
          if (n >= max || r.at_ms >= cut || r.id === head?.id) break;
          through = r;
          n++;
        }
        if (through === undefined) return { pruned: 0, more: false, checkpoint: c.checkpoint() };
        setCp.run({ id: through.id, hash: through.hash, atMs: through.at_ms, n, now: c.clock() });
        permit.run(through.id);
        del.run(through.id);
        unpermit.run();
        const next = candidates[n];
        const more = next !== undefined && next.at_ms < cut && next.id !== head?.id;
        return { pruned: n, more, checkpoint: c.checkpoint() };
      });
    }
    return pruneTx.immediate(cutoffMs, maxRows);
  };
}
