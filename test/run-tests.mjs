#!/usr/bin/env node
// The README's test command. Compiles the whole tree once to .build/ (type-checked, with source
// maps: tsconfig.test.json), then runs the compiled test files, several at once, each as a plain
// Node program (a tap test file prints TAP and exits non-zero on a failure). Ends with the plain
// line CI reads, "N passed, N failed, N skipped" (assertions, from each file's own tap summary),
// after the coverage gate (COVERAGE_FLOOR, % of lines over agent/, drivers/, config/, scripts/).
//
//   npm test                                   everything
//   npm test -- test/unit/core/boost.test.ts   some files (the .ts paths are mapped to .build/)
//   npm test -- --no-build FILE                skip the compile (it is incremental anyway)
//   npm test -- --jobs 6                       files at once (default TEST_JOBS or 5)
//   TEST_CPU=1 npm test                        also print each file's CPU (with its children's)
//
// Why not tap's own runner: on Node 20 it starts every test process with an --import hook
// (@tapjs/processinfo) that runs an ESM loader thread, ~0.7 s of CPU per process, and passes it
// on through NODE_OPTIONS to every agent, simulator and CLI call a test starts (over 200 of them):
// that was a third of the suite's CPU, spent on a process-tree record this project does not use.
// Coverage does not need it: V8 writes it for every process under NODE_V8_COVERAGE, and c8 maps
// it to the .ts sources (test/coverage.mjs). The files stay tap tests: `node FILE` runs one.
//
// A whole run puts the unit files into three batches, each one Node process
// (test/run-batch.mjs): ninety processes that each paid tap's and coverage's start-up for a
// second of tests became three. A failed batch prints its failed points; its whole TAP is in
// .tap/out/. Named files always run alone.
//
// Files start longest first (by the durations of the last run, else test/durations.json), so
// the one-minute scenario library does not start last and set the run's length.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { coverageReport } from './coverage.mjs';
import { buildTree, filesUnder } from './build.mjs';

const COVERAGE_FLOOR = Number(process.env.COVERAGE_FLOOR ?? 97);
// tap's own limit per file (TAP_TIMEOUT, seconds; a file may set a longer one, the scenario
// library does); a file still running after HARD_LIMIT_S is killed with everything it started.
const FILE_TIMEOUT_S = 120;
const HARD_LIMIT_S = 20 * 60;
const CPU = process.env.TEST_CPU === '1';
let cpuTotal = 0;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = join(ROOT, '.build');
const OUT = join(ROOT, '.tap', 'out');
const LAST_DURATIONS = join(ROOT, '.tap', 'durations.json');
const KNOWN_DURATIONS = join(ROOT, 'test', 'durations.json');

const argv = process.argv.slice(2);
let noBuild = false;
let jobs = Number(process.env.TEST_JOBS ?? 5);
const files = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--no-build') noBuild = true;
  else if (a === '--jobs') jobs = Number(argv[++i]);
  else if (/\.test\.(ts|js)$/.test(a)) files.push(a.endsWith('.ts') ? join(BUILD, relative(ROOT, a)).replace(/\.ts$/, '.js') : join(ROOT, a));
  else {
    console.log(`unknown argument: ${a} (files: test/**/*.test.ts; options: --no-build, --jobs N)`);
    console.log('0 passed, 1 failed');
    process.exit(2);
  }
}
if (!Number.isInteger(jobs) || jobs < 1) jobs = 1;
const whole = files.length === 0;

if (!noBuild && !buildTree()) {
  console.log('the build failed (type errors above)');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const coverageDir = join(ROOT, '.tap', 'coverage');
// A whole run starts from no coverage so the gate judges this run alone.
if (whole) rmSync(coverageDir, { recursive: true, force: true });
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

if (whole) {
  // Only files whose source still exists: tsc leaves the output of a deleted test behind.
  const all = filesUnder(join(BUILD, 'test'))
    .filter((f) => f.endsWith('.test.js') && !f.includes('/fixtures/'))
    .filter((f) => existsSync(join(ROOT, relative(BUILD, f)).replace(/\.js$/, '.ts')));
  files.push(...all);
}
for (const f of files) {
  if (!existsSync(f)) {
    console.log(`no such test file: ${relative(ROOT, f)}`);
    console.log('0 passed, 1 failed');
    process.exit(2);
  }
}

/** The .ts path a compiled test file came from (how files are named in what this prints). */
const nameOf = (file) => relative(BUILD, file).replace(/\.js$/, '.ts');

function readDurations(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return {};
  }
}
const known = { ...readDurations(KNOWN_DURATIONS), ...readDurations(LAST_DURATIONS) };
// Unknown files count as slow: a new test must not be the one that starts last.
const expected = (f) => known[nameOf(f)] ?? 30;

// A whole run puts the unit files (in-process tests, a second or two each) into BATCHES groups,
// each one Node process (test/run-batch.mjs), balanced by their last durations. Files named on
// the command line run alone, as they always did.
const BATCHES = 3;
const batchable = (f) => whole && nameOf(f).startsWith('test/unit/');
const units = [...new Set(files)].filter(batchable).sort((a, b) => expected(b) - expected(a) || nameOf(a).localeCompare(nameOf(b)));
const batches = Array.from({ length: Math.min(BATCHES, units.length) }, (_, i) => ({ batch: i + 1, files: [], seconds: 0 }));
for (const f of units) {
  const lightest = batches.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  lightest.files.push(f);
  lightest.seconds += expected(f);
}
/** What runs: a file path, or a batch of files. */
const jobSeconds = (j) => (typeof j === 'string' ? expected(j) : j.seconds);
const jobName = (j) => (typeof j === 'string' ? nameOf(j) : `test/unit batch ${j.batch} (${j.files.length} files)`);
const queue = [...[...new Set(files)].filter((f) => !batchable(f)), ...batches].sort(
  (a, b) => jobSeconds(b) - jobSeconds(a) || jobName(a).localeCompare(jobName(b)),
);

/** tap's summary comment a file prints at its end, e.g. `# { total: 5, pass: 4, skip: 1 }`. */
function summaryOf(output) {
  const lines = output.split('\n').filter((l) => /^# \{.*\btotal: \d+/.test(l));
  const last = lines[lines.length - 1];
  const count = (key) => Number(new RegExp(`\\b${key}: (\\d+)`).exec(last ?? '')?.[1] ?? 0);
  return last === undefined ? null : { pass: count('pass'), fail: count('fail'), skip: count('skip') + count('todo') };
}

/** Each failed test point of a TAP stream with the YAML block that explains it. */
function failuresOf(output) {
  const lines = output.split('\n');
  const shown = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*not ok /.test(lines[i])) continue;
    shown.push(lines[i]);
    const indent = /^\s*/.exec(lines[i])[0];
    if (lines[i + 1]?.trim() !== '---') continue;
    for (i++; i < lines.length && lines[i] !== `${indent}  ...`; i++) shown.push(lines[i]);
    shown.push(`${indent}  ...`);
  }
  return shown.join('\n');
}

/** With TEST_CPU=1, the CPU seconds (user + system) `times` printed last for the file and its children. */
function cpuOf(output) {
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(output);
  return m === null ? null : Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

/** The machine's CPU time so far (all cores, busy and idle, in clock ticks), from /proc/stat. */
function cpuTicks() {
  try {
    const [, ...n] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const idle = n[3] + (n[4] ?? 0);
    return { busy: n.reduce((a, b) => a + b, 0) - idle, idle };
  } catch {
    return null;
  }
}
/** How many cores were busy on average between two cpuTicks(), e.g. "1.8 of 2 cores busy". */
function coresBusy(from, to, cores) {
  if (from === null || to === null) return '';
  const busy = to.busy - from.busy;
  const all = busy + to.idle - from.idle;
  return all > 0 ? `; ${((cores * busy) / all).toFixed(2)} of ${cores} cores busy` : '';
}

// V8 writes coverage for every script a process ran: tap, npm, every package, each with its
// source map, ~2 MB a process and ~300 MB a run, which the report then took 6 s to read. Each
// file is cut down to this checkout's own scripts as soon as its process has exited, while
// other files still run (the report filters by path again, so nothing it counts is lost).
const trimmed = new Set();
const ROOT_URL = pathToFileURL(ROOT).href;
const ours = (url) => typeof url === 'string' && url.startsWith(ROOT_URL + '/') && !/\/(node_modules|test)\//.test(url.slice(ROOT_URL.length));
function trimCoverage() {
  if (!whole || !existsSync(coverageDir)) return;
  for (const name of readdirSync(coverageDir)) {
    if (trimmed.has(name) || !name.endsWith('.json')) continue;
    const path = join(coverageDir, name);
    let data;
    try {
      data = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      continue; // still being written: the next sweep takes it
    }
    trimmed.add(name);
    if (!Array.isArray(data.result)) continue;
    data.result = data.result.filter((s) => ours(s.url));
    const maps = data['source-map-cache'];
    if (maps !== undefined) for (const url of Object.keys(maps)) if (!ours(url)) delete maps[url];
    writeFileSync(path, JSON.stringify(data));
  }
}

const running = new Set();
function runJob(job) {
  const started = Date.now();
  const env = { ...process.env, TAP_TIMEOUT: String(FILE_TIMEOUT_S) };
  if (whole) env.NODE_V8_COVERAGE = coverageDir;
  let args = [job];
  if (typeof job !== 'string') {
    args = [join(ROOT, 'test', 'run-batch.mjs'), String(job.batch)];
    env.TEST_BATCH_FILES = job.files.join('\n');
    // tap's limit is for the whole process: a batch gets its files' share.
    env.TAP_TIMEOUT = String(Math.min(HARD_LIMIT_S - 60, FILE_TIMEOUT_S * Math.max(1, Math.ceil(job.files.length / 10))));
  }
  // Not detached: a session leader would take the first pty it opens as its controlling
  // terminal, and get SIGHUP when that pty's other end closes.
  const command = [process.execPath, '--enable-source-maps', ...args];
  // TEST_CPU=1: the shell's `times` adds the CPU of the file and of every process it waited for.
  if (CPU) command.unshift('/bin/sh', '-c', '"$@"; s=$?; times; exit $s', 'sh');
  const child = spawn(command[0], command.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    killTree(child.pid);
  }, HARD_LIMIT_S * 1000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      running.delete(child);
      resolve({ job, code, signal, timedOut, output, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** SIGKILLs a process and every descendant it has (as ps sees them now). */
function killTree(pid) {
  const ps = spawnSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  const children = new Map();
  for (const line of (ps.stdout ?? '').split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (!children.has(pp)) children.set(pp, []);
    children.get(pp).push(p);
  }
  const all = [];
  const visit = (p) => {
    all.push(p);
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  for (const p of all) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const c of running) killTree(c.pid);
    process.exit(130);
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
const failedFiles = [];
const durations = {};
const t0 = Date.now();
const ticks0 = cpuTicks();
console.log(`# ${files.length} test files (${units.length} of them in ${batches.length} batches), ${jobs} at once`);

async function worker() {
  for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
    const r = await runJob(job);
    trimCoverage();
    const name = jobName(job);
    // A batch's files keep the durations they had (they only weigh the batches).
    if (typeof job === 'string') durations[name] = Math.round(r.seconds * 10) / 10;
    else for (const f of job.files) durations[nameOf(f)] = expected(f);
    const outFile = join(OUT, (typeof job === 'string' ? name.replace(/[/\\]/g, '__') : `test__unit__batch-${job.batch}`) + '.tap');
    writeFileSync(outFile, r.output);
    const s = summaryOf(r.output);
    // A file fails on a failed assertion, a crash, a timeout or a missing summary.
    const why = r.timedOut
      ? `killed after ${HARD_LIMIT_S} s`
      : r.code !== 0
        ? `exit ${r.code ?? r.signal}`
        : s === null
          ? 'printed no tap summary'
          : s.fail > 0
            ? `${s.fail} failed`
            : null;
    passed += s?.pass ?? 0;
    skipped += s?.skip ?? 0;
    failed += s === null || s.fail === 0 ? (why === null ? 0 : 1) : s.fail;
    const counts = s === null ? '' : ` (${s.pass} passed${s.skip > 0 ? `, ${s.skip} skipped` : ''})`;
    const cpu = CPU ? `${(cpuOf(r.output) ?? NaN).toFixed(1).padStart(6)} s CPU ` : '';
    if (CPU) cpuTotal += cpuOf(r.output) ?? 0;
    console.log(`${why === null ? 'ok    ' : 'FAILED'} ${r.seconds.toFixed(1).padStart(6)} s ${cpu} ${name}${counts}${why === null ? '' : `: ${why}`}`);
    if (why !== null) {
      failedFiles.push(name);
      // A batch's whole output is thousands of lines: its failures, and its end, say enough.
      const shown = typeof job === 'string' ? r.output : `${failuresOf(r.output)}\n...\n${r.output.split('\n').slice(-30).join('\n')}`;
      console.log(
        shown
          .split('\n')
          .map((l) => `    | ${l}`)
          .join('\n'),
      );
      if (typeof job !== 'string') console.log(`    (all of it: ${relative(ROOT, outFile)})`);
    }
  }
}

await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, () => worker()));
console.log(`# ran in ${((Date.now() - t0) / 1000).toFixed(1)} s${coresBusy(ticks0, cpuTicks(), availableParallelism())}; each file's output is in .tap/out/`);
if (CPU) console.log(`# the files and what they started used ${cpuTotal.toFixed(0)} s of CPU`);
if (whole) writeFileSync(LAST_DURATIONS, JSON.stringify(durations, null, 1) + '\n');
if (failedFiles.length > 0) console.log(`# failed files:\n${failedFiles.map((f) => `#   ${f}`).join('\n')}`);

if (whole) {
  try {
    trimCoverage();
    const c0 = Date.now();
    const { pct, lines } = await coverageReport(ROOT);
    console.log(`# coverage report in ${((Date.now() - c0) / 1000).toFixed(1)} s`);
    const ok = pct >= COVERAGE_FLOOR;
    console.log(`# coverage gate: ${pct} % of ${lines} lines covered, floor ${COVERAGE_FLOOR} %: ${ok ? 'ok' : 'FAILED'}`);
    if (!ok) failed += 1;
  } catch (err) {
    console.log(`# coverage gate: no report (${err.message})`);
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
