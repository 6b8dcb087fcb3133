// HAN receive latency, printed (never asserted): a line written at the far end of a socat pty
// pair (or the loopback TCP bridge) until HanLink emits it parsed. This is the first half of
// the DESIGN target "HAN line on a pty -> Modbus write acknowledged, p99 <= 2 ms".
// Run after `npm run build`: node test/bench/han-link.bench.mjs  (needs socat for the pty part)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SerialPort } from 'serialport';
import { HanLink } from '../../dist/drivers/han/link.js';
import { MeterEmulator } from '../../dist/drivers/han/emulator.js';

const N = 2000;
const serial = { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 };
const logger = pino({ level: 'silent' });
const line = 'SWITCH idx=2 type=HCALCS dev=00-DB-12-34-56-78-90-97 state=open cause=dno dur=30 seq=41*70';

function report(name, times) {
  times.sort((a, b) => a - b);
  const q = (p) => (times[Math.min(times.length - 1, Math.floor(p * times.length))] / 1e6).toFixed(3);
  console.log(`${name.padEnd(28)} n=${times.length}  p50 ${q(0.5)} ms  p99 ${q(0.99)} ms  max ${q(1)} ms`);
}

async function measure(link, write) {
  const times = [];
  let pending = null;
  link.on('line', (l) => {
    if (pending && l.outcome.kind === 'message' && l.outcome.message.verb === 'SWITCH') {
      const p = pending;
      pending = null;
      p();
    }
  });
  for (let i = 0; i < N + 200; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise((resolve) => {
      pending = resolve;
      write();
    });
    if (i >= 200) times.push(Number(process.hrtime.bigint() - t0));
  }
  return times;
}

async function waitUp(link) {
  if (link.up) return;
  await new Promise((r) => link.once('up', r));
}

async function pty() {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-bench-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  while (!(existsSync(a) && existsSync(b))) {
    if (Date.now() > deadline || socat.exitCode !== null) throw new Error('socat did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 100));
  const peer = new SerialPort({ path: b, ...serial, autoOpen: false });
  await new Promise((res, rej) => peer.open((e) => (e ? rej(e) : res())));
  const link = new HanLink({ port: a, serial, requireChecksum: false, sendChecksum: false, reconnect: { initialMs: 50, maxMs: 500 }, logger });
  link.start();
  await waitUp(link);
  const times = await measure(link, () => peer.write(line + '\n'));
  report('pty (socat) -> HanLink', times);
  await link.close();
  await new Promise((r) => peer.close(r));
  socat.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

async function tcp() {
  const emu = new MeterEmulator({ heartbeatMs: 0 });
  const port = await emu.listenTcp('127.0.0.1', 0);
  const link = new HanLink({
    port: `tcp://127.0.0.1:${port}`,
    serial,
    requireChecksum: false,
    sendChecksum: false,
    reconnect: { initialMs: 50, maxMs: 500 },
    logger,
  });
  link.start();
  await waitUp(link);
  const times = await measure(link, () => emu.sendRaw(line));
  report('loopback TCP -> HanLink', times);
  await link.close();
  await emu.close();
}

console.log(
  `node ${process.version}, load average ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
await tcp();
await pty().catch((err) => console.log(`pty part skipped: ${err.message}`));
