// Walking the chain: sequentially in one read transaction, or in slices over worker threads
// for large logs, with the same answer either way.
import { availableParallelism } from 'node:os';
import { ChainChecker, GENESIS_HASH } from '../chain.js';
import type { Checkpoint, VerifyResult } from '../types.js';
import { mergeSlices, runSliceInWorker } from '../verify-parallel.js';
import type { Conn } from './connection.js';
import { COLUMNS, storedFromRaw, type RawRow } from './rows.js';

// Below this many rows a sequential verify takes well under a second; workers are not worth
// their start-up.
const PARALLEL_MIN_ROWS = 100_000;

export interface ParallelOptions {
  threads?: number;
  minRows?: number;
  onFallback?: (err: Error) => void;
}

export interface Verifier {
  verify(): VerifyResult;
  verifyParallel(options?: ParallelOptions): Promise<VerifyResult>;
}

function chainStart(cp: Checkpoint | null): { id: number; hash: string } {
  return cp === null ? { id: 0, hash: GENESIS_HASH } : { id: cp.throughId, hash: cp.throughHash };
}

export function verifier(c: Conn): Verifier {
  const db = c.db;
  const stmtCount = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM events');
  const stmtAll = db.prepare(`SELECT ${COLUMNS} FROM events ORDER BY id`).raw(true);
  const stmtBounds = db.prepare<[], { minId: number | null; maxId: number | null; total: number }>(
    'SELECT min(id) AS minId, max(id) AS maxId, count(*) AS total FROM events',
  );

  function verify(): VerifyResult {
    const cp = c.checkpoint();
    const checker = new ChainChecker(chainStart(cp));
    const withCp = <R extends VerifyResult>(r: R): R => (cp === null ? r : { ...r, checkpoint: cp });
    // One read transaction so rows appended meanwhile neither appear half-way nor confuse the
    // tail check below.
    const run = db.transaction((): VerifyResult => {
      for (const r of stmtAll.iterate() as IterableIterator<RawRow>) {
        const bad = checker.check(storedFromRaw(r));
        if (bad !== null) return withCp({ ok: false, count: stmtCount.get()?.n ?? checker.count, ...bad });
      }
      const seq = c.seq.get()?.seq ?? 0;
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

  async function verifyParallel(options: ParallelOptions = {}): Promise<VerifyResult> {
    const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
    // One snapshot fixes the slices' bounds and the tail check; rows up to maxId never change
    // (append-only), so workers reading later see the same rows.
    const b = db
      .transaction(() => ({
        ...(stmtBounds.get() as { minId: number | null; maxId: number | null; total: number }),
        seq: c.seq.get()?.seq ?? 0,
        cp: c.checkpoint(),
      }))
      .deferred();
    if (threads === 1 || b.minId === null || b.maxId === null || b.total < (options.minRows ?? PARALLEL_MIN_ROWS)) return verify();
    const step = Math.ceil((b.maxId - b.minId + 1) / threads);
    const jobs = [];
    for (let from = b.minId; from <= b.maxId; from += step) jobs.push({ path: c.path, fromId: from, toId: Math.min(b.maxId + 1, from + step) });
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

  return { verify, verifyParallel };
}
