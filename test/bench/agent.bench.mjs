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
//
// Measured 2026-11-28 on the shared 2-vCPU VM, quiet (load 0.1-1.2), lines 30 ms apart:
//   latency p50 2.0 ms, p99 4.4 ms, max 9.7 ms (n = 2000)   (target p99 <= 2 ms: missed)
//   traced: pty hop 0.88 ms p50, agent's own work 0.65 ms p50, TCP hop to this process 1.0 ms p50
//   idle CPU 0.15-0.20 % of a core; RSS 90-116 MB, flat over 1e5-1e6 lines (target 60 MB: missed)
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:net';

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
// A minimal Modbus TCP responder of our own: modbus-serial's ServerTCP defers every request
// with setTimeout(0) (at least 1 ms in Node), which would be measured as the agent's time.
// Frames are stamped the moment their bytes arrive.
const holding = new Map();
const server = createServer((sock) => {
  sock.setNoDelay(true);
  let buf = Buffer.alloc(0);
  sock.on('data', (chunk) => {
    const at = performance.now();
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 7 && buf.length >= 6 + buf.readUInt16BE(4)) {
      const len = 6 + buf.readUInt16BE(4);
      const frame = buf.subarray(0, len);
      buf = buf.subarray(len);
      const fc = frame[7];
      const addr = frame.readUInt16BE(8);
      let pdu;
      if (fc === 3 || fc === 4) {
        const n = frame.readUInt16BE(10);
        pdu = Buffer.alloc(2 + 2 * n);
        pdu[0] = fc;
        pdu[1] = 2 * n;
        for (let i = 0; i < n; i++) pdu.writeUInt16BE(fc === 3 ? (holding.get(addr + i) ?? 0) : 0, 2 + 2 * i);
      } else if (fc === 6) {
        holding.set(addr, frame.readUInt16BE(10));
        pdu = Buffer.from(frame.subarray(7, 12));
      } else if (fc === 16) {
        const n = frame.readUInt16BE(10);
        const values = [];
        for (let i = 0; i < n; i++) values.push(frame.readUInt16BE(13 + 2 * i));
        values.forEach((v, i) => holding.set(addr + i, v));
        // Only the write of the value this line asked for: the Alfen keep-alive rewrites the
        // last setpoint every 15 s, and that must not end a measurement.
        if (addr === 1210 && waiting && values[0] === waiting.firstWord) {
          const w = waiting;
          waiting = null;
          w.resolve(at);
        }
        pdu = Buffer.from(frame.subarray(7, 12));
      } else {
        pdu = Buffer.from([fc | 0x80, 1]);
      }
      const head = Buffer.from(frame.subarray(0, 7));
      head.writeUInt16BE(pdu.length + 1, 4);
      sock.write(Buffer.concat([head, pdu]));
    }
  });
  sock.on('error', () => undefined);
});
await new Promise((resolve) => server.listen(17599, '127.0.0.1', resolve));

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
server.close();
process.exit(0);
