// The agent as a whole, as a separate process (`node dist/agent/main.js run`), measured from
// outside. Printed, never asserted (shared machines are noisy). Needs socat. Run after
// `npm run build`:  node test/bench/agent.bench.mjs [--lines 1000000]
//
// 1. Latency (DESIGN target p99 <= 2 ms): a SWITCH line written into the meter's end of a
//    socat pty pair -> the Modbus write arriving at a loopback Modbus TCP server in this
//    process. Both stamps come from this process's clock. Lines are --gap-ms (30) apart. The agent's own ack is one more
//    loopback hop, not counted. Lines alternate open/closed (restore delay 0), so every line
//    moves the limit and costs a Modbus write.
// 2. Idle: the agent's CPU over 20 s with the link up and heartbeats every 10 s.
// 3. Memory over many lines (default 1e6 HB lines): resident memory sampled from /proc.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { ServerTCP } = require('modbus-serial');
const args = process.argv.slice(2);
const LINES = Number(args[args.indexOf('--lines') + 1] || 1_000_000);
const N = 2000;
// Between lines: the bus carries one request at a time, so a line that arrives while the
// previous write's verification read is on the wire waits for it. DNO lines come seconds
// apart; --gap-ms 3 shows the cost of that queueing.
const GAP_MS = Number(args.includes('--gap-ms') ? args[args.indexOf('--gap-ms') + 1] : 30);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'hcalcs-bench-'));
const ptyA = join(dir, 'a');
const ptyB = join(dir, 'b');
const socat = spawn('socat', [`pty,raw,echo=0,link=${ptyA}`, `pty,raw,echo=0,link=${ptyB}`], { stdio: 'ignore' });
while (!(existsSync(ptyA) && existsSync(ptyB))) await sleep(20);
await sleep(100);

let waiting = null;
const server = await new Promise((resolve, reject) => {
  // Holding registers keep what is written, so the agent's read-back sees its own write.
  const holding = new Map();
  const get = (a, n) => Array.from({ length: n }, (_, i) => holding.get(a + i) ?? 0);
  const s = new ServerTCP(
    {
      getHoldingRegister: (a, _u, cb) => cb(null, get(a, 1)[0]),
      getMultipleHoldingRegisters: (a, n, _u, cb) => cb(null, get(a, n)),
      getInputRegister: (_a, _u, cb) => cb(null, 0),
      getMultipleInputRegisters: (_a, n, _u, cb) => cb(null, new Array(n).fill(0)),
      setRegister: (a, v, _u, cb) => {
        holding.set(a, v);
        cb(null);
      },
      setRegisterArray: (addr, values, _u, cb) => {
        values.forEach((v, i) => holding.set(addr + i, v));
        // Only the write of the value this line asked for: the Alfen keep-alive rewrites the
        // last setpoint every 15 s, and that must not end a measurement.
        if (addr === 1210 && waiting && values[0] === waiting.firstWord) {
          const w = waiting;
          waiting = null;
          w.resolve(performance.now());
        }
        cb(null);
      },
    },
    { host: '127.0.0.1', port: 17599, unitID: 255 },
  );
  s.on('initialized', () => resolve(s));
  s.on('serverError', reject);
});

const configPath = join(dir, 'config.yaml');
writeFileSync(
  configPath,
  `han:
  port: ${ptyA}
chargers:
  - id: garage
    profile: alfen-eve
    transport: { type: tcp, host: 127.0.0.1, port: 17599 }
    unitId: 1
    maxCurrentA: 32
bindings:
  - { switch: 2, chargers: [garage], reducedCurrentA: 6 }
rules:
  restore: { maxDelayS: 0 }
eventLog: { path: ${join(dir, 'events.db')} }
log: { level: warn }
`,
);
const agent = spawn(process.execPath, ['dist/agent/main.js', 'run', '--config', configPath], { stdio: ['ignore', 'ignore', 'inherit'] });
const meter = openSync(ptyB, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOCTTY);
/** Writes all of it, waiting while the pty's small kernel buffer is full (EAGAIN). */
async function send(line) {
  let buf = Buffer.from(line + '\n', 'latin1');
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(meter, buf));
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
      await sleep(1);
    }
  }
}
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${agent.pid}/status`, 'utf8'))[1]) / 1024;
const cpuTicks = () => {
  const f = readFileSync(`/proc/${agent.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
};
const hz = Number(execFileSync('getconf', ['CLK_TCK']).toString());

await sleep(2500); // start-up, connect, first READ
await send('SWITCH idx=2 state=closed cause=calendar');
await sleep(500);

const times = [];
for (let i = 0; i < N + 50; i++) {
  const state = i % 2 === 0 ? 'open' : 'closed';
  const firstWord = state === 'open' ? 0x40c0 : 0x4200; // float32 6.0 / 32.0, high word
  const done = new Promise((resolve) => (waiting = { resolve, firstWord }));
  const t0 = performance.now();
  await send(`SWITCH idx=2 state=${state} cause=dno`);
  const t1 = await Promise.race([done, sleep(1000).then(() => null)]);
  if (t1 === null) {
    waiting = null;
    console.log(`line ${i}: no write within 1 s`);
    continue;
  }
  if (i >= 50) times.push(t1 - t0); // the first 50 warm the JIT
  await sleep(GAP_MS);
}
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(3);
console.log(`pty line -> Modbus write at the server (lines ${GAP_MS} ms apart): n=${times.length} p50 ${q(0.5)} ms  p99 ${q(0.99)} ms  max ${q(1)} ms`);
console.log(`resident memory after the latency run: ${rssMb().toFixed(1)} MB`);

await send('SWITCH idx=2 state=closed cause=calendar');
await sleep(1000);
const c0 = cpuTicks();
const w0 = performance.now();
for (let i = 0; i < 2; i++) {
  await sleep(10_000);
  await send(`HB seq=${i}`);
}
const idlePct = ((cpuTicks() - c0) / hz / ((performance.now() - w0) / 1000)) * 100;
console.log(`idle CPU over 20 s (a heartbeat every 10 s): ${idlePct.toFixed(2)} % of a core`);

const samples = [];
const chunk = [];
const t0 = performance.now();
for (let i = 0; i < LINES; i++) {
  chunk.push(`HB seq=${i % 65536}`);
  if (chunk.length === 200) {
    await send(chunk.join('\n'));
    chunk.length = 0;
  }
  if (i % (LINES / 10) === 0) samples.push(rssMb().toFixed(1));
}
await sleep(2000);
samples.push(rssMb().toFixed(1));
const secs = (performance.now() - t0) / 1000;
console.log(`${LINES} HB lines in ${secs.toFixed(1)} s; resident memory (MB) at each tenth: ${samples.join(' ')}`);

agent.kill('SIGTERM');
await new Promise((r) => agent.once('exit', r));
socat.kill();
server.close(() => undefined);
process.exit(0);
