// Idle resident memory of `run`, started exactly as systemd/hcalcs-agent.service starts it (its
// ExecStart options and Environment=, read from the unit: lib/unit-command.mjs) (issue 11 target: <= 70 MB),
// beside two baselines measured in the same run: bare Node, and Node with every runtime
// dependency imported and nothing else (what the agent cannot go below without dropping a
// dependency). Printed, never asserted. Needs socat. Run after `npm run build`:
//   node test/bench/idle-rss.bench.mjs [--runs 5] [--seconds 30] [--quick]
//
// Each run: a fresh event log, the HAN line on a socat pty, the charger a minimal Modbus TCP
// responder, a demo-like config at log level info; a heartbeat every 10 s, the switch closed.
// After --seconds idle, VmRSS and VmHWM (peak) are read from /proc; the median is reported.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPtyPair } from './lib/pty-pair.mjs';
import { startModbusResponder } from './lib/modbus-responder.mjs';
import { writeAgentConfig } from './lib/agent-config.mjs';
import { memoryOf, load, median } from './lib/proc.mjs';
import { reportRow } from './lib/report.mjs';
import { agentSpawn, describeUnitStart } from './lib/unit-command.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const RUNS = opt('--runs', quick ? 2 : 5);
const SECONDS = opt('--seconds', quick ? 12 : 30);
const TARGET_MB = 70;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const startupS = [];

const DEPS = ['serialport', '@serialport/parser-readline', 'modbus-serial', 'better-sqlite3', 'ajv', 'pino', 'yaml', 'mqtt', 'node-cron'];
const BASELINES = {
  'bare node': 'setInterval(() => {}, 1000);',
  'node + every dependency imported': `${DEPS.map((d, i) => `import * as d${i} from '${d}';`).join(' ')} globalThis.keep = [${DEPS.map((_, i) => `d${i}`).join(', ')}]; setInterval(() => {}, 1000);`,
};

/** Starts a process, lets it idle, returns its memory. */
async function idleMemory(child, seconds, during) {
  const t0 = Date.now();
  let beat = 0;
  while (Date.now() - t0 < seconds * 1000) {
    await sleep(1000);
    if (during && (Date.now() - t0) / 10_000 >= beat + 1) await during(beat++);
  }
  const m = memoryOf(child.pid);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return m;
}

async function agentRun() {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-idle-'));
  const pty = await openPtyPair(dir);
  // Up = it has connected to the charger and written to it (failsafe settings, a limit): only then
  // is start-up
  // (config, schemas, profiles, the log) over, however slow a loaded machine makes it.
  let up;
  const isUp = new Promise((resolve) => (up = resolve));
  const modbus = await startModbusResponder({ onWrite: () => up() });
  const config = writeAgentConfig(dir, { hanPort: pty.agentEnd, modbusPort: modbus.port, logLevel: 'info', restoreMaxDelayS: 5 });
  const agent = spawn(...agentSpawn(config, { stdio: ['ignore', 'ignore', 'inherit'] }));
  const started = Date.now();
  if ((await Promise.race([isUp.then(() => true), sleep(120_000).then(() => false)])) === false)
    throw new Error('the agent wrote nothing to the charger within 120 s');
  startupS.push((Date.now() - started) / 1000);
  await pty.send('SWITCH idx=2 state=closed cause=calendar');
  const m = await idleMemory(agent, SECONDS, (i) => pty.send(`HB seq=${i}`));
  pty.close();
  await modbus.close();
  rmSync(dir, { recursive: true, force: true });
  return m;
}

async function baselineRun(code) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'inherit' });
  return idleMemory(child, Math.min(SECONDS, 10));
}

console.log(describeUnitStart());
const results = { agent: [], ...Object.fromEntries(Object.keys(BASELINES).map((k) => [k, []])) };
const loads = [];
// Interleaved, so load drifting over the run touches all alike.
for (let r = 0; r < RUNS; r++) {
  for (const [name, code] of Object.entries(BASELINES)) results[name].push(await baselineRun(code));
  results.agent.push(await agentRun());
  loads.push(load());
}
const med = (xs, k) => median(xs.map((m) => m[k])).toFixed(1);
const fmt = (xs) =>
  `VmRSS median ${med(xs, 'rssMb')} MB (${xs.map((m) => m.rssMb.toFixed(1)).join(' ')}; anonymous ${med(xs, 'anonMb')}, file-backed ${med(xs, 'fileMb')}), VmHWM median ${med(xs, 'hwmMb')} MB, ${med(xs, 'threads')} threads`;
for (const [name, xs] of Object.entries(results)) console.log(`${name.padEnd(34)} ${fmt(xs)}`);
console.log(
  `runs ${RUNS}, agent idle ${SECONDS} s each after its first write to the charger (start-up took ${startupS.map((s) => s.toFixed(1)).join(' ')} s); load average ${loads.join(' ')}`,
);

const rss = median(results.agent.map((m) => m.rssMb));
const hwm = median(results.agent.map((m) => m.hwmMb));
const deps = median(results['node + every dependency imported'].map((m) => m.rssMb));
reportRow(
  `idle RSS of \`run\` <= ${TARGET_MB} MB`,
  `VmRSS median ${rss.toFixed(1)} MB after ${SECONDS} s idle (VmHWM ${hwm.toFixed(1)} MB; Node with every dependency imported ${deps.toFixed(1)} MB), ${RUNS} runs, load ${loads.join('/')}`,
  rss <= TARGET_MB ? 'met' : 'missed',
);
process.exit(0);
