// The agent as a whole, as a separate process (`node dist/agent/main.js run`), measured from
// outside. Printed, never asserted (shared machines are noisy). Needs socat. Run after
// `npm run build`:
//   node test/bench/agent.bench.mjs [--n 2000] [--gap-ms 30] [--lines 1000000] [--quick]
//
// The agent is started as systemd/hcalcs-agent.service starts it (lib/unit-command.mjs).
// 1. Latency: a SWITCH line written into the meter's end of a socat pty pair -> the Modbus
//    write arriving at a loopback Modbus TCP responder in this process (lib/modbus-responder,
//    which answers at once). Both stamps come from this process's clock. Lines alternate
//    open/closed (restore delay 0), so every line moves the limit and costs a Modbus write.
//    The same is measured, in the same run, for test/bench/stand-in.mjs (pty in, Modbus write
//    out, nothing else, on the same libraries), in alternating blocks of --block lines so
//    that the machine's load drifts over both alike. The ratio agent/stand-in is the agent's
//    own share; the absolute figures are mostly this machine's cross-process wake-ups.
// 2. Idle: the agent's CPU over 20 s with the link up and heartbeats every 10 s.
// 3. Memory over many lines (default 1e6 HB lines): resident memory sampled from /proc.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openPtyPair } from './lib/pty-pair.mjs';
import { startModbusResponder } from './lib/modbus-responder.mjs';
import { writeAgentConfig } from './lib/agent-config.mjs';
import { cpuSecondsOf, load, memoryOf, quantile } from './lib/proc.mjs';
import { reportRow } from './lib/report.mjs';
import { agentSpawn, describeUnitStart } from './lib/unit-command.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const N = opt('--n', quick ? 400 : 2000);
const LINES = opt('--lines', quick ? 100_000 : 1_000_000);
const BLOCK = opt('--block', 50);
const WARMUP = 50;
// Between lines: the bus carries one request at a time, so a line that arrives while the
// previous write's verification read is on the wire waits for it. DNO lines come seconds
// apart; --gap-ms 3 shows the cost of that queueing.
const GAP_MS = opt('--gap-ms', 30);
const RATIO_TARGET = 1.5;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SETPOINT = 1210;
const firstWord = (state) => (state === 'open' ? 0x40c0 : 0x4200); // float32 6.0 / 32.0, high word

const dir = mkdtempSync(join(tmpdir(), 'hcalcs-bench-'));

/** One program under test: its own pty pair and its own port on the responder. */
async function subject(name, start) {
  const sub = mkdtempSync(join(dir, `${name}-`));
  const pty = await openPtyPair(sub);
  let waiting = null;
  const modbus = await startModbusResponder({
    onWrite: (w) => {
      // Only the write of the value this line asked for: the Alfen keep-alive rewrites the
      // last setpoint every 15 s, and that must not end a measurement.
      if (w.addr === SETPOINT && waiting !== null && w.values[0] === waiting.word) {
        const resolve = waiting.resolve;
        waiting = null;
        resolve(w.atMs);
      }
    },
  });
  const child = start(sub, pty.agentEnd, modbus.port);
  return {
    name,
    pty,
    child,
    times: [],
    missing: 0,
    /** Sends one line and resolves with its latency in ms, or null after 1 s without the write. */
    async measure(line, word) {
      const done = new Promise((resolve) => (waiting = { resolve, word }));
      const t0 = performance.now();
      await pty.send(line);
      const t1 = await Promise.race([done, sleep(1000).then(() => null)]);
      if (t1 === null) waiting = null;
      return t1 === null ? null : t1 - t0;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      pty.close();
      await modbus.close();
    },
  };
}

const agent = await subject('agent', (sub, han, port) => {
  const config = writeAgentConfig(sub, { hanPort: han, modbusPort: port });
  return spawn(...agentSpawn(config, { stdio: ['ignore', 'ignore', 'inherit'] }));
});
console.log(describeUnitStart());
const standIn = await subject('stand-in', (_sub, han, port) =>
  spawn(process.execPath, ['test/bench/stand-in.mjs', han, String(port)], { stdio: ['ignore', 'ignore', 'inherit'] }),
);

await sleep(3000); // start-up, connect, first READ
await agent.pty.send('SWITCH idx=2 state=closed cause=calendar');
await sleep(500);

const loads = [load()];
const counts = { agent: 0, 'stand-in': 0 };
for (let i = 0; i < (N + WARMUP) * 2; i++) {
  const s = Math.floor(i / BLOCK) % 2 === 0 ? agent : standIn;
  const k = counts[s.name]++;
  if (k >= N + WARMUP) continue;
  const state = k % 2 === 0 ? 'open' : 'closed';
  const ms = await s.measure(`SWITCH idx=2 state=${state} cause=dno`, firstWord(state));
  if (ms === null) s.missing++;
  else if (k >= WARMUP) s.times.push(ms); // the first lines warm the JIT
  if (i % 500 === 0) loads.push(load());
  await sleep(GAP_MS);
}
loads.push(load());
const stat = (s) => {
  const t = [...s.times].sort((a, b) => a - b);
  return { n: t.length, p50: quantile(t, 0.5), p99: quantile(t, 0.99), max: t[t.length - 1] };
};
const a = stat(agent);
const b = stat(standIn);
const f = (x) => x.toFixed(3);
console.log(`pty line -> Modbus write at the responder (lines ${GAP_MS} ms apart, blocks of ${BLOCK}, load average ${loads.join(' ')}):`);
console.log(`  agent     n=${a.n} p50 ${f(a.p50)} ms  p99 ${f(a.p99)} ms  max ${f(a.max)} ms`);
console.log(`  stand-in  n=${b.n} p50 ${f(b.p50)} ms  p99 ${f(b.p99)} ms  max ${f(b.max)} ms`);
console.log(
  `  ratio agent/stand-in: p50 ${(a.p50 / b.p50).toFixed(2)}  p99 ${(a.p99 / b.p99).toFixed(2)}${agent.missing + standIn.missing ? `  (lines without a write within 1 s: agent ${agent.missing}, stand-in ${standIn.missing})` : ''}`,
);
await standIn.stop();
const ratio = a.p50 / b.p50;
reportRow(
  `line -> register p50 <= ${RATIO_TARGET}x a minimal stand-in`,
  `agent p50 ${a.p50.toFixed(2)} / p99 ${a.p99.toFixed(2)} ms, stand-in p50 ${b.p50.toFixed(2)} / p99 ${b.p99.toFixed(2)} ms: ratio p50 ${ratio.toFixed(2)}, p99 ${(a.p99 / b.p99).toFixed(2)} (n = ${a.n} each, lines ${GAP_MS} ms apart, load ${loads[0]}-${loads[loads.length - 1]})`,
  ratio <= RATIO_TARGET ? 'met' : 'missed',
);
reportRow(
  'line -> register p99 <= 2 ms (DESIGN)',
  `agent p99 ${a.p99.toFixed(2)} ms (stand-in on the same path ${b.p99.toFixed(2)} ms), load ${loads[0]}-${loads[loads.length - 1]}`,
  a.p99 <= 2 ? 'met' : 'missed',
);
console.log(`resident memory after the latency run: ${memoryOf(agent.child.pid).rssMb.toFixed(1)} MB`);

await agent.pty.send('SWITCH idx=2 state=closed cause=calendar');
await sleep(1000);
const c0 = cpuSecondsOf(agent.child.pid);
const w0 = performance.now();
for (let i = 0; i < 2; i++) {
  await sleep(10_000);
  await agent.pty.send(`HB seq=${i}`);
}
const idlePct = ((cpuSecondsOf(agent.child.pid) - c0) / ((performance.now() - w0) / 1000)) * 100;
console.log(`idle CPU over 20 s (a heartbeat every 10 s): ${idlePct.toFixed(2)} % of a core (load ${load()})`);
reportRow('idle CPU < 0.5 % of a core', `${idlePct.toFixed(2)} % over 20 s with the link up, load ${load()}`, idlePct < 0.5 ? 'met' : 'missed');

const samples = [];
const chunk = [];
const t0 = performance.now();
for (let i = 0; i < LINES; i++) {
  chunk.push(`HB seq=${i % 65536}`);
  if (chunk.length === 200) {
    await agent.pty.send(chunk.join('\n'));
    chunk.length = 0;
  }
  if (i % (LINES / 10) === 0) samples.push(memoryOf(agent.child.pid).rssMb);
}
await sleep(2000);
samples.push(memoryOf(agent.child.pid).rssMb);
const hwm = memoryOf(agent.child.pid).hwmMb;
const secs = (performance.now() - t0) / 1000;
console.log(
  `${LINES} HB lines in ${secs.toFixed(1)} s; resident memory (MB) at each tenth: ${samples.map((x) => x.toFixed(1)).join(' ')}; peak ${hwm.toFixed(1)} MB`,
);
// Growth: the last tenth against the first tenth past start-up (GC timing moves single samples).
const growth = samples[samples.length - 1] - Math.min(...samples.slice(1, 4));
reportRow(
  `no growth over ${LINES.toExponential(0)} lines`,
  `RSS at each tenth: ${samples.map((x) => x.toFixed(0)).join(' ')} MB (peak ${hwm.toFixed(0)}), load ${load()}`,
  growth < 10 ? 'met' : 'missed',
);

await agent.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
