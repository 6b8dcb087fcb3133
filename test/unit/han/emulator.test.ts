// The meter emulator over its loopback TCP bridge, talked to by a plain socket: answers to
// READ and PING, sequence numbers (wrapping, skipped), checksums, heartbeat, fault injection.
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { MeterEmulator } from '../../../drivers/han/emulator.js';
import { formatLine, parseLine } from '../../../drivers/han/parse.js';
import type { HanMessage } from '../../../drivers/han/messages.js';

interface Client {
  socket: Socket;
  lines: string[];
  /** Resolves once `n` lines in all have arrived. */
  waitFor(n: number): Promise<string[]>;
  send(line: string): void;
}

async function client(port: number): Promise<Client> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const lines: string[] = [];
  let buf = '';
  let waiter: (() => void) | null = null;
  socket.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    waiter?.();
  });
  return {
    socket,
    lines,
    send: (line) => socket.write(line + '\n'),
    waitFor: (n) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${lines.length} of ${n} lines: ${JSON.stringify(lines)}`)), 3000);
        const check = (): void => {
          if (lines.length >= n) {
            clearTimeout(timer);
            waiter = null;
            resolve(lines.slice(0, n));
          }
        };
        waiter = check;
        check();
      }),
  };
}

async function setup(
  t: { teardown(fn: () => unknown): void },
  opts: ConstructorParameters<typeof MeterEmulator>[0] = {},
): Promise<{ emu: MeterEmulator; c: Client }> {
  const emu = new MeterEmulator({ heartbeatMs: 0, ...opts });
  const port = await emu.listenTcp('127.0.0.1', 0);
  const c = await client(port);
  // The server side may see the connection a moment after the client does.
  while (emu.connections === 0) await new Promise((r) => setImmediate(r));
  t.teardown(async () => {
    c.socket.destroy();
    await emu.close();
  });
  return { emu, c };
}

const msg = (line: string, requireChecksum = false): HanMessage | string => {
  const out = parseLine(line, { requireChecksum });
  return out.kind === 'message' ? out.message : out.kind === 'rejected' ? out.reason : out.kind;
};
const strip = (m: HanMessage | string): unknown => (typeof m === 'string' ? m : { ...m, seq: undefined });

t.test('READ what=switches: a SWITCH and a LABEL per configured switch, then END', async (t) => {
  const { emu, c } = await setup(t);
  emu.setSwitch(2, 'open', { cause: 'dno', durMin: 30, dev: '00-db-12-34-56-78-90-97' });
  emu.setLabel(2, 'EV Charger');
  emu.setSwitch(4, 'closed', { cause: 'calendar', type: 'ALCS' });
  emu.setLabel(4, 'Storage heater');
  await c.waitFor(4);
  c.send('READ what=switches');
  const answer = (await c.waitFor(9)).slice(4).map((l) => strip(msg(l)));
  t.same(answer, [
    { verb: 'SWITCH', idx: 2, type: 'HCALCS', dev: '00-DB-12-34-56-78-90-97', state: 'open', cause: 'dno', durMin: 30, seq: undefined },
    { verb: 'LABEL', idx: 2, text: 'EV Charger', seq: undefined },
    { verb: 'SWITCH', idx: 4, type: 'ALCS', state: 'closed', cause: 'calendar', seq: undefined },
    { verb: 'LABEL', idx: 4, text: 'Storage heater', seq: undefined },
    { verb: 'END', what: 'switches', seq: undefined },
  ]);
  t.equal(emu.received.length, 1);
  t.equal(emu.received[0]?.raw, 'READ what=switches');
});

t.test('READ what=boost: BOOSTCFG then END; PING: HB; a checksummed READ is accepted', async (t) => {
  const { emu, c } = await setup(t);
  emu.setBoostConfig([2, 3], 60);
  await c.waitFor(1);
  c.send(formatLine('READ', { what: 'boost' }, { checksum: true }));
  c.send('PING*10');
  const lines = await c.waitFor(4);
  t.same(
    lines.slice(1).map((l) => strip(msg(l))),
    [
      { verb: 'BOOSTCFG', loads: [2, 3], periodMin: 60, seq: undefined },
      { verb: 'END', what: 'boost', seq: undefined },
      { verb: 'HB', seq: undefined, time: (msg(lines[3] ?? '') as { time?: string }).time },
    ],
  );
  t.match((msg(lines[3] ?? '') as { time?: string }).time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.same(
    emu.received.map((r) => r.outcome.kind),
    ['ignored', 'ignored'],
  );
});

t.test('an unknown request and a bad line get ERR; nothing stops the emulator', async (t) => {
  const { emu, c } = await setup(t);
  c.send('READ what=everything');
  c.send('READ what=switches*00');
  c.send('PING');
  const lines = await c.waitFor(3);
  t.same(
    lines.map((l) => strip(msg(l))),
    [
      { verb: 'ERR', code: 'unsupported', text: 'READ everything', seq: undefined },
      { verb: 'ERR', code: 'bad_line', text: 'bad_checksum', seq: undefined },
      { verb: 'HB', seq: undefined, time: (msg(lines[2] ?? '') as { time?: string }).time },
    ],
  );
  t.equal(emu.received.length, 3);
});

t.test('seq: one per line, wrapping 65535 -> 0; skipSeq leaves a gap', async (t) => {
  const { emu, c } = await setup(t, { seqStart: 65534 });
  emu.setSwitch(1, 'open');
  emu.setSwitch(1, 'closed');
  emu.setSwitch(1, 'open');
  emu.skipSeq(5);
  emu.cancelBoost();
  const seqs = (await c.waitFor(4)).map((l) => (msg(l) as { seq?: number }).seq);
  t.same(seqs.slice(0, 3), [65534, 65535, 0]);
  t.equal(seqs[3], 6, 'five numbers skipped after 0');
});

t.test('checksum option: every line carries a valid *HH', async (t) => {
  const { emu, c } = await setup(t, { checksum: true });
  emu.setSwitch(3, 'open', { cause: 'supplier' });
  emu.setLabel(3, 'say "hi"');
  emu.pressBoost();
  const lines = await c.waitFor(3);
  t.ok(
    lines.every((l) => /\*[0-9A-F]{2}$/.test(l)),
    'all end in *HH',
  );
  t.same(
    lines.map((l) => (msg(l, true) as HanMessage).verb),
    ['SWITCH', 'LABEL', 'BOOST'],
  );
  t.equal((msg(lines[1] ?? '', true) as { text?: string }).text, 'say "hi"');
});

t.test('pressBoost with moveSwitches closes the assigned loads for the period', async (t) => {
  const { emu, c } = await setup(t);
  emu.setBoostConfig([2, 5], 45);
  emu.pressBoost({ moveSwitches: true });
  const lines = await c.waitFor(4);
  t.same(
    lines.slice(1).map((l) => strip(msg(l))),
    [
      { verb: 'BOOST', action: 'press', seq: undefined },
      { verb: 'SWITCH', idx: 2, type: 'HCALCS', state: 'closed', cause: 'boost', durMin: 45, seq: undefined },
      { verb: 'SWITCH', idx: 5, type: 'HCALCS', state: 'closed', cause: 'boost', durMin: 45, seq: undefined },
    ],
  );
});

t.test('sendRaw sends exactly the bytes given (fault injection)', async (t) => {
  const { emu, c } = await setup(t);
  emu.sendRaw('SWITCH idx=2 state=open*00');
  emu.sendRaw('\u00ff\u0001garbage');
  const lines = await c.waitFor(2);
  t.same(
    lines.map((l) => msg(l)),
    ['bad_checksum', 'bad_byte'],
  );
  t.equal(emu.nextSeq, 0, 'raw lines take no sequence number');
});

t.test('heartbeat every heartbeatMs while a peer is connected', async (t) => {
  const { c } = await setup(t, { heartbeatMs: 30 });
  const lines = await c.waitFor(2);
  t.same(
    lines.map((l) => (msg(l) as HanMessage).verb),
    ['HB', 'HB'],
  );
  t.same(
    lines.map((l) => (msg(l) as { seq?: number }).seq),
    [0, 1],
  );
});

t.test('setSwitch rejects a switch number outside 1-5', async (t) => {
  const emu = new MeterEmulator({ heartbeatMs: 0 });
  t.throws(() => emu.setSwitch(6, 'open'), RangeError);
  t.throws(() => emu.setBoostConfig([0], 10), RangeError);
  await emu.close();
});
