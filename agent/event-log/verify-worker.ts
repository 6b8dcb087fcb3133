// Worker thread for verify-parallel.ts: checks one id slice of the chain on its own readonly
// connection and posts the SliceResult back.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { checkSlice, type ChainRow, type SliceJob } from './verify-parallel.js';

type Raw = [number, string, number, string, number | null, string | null, string, string, string];

const job = workerData as SliceJob;
const db = new Database(job.path, { readonly: true, fileMustExist: true });
try {
  const stmt = db.prepare('SELECT id, at, at_ms, kind, "switch", charger, data, prev_hash, hash FROM events WHERE id >= ? AND id < ? ORDER BY id').raw(true);
  function* rows(): Generator<ChainRow> {
    for (const r of stmt.iterate(job.fromId, job.toId) as IterableIterator<Raw>) {
      yield { id: r[0], at: r[1], atMs: r[2], kind: r[3], switchIdx: r[4], chargerId: r[5], dataJson: r[6], prevHash: r[7], hash: r[8] };
    }
  }
  parentPort?.postMessage(checkSlice(rows()));
} finally {
  db.close();
}
