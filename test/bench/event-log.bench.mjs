// Event-log benchmarks (DESIGN.md targets: >= 20,000 appends/s; verify 1e6 events <= 10 s;
// last 100 events of one kind among 1e6 <= 10 ms). Prints figures; asserts nothing, because
// shared machines are noisy. Run after `npm run build`:
//   node test/bench/event-log.bench.mjs [--events 1000000] [--keep DIR]
//
// Measured 2026-11-28 13:17-13:23 UTC, 1e6 events, on the shared 2-vCPU build VM (Node 20.20.2,
// SQLite 3.51.2, ext4 on a virtual disk) while other builds ran (load average 7-9, so this
// process got about half a core). "per CPU-second" divides by this process's own CPU time.
//   bare SQLite INSERT, 1 per txn (baseline): 4,867/s wall, 12,816/s per CPU-s
//   append, 1 per txn:                         3,375/s wall,  8,986/s per CPU-s   (target 20,000: MISSED)
//     latency p50 84 us, p99 4.5 ms, p99.9 30 ms, max 173 ms (checkpoints + CPU contention)
//   appendMany, batches of 1000:              25,878/s wall, 37,223/s per CPU-s  (target 20,000: met)
//   appendMany, batches of 10:                 7,832/s wall, 20,658/s per CPU-s
//   verify 1e6, one thread:                   10.4 s wall, 7.9 s CPU             (target 10 s: at the edge)
//   verifyParallel 1e6, 2 threads:            12.0 s wall (no idle core on this VM to gain from)
//   last 100 of one kind among 1e6:           warm p50 0.47-0.70 ms, cold <= 8.8 ms (target 10 ms: met)
//   last 100 under a kind prefix:             warm p50 1.4-1.5 ms, cold <= 3.1 ms
//   open readonly + last 100 + close:         4.5 ms;  file size 315 MiB
// Earlier runs the same day under heavier load: verify 16.9-18.0 s wall (8.2-8.4 s CPU),
// appendMany 18,350/s wall. One commit per append cannot reach 20,000/s here: the bare-SQLite
// baseline, which hashes nothing, is itself far below it. Bursts go through appendMany.
import { reportRow } from './lib/report.mjs';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const storeUrl = pathToFileURL(join(root, 'dist', 'agent', 'event-log', 'store.js')).href;
const { openEventLogStore } = await import(storeUrl).catch((err) => {
  console.error(`cannot load ${storeUrl} (run \`npm run build\` first): ${err.message}`);
  process.exit(2);
});
const { MIGRATIONS } = await import(pathToFileURL(join(root, 'dist', 'agent', 'event-log', 'migrations.js')).href);
const Database = createRequire(import.meta.url)('better-sqlite3');

const { values } = parseArgs({
  options: { events: { type: 'string', default: '1000000' }, keep: { type: 'string' } },
});
const TOTAL = Number(values.events);
const dir = values.keep ?? mkdtempSync(join(tmpdir(), 'evlog-bench-'));

// A plausible mix: HAN observations dominate, charger writes next, rare boosts and alarms.
const KINDS = [
  ['han.message', 0.6],
  ['charger.write', 0.2],
  ['charger.readback', 0.15],
  ['switch.open', 0.02],
  ['switch.closed', 0.02],
  ['limit.applied', 0.009],
  ['boost.press', 0.001],
];
function kindAt(i) {
  // Deterministic spread (no Math.random) so runs compare.
  const x = ((i * 2654435761) >>> 0) / 2 ** 32;
  let acc = 0;
  for (const [k, p] of KINDS) {
    acc += p;
    if (x < acc) return k;
  }
  return KINDS[0][0];
}
function eventAt(i, t0) {
  const kind = kindAt(i);
  const charger = kind.startsWith('charger.') ? `wallbox-${i % 3}` : null;
  return {
    kind,
    atMs: t0 + i * 10,
    switchIdx: kind.startsWith('switch.') || kind === 'han.message' ? (i % 5) + 1 : null,
    chargerId: charger,
    data:
      kind === 'han.message'
        ? { line: `HCALCS,SW=${(i % 5) + 1},STATE=OPEN,CAUSE=DNO,DUR=1800,SEQ=${i}`, seq: i }
        : { explanation: `6 A <- switch ${(i % 5) + 1} open, cause dno, since 12:03:01Z`, limitA: 6, previousA: 32 },
  };
}

// Wall time and this process's CPU time: on a shared machine the two differ a lot, and the
// CPU figure is the better guide to what a dedicated gateway core would do.
function time(fn) {
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  const r = fn();
  const used = process.cpuUsage(c);
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, cpuMs: (used.user + used.system) / 1e3, r };
}
const rate = (n, x) => `${fmt((n / x.ms) * 1000)}/s wall, ${fmt((n / x.cpuMs) * 1000)}/s per CPU-second`;
const fmt = (n) => Math.round(n).toLocaleString('en-GB');
const t0 = Date.UTC(2026, 10, 28);
const figures = {};
const load1 = () => loadavg()[0].toFixed(1);

console.log(
  `event-log bench: ${fmt(TOTAL)} events in ${dir} (node ${process.version}, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')})`,
);

// 0. Baseline: bare better-sqlite3 INSERTs into the same schema, one transaction each, WAL +
// synchronous=NORMAL, no hashing or validation: the ceiling for one-commit-per-append here.
{
  const n = Math.min(50_000, TOTAL);
  const db = new Database(join(dir, 'baseline.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(MIGRATIONS[0].up);
  const ins = db.prepare('INSERT INTO events (id, at, at_ms, kind, "switch", charger, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const h = 'a'.repeat(64);
  const one = db.transaction((i, e) => ins.run(i, '2026-11-28T00:00:00.000Z', e.atMs, e.kind, e.switchIdx, e.chargerId, JSON.stringify(e.data), h, h));
  const x = time(() => {
    for (let i = 1; i <= n; i++) one.immediate(i, eventAt(i, t0));
  });
  console.log(`baseline bare SQLite INSERT, one per transaction: ${fmt(n)} in ${x.ms.toFixed(0)} ms = ${rate(n, x)}`);
  db.close();
}

// 1. Single appends (each its own transaction and commit), into a fresh file.
{
  const n = Math.min(100_000, TOTAL);
  const log = openEventLogStore(join(dir, 'single.db'));
  const latUs = new Float64Array(n);
  const x = time(() => {
    for (let i = 0; i < n; i++) {
      const s = process.hrtime.bigint();
      log.append(eventAt(i, t0));
      latUs[i] = Number(process.hrtime.bigint() - s) / 1e3;
    }
  });
  console.log(`append (one per transaction): ${fmt(n)} in ${x.ms.toFixed(0)} ms = ${rate(n, x)}`);
  figures.single = (n / x.ms) * 1000;
  // The tail shows the WAL checkpoints (page copy + fsync) that run inside some commits: time
  // the agent's event loop is held.
  latUs.sort();
  const q = (p) => latUs[Math.min(n - 1, Math.floor(p * n))].toFixed(0);
  console.log(`append latency: p50 ${q(0.5)} us, p99 ${q(0.99)} us, p99.9 ${q(0.999)} us, max ${latUs[n - 1].toFixed(0)} us`);
  log.close();
}

// 2. appendMany in batches, filling the 1e6-row file the later figures use.
const bigPath = join(dir, 'big.db');
{
  const log = openEventLogStore(bigPath);
  const batch = 1000;
  const x = time(() => {
    for (let i = 0; i < TOTAL; i += batch) {
      const rows = [];
      for (let j = i; j < Math.min(TOTAL, i + batch); j++) rows.push(eventAt(j, t0));
      log.appendMany(rows);
    }
  });
  console.log(`appendMany (batches of ${batch}): ${fmt(TOTAL)} in ${x.ms.toFixed(0)} ms = ${rate(TOTAL, x)}`);
  figures.batch = (TOTAL / x.ms) * 1000;
  const small = Math.min(100_000, TOTAL);
  const log2 = openEventLogStore(join(dir, 'batch10.db'));
  const r = time(() => {
    for (let i = 0; i < small; i += 10) {
      const rows = [];
      for (let j = i; j < i + 10; j++) rows.push(eventAt(j, t0));
      log2.appendMany(rows);
    }
  });
  console.log(`appendMany (batches of 10): ${fmt(small)} in ${r.ms.toFixed(0)} ms = ${rate(small, r)}`);
  log2.close();
  log.close();
  console.log(`file size at ${fmt(TOTAL)} events: ${(statSync(bigPath).size / 2 ** 20).toFixed(0)} MiB`);
}

// 3. Verify the whole chain, as `verify-log` does (readonly connection).
{
  const log = openEventLogStore(bigPath, { readonly: true });
  const { ms, cpuMs, r } = time(() => log.verify());
  figures.verify = { ms, cpuMs, n: r.count };
  console.log(`verify ${fmt(r.count)} events: ${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU (${r.ok ? 'OK' : `BAD at ${r.firstBadId}`})`);
  const threads = availableParallelism();
  const t1 = process.hrtime.bigint();
  const p = await log.verifyParallel({ threads, onFallback: (e) => console.log(`  (fell back: ${e.message})`) });
  console.log(
    `verifyParallel ${fmt(p.count)} events on ${threads} threads (what verify-log runs): ${(Number(process.hrtime.bigint() - t1) / 1e6).toFixed(0)} ms wall (${p.ok ? 'OK' : `BAD at ${p.firstBadId}`})`,
  );
  log.close();
}

// 4. Queries on the 1e6-row file, readonly like the `log` command. Cold = first run after open.
{
  const cases = [
    ['last 100 of kind boost.press (0.1 %)', { kind: 'boost.press', limit: 100 }],
    ['last 100 of kind han.message (60 %)', { kind: 'han.message', limit: 100 }],
    ['last 100 of kind limit.applied (0.9 %)', { kind: 'limit.applied', limit: 100 }],
    ['last 100 with kind prefix switch. (4 %)', { kindPrefix: 'switch.', limit: 100 }],
    ['last 100 with kind prefix charger. (35 %)', { kindPrefix: 'charger.', limit: 100 }],
    ['last 100 of charger wallbox-1', { chargerId: 'wallbox-1', limit: 100 }],
    ['last 100 of switch 3', { switchIdx: 3, limit: 100 }],
    ['last 50 (no filter)', { limit: 50 }],
    ['last 100 boost.press since the last hour', { kind: 'boost.press', sinceMs: t0 + TOTAL * 10 - 3_600_000, limit: 100 }],
  ];
  const log = openEventLogStore(bigPath, { readonly: true });
  for (const [name, q] of cases) {
    const cold = time(() => log.query(q));
    const runs = [];
    for (let i = 0; i < 30; i++) runs.push(time(() => log.query(q)).ms);
    runs.sort((a, b) => a - b);
    const p50 = runs[15];
    const max = runs[runs.length - 1];
    if (q.kind === 'boost.press' && q.sinceMs === undefined) figures.query = { cold: cold.ms, p50 };
    console.log(`${name}: ${cold.r.length} rows, cold ${cold.ms.toFixed(2)} ms, warm p50 ${p50.toFixed(2)} ms, max ${max.toFixed(2)} ms`);
  }
  log.close();
  const open = time(() => {
    const l = openEventLogStore(bigPath, { readonly: true });
    const rows = l.query({ kind: 'boost.press', limit: 100 });
    l.close();
    return rows.length;
  });
  console.log(`open readonly + last 100 boost.press + close: ${open.ms.toFixed(2)} ms`);
}

reportRow(
  'event log >= 20,000 appends/s',
  `batches of 1000: ${fmt(figures.batch)}/s; one commit per append: ${fmt(figures.single)}/s (wall, load ${load1()})`,
  figures.batch >= 20_000 && figures.single >= 20_000 ? 'met' : 'missed',
);
reportRow(
  `hash-chain verify of 1e6 events <= 10 s (${fmt(figures.verify.n)}: <= ${((10 * figures.verify.n) / 1e6).toFixed(1)} s)`,
  `${(figures.verify.ms / 1000).toFixed(1)} s wall, ${(figures.verify.cpuMs / 1000).toFixed(1)} s CPU (load ${load1()})`,
  figures.verify.ms <= 10_000 * (figures.verify.n / 1e6) ? 'met' : 'missed',
);
reportRow(
  `last 100 events of one kind among ${fmt(TOTAL)} <= 10 ms`,
  `warm p50 ${figures.query.p50.toFixed(2)} ms, cold ${figures.query.cold.toFixed(2)} ms (load ${load1()})`,
  figures.query.p50 <= 10 ? 'met' : 'missed',
);

if (values.keep === undefined) rmSync(dir, { recursive: true, force: true });
