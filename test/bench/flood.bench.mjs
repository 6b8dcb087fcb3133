// The meter side flooding the agent, with the agent as a separate process (`node
// dist/agent/main.js run`), for both HAN transports: a socat pty pair and a tcp:// bridge.
// Printed, never asserted (shared machines are noisy). Needs socat. Run after `npm run build`:
//   node test/bench/flood.bench.mjs [--lines 200000] [--junk 20000]
//
// 1. Sustained lines/s: --lines HB lines written as fast as the transport takes them, then
//    one SWITCH open; the rate is the lines over the time until the charger write of that
//    open arrives at a loopback Modbus TCP server in this process (so every line was read,
//    parsed and stepped through the core first).
// 2. Open behind a flood: --junk lines of one kind (distinct unknown verbs; lines with a bad
//    checksum) written in one go, then SWITCH open at once; the delay is from the open's
//    bytes written to the Modbus write of 6 A (the issue 7 review measured 157 s for 20,000
//    distinct verbs before the counters were bounded and the state saved per change).
// Both stamps come from this process's clock.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, readSync, writeSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:net';
import { startModbusResponder } from './lib/modbus-responder.mjs';
import { agentSpawn, describeUnitStart } from './lib/unit-command.mjs';
import { writeAgentConfig } from './lib/agent-config.mjs';

const args = process.argv.slice(2);
const arg = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const LINES = arg('--lines', 200_000);
const JUNK = arg('--junk', 20_000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the charger: the benches' Modbus TCP responder; the 1210 (setpoint) writes are stamped ----
let onSetpoint = null;
const modbus = await startModbusResponder({
  onWrite: ({ addr, atMs }) => {
    if (addr === 1210 && onSetpoint) onSetpoint(holding.get(1210), atMs);
  },
});
const holding = modbus.holding;
const modbusPort = modbus.port;
const SIX = 0x40c0; // float32 6.0, high word
const THIRTY_TWO = 0x4200;
const setpointIs = (word, ms) =>
  new Promise((resolve) => {
    if (holding.get(1210) === word) return resolve(performance.now());
    const timer = setTimeout(() => {
      onSetpoint = null;
      resolve(null);
    }, ms);
    onSetpoint = (w, at) => {
      if (w !== word) return;
      clearTimeout(timer);
      onSetpoint = null;
      resolve(at);
    };
  });

// ---- the meter's end: a pty or a tcp bridge, answering the agent's READ ----
async function meterPty(dir) {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  while (!(existsSync(a) && existsSync(b))) await sleep(20);
  await sleep(100);
  const fd = openSync(b, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOCTTY);
  let heard = '';
  const poll = setInterval(() => {
    const buf = Buffer.alloc(4096);
    try {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n > 0) heard += buf.subarray(0, n).toString('latin1');
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
  }, 20);
  const write = async (text) => {
    let buf = Buffer.from(text, 'latin1');
    while (buf.length > 0) {
      try {
        buf = buf.subarray(writeSync(fd, buf));
      } catch (err) {
        if (err.code !== 'EAGAIN') throw err;
        await new Promise((r) => setImmediate(r));
      }
    }
  };
  return {
    port: a,
    write,
    heard: () => heard,
    close: () => {
      clearInterval(poll);
      socat.kill();
    },
  };
}

async function meterTcp() {
  let sock = null;
  let heard = '';
  const server = createServer((s) => {
    s.setNoDelay(true);
    sock = s;
    s.on('data', (d) => (heard += d.toString('latin1')));
    s.on('error', () => undefined);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const write = async (text) => {
    while (sock === null) await sleep(10);
    if (!sock.write(text, 'latin1')) await new Promise((r) => sock.once('drain', r));
  };
  return { port: `tcp://127.0.0.1:${server.address().port}`, write, heard: () => heard, close: () => server.close() };
}

async function run(kind) {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-flood-'));
  const meter = kind === 'pty' ? await meterPty(dir) : await meterTcp();
  const configPath = writeAgentConfig(dir, { hanPort: meter.port, modbusPort });
  holding.clear();
  const agent = spawn(...agentSpawn(configPath, { stdio: ['ignore', 'ignore', 'inherit'] }));
  const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${agent.pid}/status`, 'utf8'))[1]) / 1024;
  // The meter answers the READ the agent sends once its port is open: switch 2 closed.
  for (let i = 0; i < 3000 && !meter.heard().includes('READ what=switches'); i++) await sleep(10);
  const closeAndWait = async () => {
    await meter.write('SWITCH idx=2 state=closed cause=calendar\nLABEL idx=2 text="EV Charger"\nEND what=switches\n');
    return setpointIs(THIRTY_TWO, 20_000);
  };
  if ((await closeAndWait()) === null) throw new Error(`${kind}: the charger never reached 32 A`);
  console.error(`${kind}: agent up, charger at 32 A`);

  const out = [];
  // 1. sustained lines/s
  {
    const t0 = performance.now();
    const chunk = [];
    for (let i = 0; i < LINES; i++) {
      chunk.push(`HB seq=${i % 65536}`);
      if (chunk.length === 500) {
        await meter.write(chunk.join('\n') + '\n');
        chunk.length = 0;
      }
    }
    if (chunk.length) await meter.write(chunk.join('\n') + '\n');
    await meter.write('SWITCH idx=2 state=open cause=dno\n');
    const at = await setpointIs(SIX, 300_000);
    const secs = (at - t0) / 1000;
    out.push(`${kind}: ${LINES} HB lines + open in ${secs.toFixed(2)} s = ${Math.round(LINES / secs)} lines/s through the agent; RSS ${rssMb().toFixed(0)} MB`);
  }
  // 2. an open behind a flood of junk
  for (const [name, line] of [
    ['distinct unknown verbs', (i) => `VERB${i} x=1`],
    ['bad-checksum lines', (i) => `SWITCH idx=2 state=closed cause=dno seq=${i % 65536}*00`],
  ]) {
    if ((await closeAndWait()) === null) throw new Error(`${kind}: no 32 A before the ${name} flood`);
    await sleep(300);
    const lines = [];
    for (let i = 0; i < JUNK; i++) lines.push(line(i));
    const t0 = performance.now();
    await meter.write(lines.join('\n') + '\n');
    const tOpen = performance.now();
    await meter.write('SWITCH idx=2 state=open cause=dno\n');
    const at = await setpointIs(SIX, 300_000);
    out.push(
      `${kind}: open behind ${JUNK} ${name}: ${at === null ? 'no write within 300 s' : `${(at - tOpen).toFixed(0)} ms from the open written to the 6 A write (${(at - t0).toFixed(0)} ms from the flood's first byte)`}; RSS ${rssMb().toFixed(0)} MB`,
    );
  }
  agent.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
  meter.close();
  return out;
}

console.log(describeUnitStart());
for (const kind of ['pty', 'tcp']) for (const line of await run(kind)) console.log(line);
await modbus.close();
process.exit(0);
