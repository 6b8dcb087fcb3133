// HanLink on a real pseudo-terminal (a socat pty pair standing in for a USB serial adapter and
// the HAN module behind it), with the runtime on it as compose joins them: one READ of the whole
// state on every connect (the core decides it, the link carries it), lines written at the far
// end arrive parsed, a bad line is rejected without stopping the link, the far end vanishing
// brings the link down.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SerialPort } from 'serialport';
import { HanLink, type HanLine } from '../../../drivers/han/link.js';
import { MeterEmulator } from '../../../drivers/han/emulator.js';
import { checksumOf } from '../../../drivers/han/parse.js';
import { needs, openPtyPair } from '../../helpers/peers.js';
import { tally } from './tally.js';
import { runtimeOverLink } from '../../helpers/runtime-rig.js';

const logger = pino({ level: 'silent' });
const serial = { baudRate: 115200, dataBits: 8 as const, parity: 'none' as const, stopBits: 1 as const };

// Waits on the condition; the bound only turns a hang into a message (a loaded machine can
// take seconds to schedule socat and the emulator), never a verdict on speed.
async function until(pred: () => boolean, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

t.test('over a pty: READ on connect, SWITCH parsed, bad checksum rejected, link goes on', needs('socat'), async (t) => {
  const pair = await openPtyPair();
  const peer = new SerialPort({ path: pair.b, ...serial, autoOpen: false });
  const link = new HanLink({ port: pair.a, serial, requireChecksum: false, sendChecksum: true, reconnect: { initialMs: 20, maxMs: 100 }, logger });
  const { runtime } = runtimeOverLink(link);
  t.teardown(async () => {
    await runtime.stop('test');
    if (peer.isOpen) await new Promise((r) => peer.close(r));
    await pair.close();
  });
  await new Promise<void>((resolve, reject) => peer.open((err) => (err ? reject(err) : resolve())));
  let fromAgent = '';
  peer.on('data', (d: Buffer) => (fromAgent += d.toString('latin1')));

  const lines: HanLine[] = [];
  const events: string[] = [];
  link.on('line', (l) => lines.push(l));
  link.on('up', () => events.push('up'));
  link.on('down', () => events.push('down'));
  runtime.start();
  await until(() => fromAgent.split('\n').length >= 3, 'two READ lines');
  t.equal(fromAgent, `READ what=switches*01\nREAD what=boost*${checksumOf('READ what=boost')}\n`);

  peer.write('SWITCH idx=2 type=HCALCS dev=00-DB-12-34-56-78-90-97 state=open cause=dno dur=30 seq=41*70\r\n');
  peer.write('SWITCH idx=2 state=open*00\n');
  // Split across writes, as a UART delivers bytes.
  peer.write('SWITCH idx=2 state=clo');
  await new Promise((r) => setTimeout(r, 20));
  peer.write('sed cause=reset seq=42*45\n');
  await until(() => lines.length === 3, 'three lines');
  const [first, second, third] = lines.map((l) => l.outcome);
  t.same(first?.kind === 'message' ? first.message : first, {
    verb: 'SWITCH',
    idx: 2,
    type: 'HCALCS',
    dev: '00-DB-12-34-56-78-90-97',
    state: 'open',
    cause: 'dno',
    durMin: 30,
    seq: 41,
  });
  t.same(second, { kind: 'rejected', reason: 'bad_checksum' });
  t.same(third?.kind === 'message' ? third.message : third, { verb: 'SWITCH', idx: 2, type: 'HCALCS', state: 'closed', cause: 'reset', seq: 42 });
  t.same(tally(lines).rejected, { bad_checksum: 1 });
  t.equal(tally(lines).ok, 2);
  t.same(events, ['up']);

  // The far end disappears (socat exits, as when the adapter is unplugged): down, then retries.
  await new Promise((r) => peer.close(r));
  await pair.close();
  await until(() => events.length === 2, 'down');
  t.same(events, ['up', 'down']);
  await until(() => link.stats().connectFailures >= 1, 'a failed reopen');
});

t.test('over a pty against the meter emulator: the full state arrives after connect', needs('socat'), async (t) => {
  const pair = await openPtyPair();
  const emu = new MeterEmulator({ heartbeatMs: 0, checksum: true });
  const link = new HanLink({ port: pair.a, serial, requireChecksum: true, sendChecksum: true, reconnect: { initialMs: 20, maxMs: 100 }, logger });
  const { runtime } = runtimeOverLink(link);
  t.teardown(async () => {
    await runtime.stop('test');
    await emu.close();
    await pair.close();
  });
  await emu.openSerial(pair.b, serial);
  emu.setSwitch(1, 'closed', { cause: 'calendar', type: 'ALCS' });
  emu.setLabel(1, 'Immersion heater');
  emu.setSwitch(2, 'open', { cause: 'dno' });
  emu.setLabel(2, 'EV Charger');
  emu.setBoostConfig([2], 30);
  // The pty holds those announcements until the link opens; only the answers to READ count here.
  const lines: HanLine[] = [];
  link.on('line', (l) => lines.push(l));
  runtime.start();
  await until(() => emu.received.length === 2, 'READs');
  await until(() => lines.filter((l) => l.outcome.kind === 'message' && l.outcome.message.verb === 'END').length === 2, 'both ENDs');
  const verbs = lines.map((l) => (l.outcome.kind === 'message' ? l.outcome.message.verb : l.outcome.kind));
  t.same(verbs.slice(-7), ['SWITCH', 'LABEL', 'SWITCH', 'LABEL', 'END', 'BOOSTCFG', 'END']);
  t.same(tally(lines).rejected, {}, 'every checksum valid');
  t.same(
    emu.received.map((r) => r.outcome.kind),
    ['ignored', 'ignored'],
  );
});

/** A socat pty pair at fixed paths, so the same device path can vanish and come back. */
async function socatAt(a: string, b: string): Promise<ChildProcess> {
  const proc = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  await until(() => existsSync(a) && existsSync(b), 'socat links');
  return proc;
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((r) => {
    proc.once('exit', () => r());
    proc.kill('SIGTERM');
  });
}

t.test('the adapter is plugged in after start, unplugged and plugged in again: up, down, up, READ each time', needs('socat'), async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-han-replug-'));
  const a = join(dir, 'ttyUSB0');
  const b = join(dir, 'meter');
  const link = new HanLink({ port: a, serial, requireChecksum: false, sendChecksum: false, reconnect: { initialMs: 10, maxMs: 40 }, logger });
  const { runtime } = runtimeOverLink(link);
  const procs: ChildProcess[] = [];
  const emus: MeterEmulator[] = [];
  t.teardown(async () => {
    await runtime.stop('test');
    for (const e of emus) await e.close();
    for (const p of procs) await stop(p);
    rmSync(dir, { recursive: true, force: true });
  });
  const events: string[] = [];
  link.on('up', () => events.push('up'));
  link.on('down', () => events.push('down'));
  runtime.start();
  await until(() => link.stats().connectFailures >= 2, 'failed opens while nothing is plugged in');
  t.same(events, []);

  for (let round = 1; round <= 2; round++) {
    // The adapter's device appears only once the meter side has its end open: bytes the link
    // writes into a pty nobody has opened yet can be flushed by that open (a lost READ).
    const proc = await socatAt(`${a}.next`, b);
    procs.push(proc);
    const emu = new MeterEmulator({ heartbeatMs: 0 });
    emus.push(emu);
    let answered = 0;
    emu.on('sent', () => answered++);
    await emu.openSerial(b, serial);
    renameSync(`${a}.next`, a);
    await until(
      () => emu.received.length === 2,
      () =>
        `READs, round ${round} (link: ${JSON.stringify(link.stats())}, events ${events.join(',')}, meter got ${JSON.stringify(emu.received.map((r) => r.raw))})`,
    );
    // The answers (an empty state: END, BOOSTCFG, END) have to be read before any further
    // line the agent might send could be missed here.
    await until(() => answered >= 3, `answers, round ${round}`);
    t.same(
      emu.received.map((r) => r.raw),
      ['READ what=switches', 'READ what=boost'],
      `round ${round}: one READ of the whole state on connect`,
    );
    await emu.close();
    await stop(proc);
    // socat removes only the link it made; the moved one would dangle at a pts number the next
    // pair may be given.
    rmSync(a, { force: true });
    await until(() => events.length === 2 * round, `down, round ${round}`);
  }
  t.same(events, ['up', 'down', 'up', 'down']);
  t.equal(link.stats().reconnects, 1);
});
