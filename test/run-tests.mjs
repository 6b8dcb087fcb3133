#!/usr/bin/env node
// The README's test command. Compiles the whole tree once to .build/ (type-checked, with source
// maps: tsconfig.test.json), then runs the compiled suite with tap: no TypeScript loader in any
// test or child process. Ends with the plain line CI reads, "N passed, N failed, N skipped"
// (tap's assertions), after the coverage gate (COVERAGE_FLOOR, % of lines over agent/,
// drivers/, config/).
//
//   npm test                               everything
//   npm test -- test/unit/core/boost.test.ts   some files (the .ts paths are mapped to .build/)
//   npm test -- --no-build FILE            skip the compile (it is incremental anyway)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coverageReport } from './coverage.mjs';

const COVERAGE_FLOOR = Number(process.env.COVERAGE_FLOOR ?? 97);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = join(ROOT, '.build');

const argv = process.argv.slice(2);
const noBuild = argv.includes('--no-build');
const files = [];
const tapArgs = [];
for (const a of argv) {
  if (a === '--no-build') continue;
  if (/\.test\.ts$/.test(a)) files.push(join(BUILD, relative(ROOT, a)).replace(/\.ts$/, '.js'));
  else tapArgs.push(a);
}
const whole = files.length === 0 && !tapArgs.some((a) => !a.startsWith('-'));

if (!noBuild) {
  const t0 = Date.now();
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.test.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.log('the build failed (type errors above)');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const assets = spawnSync(process.execPath, [join(ROOT, 'scripts/copy-assets.mjs'), BUILD], { stdio: 'inherit' });
  if (assets.status !== 0) process.exit(1);
  console.log(`# built .build/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
// A whole run starts from no coverage so the gate judges this run alone.
if (whole) rmSync(join(ROOT, '.tap', 'coverage'), { recursive: true, force: true });

if (whole) {
  // Only files whose source still exists: tsc leaves the output of a deleted test behind.
  const all = walk(join(BUILD, 'test'))
    .filter((f) => f.endsWith('.test.js') && !f.includes('/fixtures/'))
    .filter((f) => existsSync(join(ROOT, relative(BUILD, f)).replace(/\.js$/, '.ts')));
  files.push(...all);
}

function walk(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) walk(join(dir, e.name), out);
    else out.push(join(dir, e.name));
  }
  return out;
}

const args = ['tap', '--reporter=tap', ...(whole ? ['--coverage-report=none'] : ['--disable-coverage']), ...tapArgs, ...files];
const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
let summary = null;
const rl = createInterface({ input: child.stdout });
rl.on('line', (line) => {
  process.stdout.write(line + '\n');
  const m = /^# (\{.*\})$/.exec(line);
  if (m && /total/.test(m[1])) summary = m[1];
});
child.on('close', async (code) => {
  const count = (key) => {
    const m = summary && new RegExp(`\\b${key}: (\\d+)`).exec(summary);
    return m ? Number(m[1]) : 0;
  };
  if (summary === null) {
    console.log('tap printed no summary');
    console.log('0 passed, 1 failed');
    process.exit(code || 1);
  }
  let failed = count('fail');
  if (whole) {
    try {
      const { pct, lines } = await coverageReport(ROOT);
      const ok = pct >= COVERAGE_FLOOR;
      console.log(`# coverage gate: ${pct} % of ${lines} lines covered, floor ${COVERAGE_FLOOR} %: ${ok ? 'ok' : 'FAILED'}`);
      if (!ok) failed += 1;
    } catch (err) {
      console.log(`# coverage gate: no report (${err.message})`);
      failed += 1;
    }
  }
  const skipped = count('skip') + count('todo');
  console.log(`${count('pass')} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(code !== 0 ? code : failed > 0 ? 1 : 0);
});
