// Retention pruning next to the agent (the design: never block the control path). Builds a
// log of N old rows, then prunes them with the daily job's batches on one connection while a
// second connection (the agent's) appends one row every 5 ms, and reports how long those
// appends took and how long each batch held the lock. Prints figures; asserts nothing.
// Run after `npm run build`:  node test/bench/prune.bench.mjs [--events 200000]
//
// Measured 2026-11-30 04:35 UTC on the shared 2-vCPU VM at a load average of 11.8:
//   pruned 200,000 rows in 400 batches, 3.1 s
//   batch (500 rows, one transaction): p50 4.1 ms, p99 56 ms, max 61 ms
//   agent appends meanwhile (n=230, one every 5 ms): p50 0.24 ms, p99 13.6 ms, max 21 ms
//   chain after pruning: OK, from the checkpoint
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const load = (p) => import(pathToFileURL(join(root, 'dist', 'agent', 'event-log', p)).href);
const { openEventLogStore } = await load('store.js');
const { pruneOnce } = await load('prune.js');

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' } } });
const N = Number(values.events);
const dir = mkdtempSync(join(tmpdir(), 'prune-bench-'));
const path = join(dir, 'events.db');
const T_OLD = Date.UTC(2025, 0, 1);
const filler = openEventLogStore(path);
for (let i = 0; i < N; i += 1000) {
  filler.appendMany(
    Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({
      kind: 'charger.sample',
      chargerId: 'garage',
      atMs: T_OLD + (i + j) * 60_000,
      data: { a: [16], w: 3680, wh: 61.3, lim: 32, st: 'C', ch: true, age: 120 },
    })),
  );
}
filler.close();

const agent = openEventLogStore(path);
const pruner = openEventLogStore(path);
const appendMs = [];
let stop = false;
const appender = (async () => {
  while (!stop) {
    const t0 = performance.now();
    agent.append({ kind: 'han.message', atMs: Date.now(), data: { verb: 'HB' } });
    appendMs.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
})();
const batchMs = [];
const orig = pruner.pruneBatch;
pruner.pruneBatch = (cut, max) => {
  const t0 = performance.now();
  const r = orig(cut, max);
  batchMs.push(performance.now() - t0);
  return r;
};
const t0 = performance.now();
const r = await pruneOnce(pruner, { retentionDays: 366, nowMs: Date.now() });
const total = performance.now() - t0;
stop = true;
await appender;
const v = pruner.verify();
agent.close();
pruner.close();
rmSync(dir, { recursive: true, force: true });

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const f = (x) => x.toFixed(2);
console.log(`pruned ${r.pruned} of ${N} rows in ${r.batches} batches, ${f(total / 1000)} s (load average ${loadavg()[0].toFixed(1)})`);
console.log(`batch (500 rows, one transaction): p50 ${f(pct(batchMs, 50))} ms, p99 ${f(pct(batchMs, 99))} ms, max ${f(Math.max(...batchMs))} ms`);
console.log(
  `agent appends meanwhile (n=${appendMs.length}): p50 ${f(pct(appendMs, 50))} ms, p99 ${f(pct(appendMs, 99))} ms, max ${f(Math.max(...appendMs))} ms`,
);
console.log(`chain after pruning: ${v.ok ? 'OK' : 'BROKEN'}, ${v.count} rows, from checkpoint id ${v.checkpoint?.throughId}`);
