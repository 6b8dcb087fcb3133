// HanLink over tcp:// against the meter emulator's loopback bridge: lines parsed and counted,
// the peer closing -> down -> backoff -> up; with the runtime on it (as compose joins them) the
// meter gets one READ of the whole state on every connect, and the link alone sends nothing.
import t from 'tap';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { HanLink, parseTcpTarget, type HanLine, type HanLinkOptions } from '../../../drivers/han/link.js';
import type { Clock } from '../../../drivers/clock.js';
import { MeterEmulator } from '../../../drivers/han/emulator.js';
import { checksumOf } from '../../../drivers/han/parse.js';
import { FULL_STATE, readLine } from '../../../drivers/han/read.js';
import { runtimeOverLink } from '../../helpers/runtime-rig.js';
import { tally } from './tally.js';

const logger = pino({ level: 'silent' });
const serial = { baudRate: 115200, dataBits: 8 as const, parity: 'none' as const, stopBits: 1 as const };

function linkOptions(port: string, more: Partial<HanLinkOptions> = {}): HanLinkOptions {
  return { port, serial, requireChecksum: false, sendChecksum: false, reconnect: { initialMs: 20, maxMs: 80 }, logger, ...more };
}

/** Resolves when `pred` holds, checking after every event loop turn; fails after 3 s. */
async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Handles this process holds of the given kinds (sockets, servers, timers). */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** A loopback port nothing listens on (bound and released). */
async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  await new Promise((r) => srv.close(r));
  return port;
}

t.test('runtime on the link: one READ per connect, answered; drop, backoff, up, one READ again', async (t) => {
  const before = handles();
  const emu = new MeterEmulator({ heartbeatMs: 0 });
  emu.setSwitch(2, 'open', { cause: 'dno', durMin: 30 });
  emu.setLabel(2, 'EV Charger');
  emu.setBoostConfig([2], 60);
  const port = await emu.listenTcp('127.0.0.1', 0);
  const link = new HanLink(linkOptions(`tcp://127.0.0.1:${port}`));
  const events: string[] = [];
  const lines: HanLine[] = [];
  link.on('up', () => events.push('up'));
  link.on('down', () => events.push('down'));
  link.on('line', (l) => lines.push(l));
  const { runtime } = runtimeOverLink(link);
  runtime.start();

  await until(() => lines.filter((l) => l.outcome.kind === 'message' && l.outcome.message.verb === 'END').length === 2, 'both ENDs');
  t.same(
    emu.received.map((r) => r.raw),
    ['READ what=switches', 'READ what=boost'],
  );
  t.same(
    lines.map((l) => (l.outcome.kind === 'message' ? l.outcome.message.verb : l.outcome.kind)),
    ['SWITCH', 'LABEL', 'END', 'BOOSTCFG', 'END'],
  );
  const sw = lines[0]?.outcome;
  t.same(sw?.kind === 'message' ? sw.message : null, { verb: 'SWITCH', idx: 2, type: 'HCALCS', state: 'open', cause: 'dno', durMin: 30, seq: 0 });
  t.ok(
    lines.every((l) => typeof l.atMs === 'number' && l.atMs > 0),
    'every line time-stamped',
  );

  emu.dropConnections();
  await until(() => events.length >= 3, 'down and up again');
  t.same(events, ['up', 'down', 'up']);
  await until(() => emu.received.length === 4, 'READ after reconnect');
  t.same(
    emu.received.slice(2).map((r) => r.raw),
    ['READ what=switches', 'READ what=boost'],
  );
  t.equal(link.stats().reconnects, 1);
  await until(() => tally(lines).ok === 10, 'the second answer');
  t.equal(tally(lines).ok, 10, 'five answer lines per connect');
  t.equal(emu.received.length, 4, 'no READ beyond one per connect');

  await runtime.stop('test');
  await emu.close();
  t.same(events, ['up', 'down', 'up', 'down'], 'close() while up emits down once');
  // A closed handle leaves the active list only after libuv's close callback: allow it a moment.
  const kinds = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'];
  await until(() => kinds.every((k) => (handles()[k] ?? 0) <= (before[k] ?? 0)), 'handles released').catch(() => undefined);
  const after = handles();
  for (const kind of kinds) t.equal(after[kind] ?? 0, before[kind] ?? 0, `no ${kind} left behind (${JSON.stringify(after)} vs ${JSON.stringify(before)})`);
});

t.test('backoff doubles from initialMs to maxMs while the bridge is away, and resets after a connect', async (t) => {
  const port = await freePort();
  const delays: number[] = [];
  const pending: Array<() => void> = [];
  const clock: Clock = {
    now: () => Date.now(),
    setTimeout: (fn, ms) => {
      delays.push(ms);
      pending.push(fn);
      return pending.length;
    },
    clearTimeout: () => undefined,
  };
  const link = new HanLink(linkOptions(`tcp://127.0.0.1:${port}`, { clock, reconnect: { initialMs: 10, maxMs: 45 } }));
  const events: string[] = [];
  link.on('up', () => events.push('up'));
  link.on('down', () => events.push('down'));
  link.start();
  for (let i = 1; i <= 5; i++) {
    await until(() => pending.length === i, `retry ${i} scheduled`);
    if (i < 5) pending[i - 1]?.();
  }
  t.same(delays, [10, 20, 40, 45, 45], 'capped exponential backoff');
  t.equal(link.stats().connectFailures, 5);
  t.same(events, [], 'no down while never up');

  const emu = new MeterEmulator({ heartbeatMs: 0 });
  await emu.listenTcp('127.0.0.1', port);
  pending[4]?.();
  await until(() => events.length === 1, 'up');
  await until(() => emu.connections > 0, 'the bridge sees the connection');
  emu.dropConnections();
  await until(() => pending.length === 6, 'retry after the drop');
  t.equal(delays[5], 10, 'backoff reset to initialMs after a successful connect');
  t.same(events, ['up', 'down']);
  await link.close();
  await emu.close();
});

t.test('send: with checksum when configured; dropped and counted while down', async (t) => {
  const emu = new MeterEmulator({ heartbeatMs: 0 });
  const port = await emu.listenTcp('127.0.0.1', 0);
  const link = new HanLink(linkOptions(`tcp://127.0.0.1:${port}`, { sendChecksum: true }));
  t.teardown(async () => {
    await link.close();
    await emu.close();
  });
  t.equal(link.send('PING'), false, 'not started: dropped');
  t.equal(link.stats().sendsDropped, 1);
  let up = false;
  link.on('up', () => (up = true));
  link.start();
  await until(() => up, 'up');
  // The link decides nothing: the first line on the wire is the first one it is given.
  t.equal(link.send('PING'), true);
  await until(() => emu.received.length === 1, 'PING');
  t.equal(emu.received[0]?.raw, 'PING*10', 'nothing sent before it on connect');
  for (const what of FULL_STATE) link.send(readLine(what));
  await until(() => emu.received.length === 3, 'READs');
  t.same(
    emu.received.slice(1).map((r) => r.raw),
    [`READ what=switches*${checksumOf('READ what=switches')}`, `READ what=boost*${checksumOf('READ what=boost')}`],
  );
  // A caller's bug must not corrupt the framing: an embedded LF, a non-ASCII byte, an over-long line.
  t.equal(link.send('PING\nREAD what=switches'), false);
  t.equal(link.send('LABEL text=caf\u00e9'), false);
  t.equal(link.send('X'.repeat(253)), false);
  t.equal(link.stats().sendsDropped, 4);
  t.equal(link.send('X'.repeat(252)), true, '252 bytes + *HH + LF = 256');
  await until(() => emu.received.length === 4, 'long line');
  t.equal(emu.received[3]?.raw.length, 255);
  await link.close();
  await emu.close();
});

t.test('bad lines are rejected and counted, a throwing listener is survived, the link goes on', async (t) => {
  const emu = new MeterEmulator({ heartbeatMs: 0 });
  const port = await emu.listenTcp('127.0.0.1', 0);
  const link = new HanLink(linkOptions(`tcp://127.0.0.1:${port}`, { requireChecksum: true }));
  t.teardown(async () => {
    await link.close();
    await emu.close();
  });
  const lines: HanLine[] = [];
  link.on('line', (l) => {
    lines.push(l);
    if (lines.length === 1) throw new Error('listener bug');
  });
  link.on('up', () => {
    for (const what of FULL_STATE) link.send(readLine(what));
  });
  link.start();
  await until(() => emu.received.length === 2, 'READs');
  emu.sendRaw('SWITCH idx=2 state=open*00');
  emu.sendRaw('SWITCH idx=2 state=open');
  emu.sendRaw('\u00ff\u00fe');
  emu.sendBytes(Buffer.alloc(100_000, 0x58));
  emu.sendRaw('');
  emu.sendRaw('FROB x=1*' + checksumOf('FROB x=1'));
  emu.sendRaw('HB seq=43*77');
  // 3 answer lines to the READs (END, BOOSTCFG, END: rejected, no checksum), 6 sent here (the empty one is skipped).
  await until(() => lines.length >= 9, 'all lines');
  const tail = lines.slice(-6).map((l) => (l.outcome.kind === 'rejected' ? l.outcome.reason : l.outcome.kind));
  t.same(tail, ['bad_checksum', 'bad_checksum', 'bad_byte', 'line_too_long', 'ignored', 'message']);
  const counted = tally(lines);
  t.equal(counted.ok, 1);
  t.equal(counted.ignored, 1);
  t.equal(counted.rejected.line_too_long, 1);
  t.equal(counted.rejected.bad_byte, 1);
  t.equal(counted.rejected.bad_checksum, 5);
  t.equal(link.stats().bytesDropped, 100_000 - 256);
  t.ok(link.bufferedBytes() <= 256);
  t.equal(link.up, true, 'still up');
  await link.close();
  await emu.close();
});

t.test('parseTcpTarget', async (t) => {
  t.same(parseTcpTarget('tcp://127.0.0.1:3333'), { host: '127.0.0.1', port: 3333 });
  t.same(parseTcpTarget('tcp://[::1]:4000'), { host: '::1', port: 4000 });
  t.same(parseTcpTarget('tcp://ser2net.local:2001'), { host: 'ser2net.local', port: 2001 });
  t.throws(() => parseTcpTarget('tcp://host'), /expected tcp:\/\/host:port/);
  t.throws(() => parseTcpTarget('tcp://'), /tcp:\/\/host:port/);
});

t.test('an unusable port setting is retried and logged, never thrown', async (t) => {
  const link = new HanLink(linkOptions('tcp://nohost', { reconnect: { initialMs: 5, maxMs: 5 } }));
  t.teardown(() => link.close());
  t.doesNotThrow(() => link.start());
  await until(() => link.stats().connectFailures >= 2, 'two failures');
  await link.close();
  t.pass('closed');
});
