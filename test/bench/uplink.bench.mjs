// What the fleet uplink costs the control path, and how fast it replays a backlog. The agent
// runs as its own process (`node dist/agent/main.js run`); figures are printed, never
// asserted (the machine is shared). Needs socat and /usr/sbin/mosquitto. Run after
// `npm run build`:  node test/bench/uplink.bench.mjs [--lines 1000] [--gap-ms 30]
//
// 1. Line -> register latency: a SWITCH line written into the meter's end of a socat pty
//    pair -> the Modbus write of that limit arriving at a loopback Modbus TCP responder in
//    this process (both stamps from this process's clock), with the uplink
//      off        no mqtt section
//      dead       mqtt pointed at a TCP listener that accepts and never answers
//      live       a real Mosquitto, nothing queued
//      backlog    a real Mosquitto while 20,000 older rows replay at the default rate
//    The modes run in turns (--rounds, default 3) so machine load drifts over all alike.
// 2. Backlog replay: 50,000 rows already in the log, a real Mosquitto and a subscriber;
//    rows per second from the first to the last row received, at replayRatePerS 100000
//    (as fast as the uplink goes) and at the default 200 (the bound).
//
// Measured 2026-11-30 on the shared 2-vCPU VM at load average 10-21 (other test suites):
//   lines 100 ms apart, n=800/mode:  p50 off 2.65, dead 2.34, live 2.92, live+backlog 3.30 ms
//   lines 30 ms apart, n=1200/mode:  p50 off 5.53, dead 3.88, live 8.81, live+backlog 3.98 ms
//   replay: 1,900-5,400 rows/s unbounded; 225-237 rows/s at the default bound of 200/s
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { openEventLogStore } from '../../dist/agent/event-log/store.js';
import { startModbusResponder } from './lib/modbus-responder.mjs';
import { agentSpawn, describeUnitStart } from './lib/unit-command.mjs';
import { openPtyPair } from './lib/pty-pair.mjs';
import { writeAgentConfig } from './lib/agent-config.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const LINES = opt('--lines', 1000);
const GAP_MS = opt('--gap-ms', 30);
const ROUNDS = opt('--rounds', 3);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'hcalcs-uplink-bench-'));

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function accepts(port) {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function startMosquitto() {
  const port = await freePort();
  const conf = join(dir, `mosquitto-${port}.conf`);
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nuser ${userInfo().username}\nlog_dest none\nmax_queued_messages 1000000\n`);
  const proc = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  while (!(await accepts(port))) await sleep(20);
  return { port, stop: () => new Promise((r) => (proc.once('exit', r), proc.kill('SIGTERM'))) };
}

// A broker that accepts and never answers.
const silentSockets = new Set();
const silent = createServer((s) => {
  silentSockets.add(s);
  s.on('data', () => undefined);
  s.on('error', () => undefined);
});
await new Promise((r) => silent.listen(0, '127.0.0.1', r));
const silentPort = silent.address().port;

// The benches' Modbus TCP responder; the frame carrying the awaited setpoint is stamped.
let waiting = null;
let setpointWrites = 0;
const modbus = await startModbusResponder({
  onWrite: ({ fc, addr, values, atMs }) => {
    if (fc !== 16 || addr !== 1210) return;
    setpointWrites++;
    if (waiting && values[0] === waiting.firstWord) {
      const w = waiting;
      waiting = null;
      w.resolve(atMs);
    }
  },
});
const modbusPort = modbus.port;

function prefill(db, n) {
  const log = openEventLogStore(db);
  for (let i = 0; i < n; i += 1000)
    log.appendMany(
      Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ kind: 'bench.backlog', data: { n: i + k, note: 'a row waiting to be forwarded' } })),
    );
  log.close();
}

let runNo = 0;
async function startAgent(mqttSection, rows = 0) {
  runNo++;
  const sub = mkdtempSync(join(dir, `run${runNo}-`));
  const pty = await openPtyPair(sub);
  const db = join(sub, 'events.db');
  if (rows > 0) prefill(db, rows);
  const configPath = writeAgentConfig(sub, { hanPort: pty.agentEnd, modbusPort, extra: mqttSection });
  const proc = spawn(...agentSpawn(configPath, { stdio: ['ignore', 'ignore', 'inherit'] }));
  const send = pty.send;
  // Ready when the agent has connected to the charger and written its first limit.
  const t0 = performance.now();
  const before = setpointWrites;
  while (setpointWrites === before && performance.now() - t0 < 60_000) await sleep(50);
  await sleep(500);
  await send('SWITCH idx=2 state=closed cause=calendar');
  await sleep(500);
  return {
    send,
    db,
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      pty.close();
    },
  };
}

async function latency(agent, n) {
  const times = [];
  for (let i = 0; i < n + 20; i++) {
    const state = i % 2 === 0 ? 'open' : 'closed';
    const done = new Promise((resolve) => (waiting = { resolve, firstWord: state === 'open' ? 0x40c0 : 0x4200 }));
    const t0 = performance.now();
    await agent.send(`SWITCH idx=2 state=${state} cause=dno`);
    const t1 = await Promise.race([done, sleep(1000).then(() => null)]);
    if (t1 === null) {
      waiting = null;
      console.log(`  line ${i}: no write within 1 s`);
    } else if (i >= 20) times.push(t1 - t0);
    await sleep(GAP_MS);
  }
  return times;
}

const broker = await startMosquitto();
const modes = {
  off: () => '',
  dead: () => `mqtt: { url: "mqtt://127.0.0.1:${silentPort}", gatewayId: bench, reconnectS: 1 }`,
  live: () => `mqtt: { url: "mqtt://127.0.0.1:${broker.port}", gatewayId: bench }`,
  backlog: () => `mqtt: { url: "mqtt://127.0.0.1:${broker.port}", gatewayId: bench }`,
};
const results = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
const perRound = Math.ceil(LINES / ROUNDS);
console.log(describeUnitStart());
for (let r = 0; r < ROUNDS; r++) {
  for (const [mode, section] of Object.entries(modes)) {
    const agent = await startAgent(section(), mode === 'backlog' ? 20_000 : 0);
    results[mode].push(...(await latency(agent, perRound)));
    await agent.stop();
  }
}
const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(3);
console.log(`line -> Modbus write at the responder (lines ${GAP_MS} ms apart, ${ROUNDS} rounds):`);
for (const [mode, xs] of Object.entries(results)) {
  xs.sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    `  uplink ${mode.padEnd(8)} n=${xs.length}  p50 ${q(xs, 0.5)} ms  p90 ${q(xs, 0.9)} ms  p99 ${q(xs, 0.99)} ms  max ${q(xs, 1)} ms  mean ${mean.toFixed(3)} ms`,
  );
}

async function replay(rows, rate) {
  const sub = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { clientId: `bench-sub-${rate}`, clean: true });
  await new Promise((r) => sub.once('connect', r));
  const prefix = `hcalcs/replay${rate}`;
  await new Promise((r) => sub.subscribe(`${prefix}/events`, { qos: 1 }, r));
  const seen = new Set();
  let first = 0;
  let last = 0;
  sub.on('message', (_t, payload) => {
    const id = JSON.parse(payload.toString()).id;
    if (seen.size === 0) first = performance.now();
    seen.add(id);
    last = performance.now();
  });
  const agent = await startAgent(`mqtt: { url: "mqtt://127.0.0.1:${broker.port}", gatewayId: replay${rate}, replayRatePerS: ${rate} }`, rows);
  const want = rows;
  const limitMs = rate >= 10_000 ? 300_000 : 15_000;
  const t0 = performance.now();
  while (seen.size < want && performance.now() - t0 < limitMs) await sleep(100);
  const secs = (last - first) / 1000;
  await agent.stop();
  sub.end(true);
  return { got: seen.size, secs, perS: (seen.size - 1) / secs };
}
const fast = await replay(50_000, 100_000);
console.log(`backlog replay, replayRatePerS 100000: ${fast.got} rows in ${fast.secs.toFixed(1)} s = ${Math.round(fast.perS)} rows/s`);
const bounded = await replay(50_000, 200);
console.log(`backlog replay, replayRatePerS 200 (default), first ${bounded.secs.toFixed(1)} s: ${bounded.got} rows = ${Math.round(bounded.perS)} rows/s`);

await broker.stop();
for (const s of silentSockets) s.destroy();
silent.close();
await modbus.close();
process.exit(0);
