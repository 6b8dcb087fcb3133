// Start-up cost of the built agent, measured from outside: CPU (user + sys) and wall time of
// the console commands an engineer types on the gateway, and the time from spawning `run` to
// its first charger write (a restarted agent's first reduction; `run` started as the unit starts it). Every command process pays
// its start-up again, and a Pi pays it several times over this machine.
// Run after `npm run build`:
//   node test/bench/startup.bench.mjs [--runs N] [--main FILE]...
// --main (repeatable; default dist/agent/main.js) compares builds in one run, interleaved so
// the shared machine's load touches each alike (e.g. a copy of an older dist/ beside this one).
// The write, and `status` (which reads the event log a `run` leaves), need socat.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeAgentConfig } from './lib/agent-config.mjs';
import { startModbusResponder } from './lib/modbus-responder.mjs';
import { hasTool, openPtyPair } from './lib/pty-pair.mjs';
import { load, median } from './lib/proc.mjs';
import { reportRow } from './lib/report.mjs';
import { agentSpawn, describeUnitStart } from './lib/unit-command.mjs';

const args = process.argv.slice(2);
const RUNS = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 15;
const given = args.flatMap((a, i) => (a === '--main' ? [args[i + 1]] : []));
const MAINS = given.length > 0 ? given : ['dist/agent/main.js'];
const COMMANDS = {
  version: ['version'],
  'check-config': ['check-config', '--config', 'config/demo.yaml'],
};

const TICK = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString());
/** CPU seconds of this process's reaped children (fields cutime, cstime of /proc/self/stat). */
function childCpuSeconds() {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[13]) + Number(f[14])) / TICK;
}

/** One command to its end: its CPU (user + sys) and wall time in ms. */
function timeCommand(main, argv) {
  const cpu0 = childCpuSeconds();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [main, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  const wallMs = performance.now() - t0;
  if (r.status === null || r.status > 1) throw new Error(`${argv.join(' ')}: exit ${r.status ?? r.signal}: ${r.stderr}`);
  return { cpuMs: (childCpuSeconds() - cpu0) * 1000, wallMs };
}

/**
 * Spawns `run` on a pty and a Modbus responder; the meter repeats an open every 20 ms (the
 * agent reads nothing sent before it opens the line) until the charger is written.
 */
async function firstWriteMs(main, dir) {
  const pty = await openPtyPair(dir);
  let written;
  const wrote = new Promise((r) => (written = r));
  const modbus = await startModbusResponder({ onWrite: (w) => written(w.atMs) });
  const config = writeAgentConfig(dir, { hanPort: pty.agentEnd, modbusPort: modbus.port });
  const t0 = performance.now();
  const agent = spawn(...agentSpawn(config, { stdio: ['ignore', 'ignore', 'inherit'] }, main));
  let seq = 1;
  const meter = setInterval(() => void pty.send(`SWITCH idx=2 type=HCALCS state=open cause=dno dur=30 seq=${seq++}`), 20);
  const atMs = await wrote;
  clearInterval(meter);
  agent.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
  pty.close();
  await modbus.close();
  return atMs - t0;
}

const fresh = () => mkdtempSync(join(tmpdir(), 'hcalcs-startup-'));
const socat = hasTool('socat');
// `status` reads a real event log and state: the ones a first `run` leaves.
const statusDir = fresh();
if (socat) {
  await firstWriteMs(MAINS[0], statusDir);
  COMMANDS.status = ['status', '--config', join(statusDir, 'config.yaml')];
} else console.log('status and the first write not measured (they need socat)');

const results = new Map(MAINS.map((m) => [m, { commands: Object.fromEntries(Object.keys(COMMANDS).map((k) => [k, []])), writes: [] }]));
const loads = [];
// Interleaved, so load drifting over the run touches every command and build alike.
for (let r = 0; r < RUNS; r++) {
  for (const [main, res] of results) {
    for (const [name, argv] of Object.entries(COMMANDS)) res.commands[name].push(timeCommand(main, argv));
    if (socat) {
      const dir = fresh();
      res.writes.push(await firstWriteMs(main, dir));
      rmSync(dir, { recursive: true, force: true });
    }
  }
  loads.push(load());
}
const ms = (x) => `${Math.round(x)} ms`;
for (const [main, res] of results) {
  const of = MAINS.length > 1 ? ` (${main})` : '';
  for (const [name, xs] of Object.entries(res.commands)) {
    const cpu = median(xs.map((x) => x.cpuMs));
    const wall = median(xs.map((x) => x.wallMs));
    console.log(`${name.padEnd(14)} CPU (user+sys) median ${ms(cpu)}, wall median ${ms(wall)}  n=${xs.length}${of}`);
    reportRow(`start-up of \`${name}\`${of}`, `CPU median ${ms(cpu)}, wall ${ms(wall)}, n=${xs.length}, load ${loads.join(' ')}`, 'recorded');
  }
  if (socat) {
    const w = median(res.writes);
    console.log(`run: spawn -> first charger write median ${ms(w)} (${res.writes.map(ms).join(' ')})${of}`);
    reportRow(`spawn of \`run\` -> first charger write${of}`, `median ${ms(w)}, n=${res.writes.length}, load ${loads.join(' ')}`, 'recorded');
  }
}
console.log(`runs ${RUNS}; load average ${loads.join(' ')}`);
if (socat) console.log(describeUnitStart());
rmSync(statusDir, { recursive: true, force: true });
