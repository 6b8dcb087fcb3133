// Verifying a long chain on several cores. The chain is sequential to build but not to check:
// each row's hash depends only on its own columns and its stored prev_hash, so slices of the id
// range are checked independently (in worker threads) and the seams are checked afterwards, one
// row per seam. The result is the same as the sequential ChainChecker walk, first bad row and
// reason included.
import { Worker } from 'node:worker_threads';
import { ChainChecker, GENESIS_HASH, type ChainBreak, type ChainRow } from './chain.js';
import type { VerifyResult } from './types.js';

export type { ChainRow };

export interface SliceResult {
  first: ChainRow | null;
  last: { id: number; hash: string } | null;
  count: number;
  bad: ChainBreak | null;
}

/** Checks one slice, trusting its first row's prev_hash and id; the seam is checked by mergeSlices. */
export function checkSlice(rows: Iterable<ChainRow>): SliceResult {
  let checker: ChainChecker | null = null;
  let first: ChainRow | null = null;
  for (const r of rows) {
    if (checker === null) {
      first = r;
      checker = new ChainChecker({ id: r.id - 1, hash: r.prevHash });
    }
    const bad = checker.check(r);
    if (bad !== null) return { first, last: checker.head, count: checker.count, bad };
  }
  return { first, last: checker?.head ?? null, count: checker?.count ?? 0, bad: null };
}

/**
 * Joins slice results in id order. `seq` is the highest id ever written (sqlite_sequence) and
 * `total` the row count, both read in the same snapshot that fixed the slices' bounds; `start`
 * is where the chain begins (the pruning checkpoint, else the genesis).
 */
export function mergeSlices(slices: SliceResult[], seq: number, total: number, start = { id: 0, hash: GENESIS_HASH }): VerifyResult {
  let head = start;
  let count = 0;
  for (const s of slices) {
    if (s.first === null || s.last === null) continue;
    // The seam: does this slice's first row follow the previous slice's last one?
    const seam = new ChainChecker(head).check(s.first);
    if (seam !== null) return { ok: false, count: total, ...seam };
    if (s.bad !== null) return { ok: false, count: total, ...s.bad };
    head = s.last;
    count += s.count;
  }
  if (seq > head.id) {
    return {
      ok: false,
      count,
      firstBadId: head.id + 1,
      reason: `rows ${head.id + 1}..${seq} are missing from the end (ids up to ${seq} were written)`,
    };
  }
  return { ok: true, count };
}

export interface SliceJob {
  path: string;
  fromId: number;
  /** Exclusive. */
  toId: number;
}

export function runSliceInWorker(job: SliceJob): Promise<SliceResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./verify-worker.js', import.meta.url), { workerData: job });
    let settled = false;
    w.once('message', (m: SliceResult) => {
      settled = true;
      resolve(m);
    });
    w.once('error', (err) => {
      settled = true;
      reject(err);
    });
    w.once('exit', (code) => {
      if (!settled) reject(new Error(`verify worker exited with code ${code} before answering`));
    });
  });
}
