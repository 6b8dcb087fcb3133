// `npm run bench`: runs every benchmark in test/bench one after the other (they measure
// processes and would disturb each other in parallel) and prints one table of targets,
// figures and verdicts, like the README's. Benches whose tools are missing are skipped with
// the reason. Figures are printed, never asserted: the machine is shared, so every figure
// carries the load average it was measured at.
//   node test/bench/run.mjs [--quick] [--only agent,idle-rss]
// --quick: smaller runs (minutes instead of ~half an hour), for a smoke check of the benches
// and rough figures; the README's figures come from full runs.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { hasTool } from './lib/pty-pair.mjs';
import { ROW_MARK } from './lib/report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;

/**
 * What each bench needs and how it is run. `summary` picks the lines of a bench that reports
 * no table row of its own (figures with no target in the design) for the table.
 */
const PLAN = {
  'idle-rss': { tools: ['socat'], quick: ['--quick'] },
  agent: { tools: ['socat'], quick: ['--quick'] },
  'event-log': { quick: ['--events', '100000'] },
  'han-parse': { summary: /lines\/s|ns\/line/ },
  'han-link': { tools: ['socat'], summary: /n=\d+/ },
  flood: { tools: ['socat'], quick: ['--lines', '50000', '--junk', '5000'], summary: /lines\/s|open behind/ },
  'rss-flood': { full: ['--seconds', '180'], quick: ['--seconds', '20'] },
  prune: { quick: ['--events', '50000'], summary: /^(pruned|batch|agent appends)/ },
  uplink: { tools: ['socat', 'mosquitto'], quick: ['--lines', '200'], summary: /uplink \w+ +n=|replay/ },
  // Without socat it measures the commands that need no agent (version, check-config) and says so.
  startup: { quick: ['--runs', '3'] },
};

const found = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.slice(0, -'.bench.mjs'.length))
  .sort();
const rows = [];
const skipped = [];
for (const name of found) {
  if (only && !only.includes(name)) continue;
  const plan = PLAN[name] ?? {};
  // mosquitto lives in /usr/sbin, often not on a user's PATH.
  const missing = (plan.tools ?? []).filter((t) => !hasTool(t) && !(t === 'mosquitto' && hasTool('/usr/sbin/mosquitto')));
  if (missing.length > 0) {
    skipped.push(`${name}: needs ${missing.join(' and ')}`);
    continue;
  }
  const benchArgs = quick ? (plan.quick ?? []) : (plan.full ?? []);
  process.stdout.write(`\n=== ${name} ${benchArgs.join(' ')} (load average ${loadavg()[0].toFixed(1)})\n`);
  const started = Date.now();
  const { code, own, picked } = await runBench(join(here, `${name}.bench.mjs`), benchArgs, plan.summary);
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  if (code !== 0) rows.push({ bench: name, target: '(bench failed)', figure: `exit code ${code} after ${secs} s`, verdict: 'failed' });
  rows.push(...own.map((r) => ({ bench: name, ...r })));
  if (own.length === 0 && picked.length > 0) rows.push({ bench: name, target: '(no target in the design)', figure: picked.join('; '), verdict: 'recorded' });
}

const cell = (s) => String(s).replace(/\|/g, '\\|');
console.log(`\n## Benchmarks${quick ? ' (--quick)' : ''}, ${new Date().toISOString().slice(0, 16)} UTC, node ${process.version}\n`);
console.log('| bench | target | figure | verdict |');
console.log('| --- | --- | --- | --- |');
for (const r of rows)
  console.log(`| ${r.bench} | ${cell(r.target)} | ${cell(r.figure)} | ${r.verdict === 'missed' || r.verdict === 'failed' ? `**${r.verdict}**` : r.verdict} |`);
for (const s of skipped) console.log(`| ${s.split(':')[0]} | (skipped) | ${cell(s.split(': ')[1])} | skipped |`);

/** Runs one bench, echoing its output, and collects its table rows and summary lines. */
function runBench(file, benchArgs, summary) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...benchArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
    const own = [];
    const picked = [];
    let rest = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => {
      const lines = (rest + text).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(ROW_MARK)) own.push(JSON.parse(line.slice(ROW_MARK.length)));
        else {
          process.stdout.write(`  ${line}\n`);
          if (summary?.test(line.trim())) picked.push(line.trim().replace(/\s+/g, ' '));
        }
      }
    });
    child.on('exit', (code) => resolve({ code: code ?? 1, own, picked }));
  });
}
