// Peak resident memory of the agent (`node dist/agent/main.js run`, a separate process) under
// a flood of HAN lines, for the unit's MemoryMax. Printed, never asserted. Run after
// `npm run build`:  node test/bench/rss-flood.bench.mjs [--seconds 60] [--rate 20000]
//
// The meter side (tcp:// bridge) sends, per batch: valid heartbeats, SWITCH lines that move
// the limit, lines with a wrong checksum, junk bytes and lines with ever new unknown verbs
// (the pattern that grew counters without bound). The charger is the built-in simulator.
// VmHWM (peak RSS) and VmRSS are read from /proc/PID/status every second.
import { reportRow } from './lib/report.mjs';
import { agentSpawn, describeUnitStart } from './lib/unit-command.mjs';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeterEmulator } from '../../dist/drivers/han/emulator.js';
import { ChargerSimulator } from '../../dist/drivers/charger/simulator.js';
import { loadProfiles } from '../../dist/drivers/charger/profile.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const SECONDS = opt('--seconds', 60);
const RATE = opt('--rate', 20_000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'hcalcs-rss-'));
const meter = new MeterEmulator({ heartbeatMs: 0 });
meter.setSwitch(2, 'closed', { cause: 'calendar' });
const hanPort = await meter.listenTcp('127.0.0.1', 0);
const sim = await ChargerSimulator.start({ units: [{ unitId: 1, profile: loadProfiles().get('alfen-eve'), carDelayMs: 200, timeoutS: 60, safeCurrentA: 6 }] });
const config = join(dir, 'config.yaml');
writeFileSync(
  config,
  `version: 1
han: { port: "tcp://127.0.0.1:${hanPort}" }
chargers:
  - { id: garage, profile: alfen-eve, transport: { type: tcp, host: 127.0.0.1, port: ${sim.port} }, unitId: 1, maxCurrentA: 32 }
bindings:
  - { switch: 2, chargers: [garage], reducedCurrentA: 6 }
rules: { restore: { maxDelayS: 0 } }
eventLog: { path: ${join(dir, 'events.db')} }
log: { level: warn }
`,
);
console.log(describeUnitStart());
const agent = spawn(...agentSpawn(config, { stdio: ['ignore', 'ignore', 'inherit'] }));
const status = () => {
  const s = readFileSync(`/proc/${agent.pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? NaN);
  return { hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
};
while (meter.connections === 0) await sleep(50);
await sleep(1000);
const idle = status();
console.log(`agent pid ${agent.pid}, idle RSS ${idle.rss.toFixed(1)} MB (peak so far ${idle.hwm.toFixed(1)} MB)`);

let sent = 0;
let verb = 0;
let open = false;
const perBatch = Math.max(1, Math.round(RATE / 100));
const flood = setInterval(() => {
  for (let i = 0; i < perBatch; i++) {
    const k = sent % 5;
    if (k === 0) meter.sendRaw(`HB seq=${sent}`);
    else if (k === 1) meter.sendRaw(`SWITCH idx=2 state=closed cause=dno*00`);
    else if (k === 2) meter.sendRaw(`\u0001\u00ff junk ${sent} \u0002`);
    else if (k === 3) meter.sendRaw(`V${(verb++).toString(36).toUpperCase()} a=1`);
    else if (sent % 1000 === 4) {
      open = !open;
      meter.setSwitch(2, open ? 'open' : 'closed', { cause: open ? 'dno' : 'reset' });
    } else meter.sendRaw(`HB seq=${sent}`);
    sent++;
  }
}, 10);
const t0 = Date.now();
let peak = idle;
while (Date.now() - t0 < SECONDS * 1000) {
  await sleep(1000);
  peak = status();
  if (Math.round((Date.now() - t0) / 1000) % 10 === 0)
    console.log(`${Math.round((Date.now() - t0) / 1000)} s: ${sent} lines sent, RSS ${peak.rss.toFixed(1)} MB, peak ${peak.hwm.toFixed(1)} MB`);
}
clearInterval(flood);
console.log(`flood: ${sent} lines in ${SECONDS} s (${Math.round(sent / SECONDS)}/s asked), ${verb} distinct unknown verbs`);
console.log(`peak RSS (VmHWM) ${peak.hwm.toFixed(1)} MB, RSS at end ${peak.rss.toFixed(1)} MB, idle ${idle.rss.toFixed(1)} MB`);
reportRow(
  'RSS under a flood of bad lines within MemoryMax=200M',
  `peak ${peak.hwm.toFixed(1)} MB over ${SECONDS} s and ${sent} lines, idle ${idle.rss.toFixed(1)} MB (load ${(await import('node:os')).loadavg()[0].toFixed(1)})`,
  peak.hwm < 200 ? 'met' : 'missed',
);
agent.kill('SIGTERM');
await new Promise((r) => agent.once('exit', r));
await meter.close();
await sim.close();
