// Proves the independent peer (Debian's pymodbus) over TCP with a client that is not ours either:
// modbus-serial's raw function codes (RTU and mbpoll: pymodbus-peer-serial.test.ts). If these pass, a failure in the profile interop
// suite points at our driver, not at the peer.
import t from 'tap';
import ModbusSerial from 'modbus-serial';
import { needs } from '../helpers/peers.js';
import { startPymodbusPeer, type Peer } from '../helpers/pymodbus-peer.js';

// Under NodeNext the default import is module.exports, which carries the class as .default.
const ModbusRTU = ModbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;
interface Teardown {
  teardown(fn: () => unknown): void;
}

async function tcpClient(t: Teardown, port: number, unit: number, timeoutMs = 1000): Promise<Client> {
  const c = new ModbusRTU();
  await c.connectTCP('127.0.0.1', { port });
  c.setID(unit);
  c.setTimeout(timeoutMs);
  t.teardown(() => closeClient(c));
  return c;
}

function closeClient(c: Client): Promise<void> {
  return new Promise((resolve) => {
    if (!c.isOpen) return resolve();
    c.close(() => resolve());
  });
}

async function startPeer(t: Teardown, spec: Parameters<typeof startPymodbusPeer>[0]): Promise<Peer> {
  const peer = await startPymodbusPeer(spec);
  t.teardown(() => peer.stop());
  return peer;
}

function modbusCode(err: unknown): number | undefined {
  return (err as { modbusCode?: number }).modbusCode;
}

t.test('TCP: modbus-serial reads and writes through FC03/04/06/16', needs('pymodbus'), async (t) => {
  const peer = await startPeer(t, {
    units: {
      1: { holding: { 10: [0x1234, 0xabcd], 1210: [0x4140, 0x0000] }, input: { 5: [300, 400, 500] } },
      255: { holding: { 5004: 16 }, input: { 1000: 2 } },
    },
  });
  t.ok(peer.port > 0, 'peer reports its bound port');
  const c = await tcpClient(t, peer.port, 1);

  const reads: Array<{ name: string; fc: 3 | 4; unit: number; address: number; count: number; want: number[] }> = [
    { name: 'FC03 seeded pair', fc: 3, unit: 1, address: 10, count: 2, want: [0x1234, 0xabcd] },
    { name: 'FC03 float32 words', fc: 3, unit: 1, address: 1210, count: 2, want: [0x4140, 0] },
    { name: 'FC03 unseeded reads 0', fc: 3, unit: 1, address: 40000, count: 3, want: [0, 0, 0] },
    { name: 'FC04 input registers', fc: 4, unit: 1, address: 5, count: 3, want: [300, 400, 500] },
    { name: 'FC04 is not FC03', fc: 4, unit: 1, address: 10, count: 1, want: [0] },
    { name: 'unit 255 holding', fc: 3, unit: 255, address: 5004, count: 1, want: [16] },
    { name: 'unit 255 input', fc: 4, unit: 255, address: 1000, count: 1, want: [2] },
  ];
  for (const r of reads) {
    c.setID(r.unit);
    const res = r.fc === 3 ? await c.readHoldingRegisters(r.address, r.count) : await c.readInputRegisters(r.address, r.count);
    t.same(res.data, r.want, r.name);
  }
  await peer.sync();
  const seenReads = peer.requests().filter((q) => q.fc === 3 || q.fc === 4);
  t.equal(seenReads.length, reads.length, 'peer logged every read request');
  t.same(
    seenReads.map((q) => [q.unit, q.fc, q.address, q.count]),
    reads.map((r) => [r.unit, r.fc, r.address, r.count]),
    'request log carries unit, fc, address, count',
  );

  c.setID(1);
  await c.writeRegister(261, 160);
  await c.writeRegisters(1210, [0x4180, 0x0000]);
  c.setID(255);
  await c.writeRegister(6000, 1);
  await peer.sync();
  const writes = peer.writes().map((w) => ({ unit: w.unit, fc: w.fc, address: w.address, values: w.values }));
  t.same(writes, [
    { unit: 1, fc: 6, address: 261, values: [160] },
    { unit: 1, fc: 16, address: 1210, values: [0x4180, 0] },
    { unit: 255, fc: 6, address: 6000, values: [1] },
  ]);
  t.ok(
    peer.writes().every((w) => typeof w.t === 'number' && w.t > 1.6e12),
    'writes carry an epoch-ms time',
  );
  t.same(await peer.readRegisters(1, 'holding', 1210, 2), [0x4180, 0], 'write landed in the store');
  t.same(await peer.readRegisters(255, 'holding', 6000, 1), [1]);
  t.same(await peer.readRegisters(1, 'holding', 6000, 1), [0], 'units are separate stores');

  await peer.setRegisters(1, 'input', 7, [999]);
  c.setID(1);
  t.same((await c.readInputRegisters(7, 1)).data, [999], 'setRegisters is visible to clients');

  const w = await peer.waitForWrite((x) => x.address === 6000, 100);
  t.equal(w.unit, 255, 'waitForWrite finds a past write');
  await peer.sync();
  const mark = peer.writes().length;
  const later = peer.waitForWrite((x) => x.address === 261, 2000, mark);
  c.setID(1);
  await c.writeRegister(261, 60);
  t.same((await later).values, [60], 'waitForWrite with fromIndex waits for the next one');
  await t.rejects(
    peer.waitForWrite((x) => x.address === 1, 100),
    /no matching write/,
    'waitForWrite times out',
  );
});

t.test('TCP: a unit the peer does not serve gets no answer', needs('pymodbus'), async (t) => {
  const peer = await startPeer(t, { units: { 1: {} } });
  const c = await tcpClient(t, peer.port, 9, 200);
  await t.rejects(c.readHoldingRegisters(0, 1), /timed out/i);
  await peer.sync();
  t.equal(peer.requests()[0]?.fault, 'unknown-unit');
});

t.test('TCP: fault injection', needs('pymodbus'), async (t) => {
  const peer = await startPeer(t, { units: { 1: { holding: { 0: 42 } }, 2: { holding: { 0: 43 } } } });
  const c = await tcpClient(t, peer.port, 1, 250);

  await t.test('exception codes, for the next K requests', async (t) => {
    for (const code of [1, 2, 3, 4, 6, 11]) {
      await peer.fault(1, { mode: 'exception', code, count: 1 });
      const err = await c.readHoldingRegisters(0, 1).then(
        () => null,
        (e: unknown) => e,
      );
      t.equal(modbusCode(err), code, `exception ${code}`);
    }
    t.same((await c.readHoldingRegisters(0, 1)).data, [42], 'after count is used up, normal service');
    await peer.fault(1, { mode: 'exception', code: 6, count: 2 });
    await t.rejects(c.readHoldingRegisters(0, 1));
    await t.rejects(c.readHoldingRegisters(0, 1));
    t.same((await c.readHoldingRegisters(0, 1)).data, [42], 'count 2 fails exactly two');
  });

  await t.test('only the named function codes', async (t) => {
    await peer.fault(1, { mode: 'exception', code: 4, fcs: [6, 16] });
    t.same((await c.readHoldingRegisters(0, 1)).data, [42], 'reads still served');
    const err = await c.writeRegister(0, 7).then(
      () => null,
      (e: unknown) => e,
    );
    t.equal(modbusCode(err), 4, 'write refused');
    t.same(await peer.readRegisters(1, 'holding', 0, 1), [42], 'a refused write changes nothing');
    await peer.sync();
    t.equal(peer.writes().length, 0, 'and is not reported as a write');
    await peer.fault(1, { mode: 'none' });
    await c.writeRegister(0, 7);
    t.same(await peer.readRegisters(1, 'holding', 0, 1), [7], 'cleared');
  });

  await t.test('no reply until cleared; other units unaffected', async (t) => {
    await peer.fault(1, { mode: 'noreply' });
    await t.rejects(c.readHoldingRegisters(0, 1), /timed out/i);
    c.setID(2);
    t.same((await c.readHoldingRegisters(0, 1)).data, [43], 'unit 2 answers');
    c.setID(1);
    await t.rejects(c.readHoldingRegisters(0, 1), /timed out/i, 'still silent');
    await peer.fault(1, { mode: 'none' });
    // modbus-serial may still see the late transaction ids of the timed-out requests: none come.
    t.same((await c.readHoldingRegisters(0, 1)).data, [7]);
    await peer.sync();
    t.equal(peer.requests().filter((q) => q.fault === 'noreply').length, 2, 'peer logged both dropped requests');
  });

  await t.test('slow replies arrive late and in order', async (t) => {
    await peer.fault(1, { mode: 'delay', delayMs: 150, count: 1 });
    const started = Date.now();
    const res = await c.readHoldingRegisters(0, 1);
    t.same(res.data, [7]);
    t.ok(Date.now() - started >= 140, 'reply held back by the injected delay');
    await peer.fault(1, { mode: 'delay', delayMs: 400, count: 1 });
    await t.rejects(c.readHoldingRegisters(0, 1), /timed out/i, 'delay beyond the client timeout is a timeout');
  });
});

t.test('TCP: reboot restores initial registers and drops connections', needs('pymodbus'), async (t) => {
  const peer = await startPeer(t, { units: { 1: { holding: { 1210: [0x40c0, 0] } } } });
  const c = await tcpClient(t, peer.port, 1, 500);
  await c.writeRegisters(1210, [0x4180, 0]);
  await peer.setRegisters(1, 'input', 5, [99], { persist: true });
  await peer.setRegisters(1, 'input', 6, [98]);
  const closed = new Promise<void>((r) => (c as unknown as { _port: { once(e: string, f: () => void): void } })._port.once('close', r));
  await peer.reboot();
  await closed;
  t.pass('client saw its connection dropped');
  t.same(await peer.readRegisters(1, 'holding', 1210, 2), [0x40c0, 0], 'setpoint back to its initial value');
  t.same(await peer.readRegisters(1, 'input', 5, 2), [99, 0], 'persisted set survives, the other does not');
  t.ok(peer.events().some((e) => e.event === 'reboot'));

  await peer.reboot({ downMs: 300 });
  const c2 = new ModbusRTU();
  const refused = await c2.connectTCP('127.0.0.1', { port: peer.port }).then(
    () => null,
    (e: unknown) => e,
  );
  t.match(String((refused as Error | null)?.message ?? refused), /ECONNREFUSED/, 'refused while rebooting');
  await peer.waitForEvent((e) => e.event === 'up', 2000);
  const c3 = await tcpClient(t, peer.port, 1, 500);
  t.same((await c3.readHoldingRegisters(1210, 2)).data, [0x40c0, 0], 'back on the same port');
});

t.test('TCP: watchdog emulation falls back when keep-alive writes stop', needs('pymodbus'), async (t) => {
  const peer = await startPeer(t, { units: { 1: { holding: { 5004: 16 } } } });
  const c = await tcpClient(t, peer.port, 1, 500);
  await peer.watchdog({ unit: 1, watch: [6000], timeoutS: 0.25, setpoint: { address: 5004, count: 1 }, fallback: [6] });
  for (let i = 0; i < 5; i++) {
    await c.writeRegister(6000, 1);
    await c.readHoldingRegisters(5004, 1); // reads are not keep-alive here
    await new Promise((r) => setTimeout(r, 80));
  }
  t.notOk(
    peer.events().some((e) => e.event === 'failsafe'),
    'no failsafe while the life bit is written',
  );
  t.same(await peer.readRegisters(1, 'holding', 5004, 1), [16]);
  const ev = await peer.waitForEvent((e) => e.event === 'failsafe', 2000);
  t.same([ev.unit, ev.address, ev.values], [1, 5004, [6]]);
  t.same((await c.readHoldingRegisters(5004, 1)).data, [6], 'the charger now applies the safe current');

  await peer.watchdog({ unit: 1, watch: [], anyRequest: true, timeoutS: 0.25, setpoint: { address: 5004, count: 1 }, fallback: [0] });
  await c.writeRegister(5004, 10);
  for (let i = 0; i < 4; i++) {
    await c.readHoldingRegisters(0, 1);
    await new Promise((r) => setTimeout(r, 80));
  }
  t.same(await peer.readRegisters(1, 'holding', 5004, 1), [10], 'anyRequest: polls keep it alive');
  await peer.waitForEvent((e) => e.event === 'failsafe' && (e.values as number[])[0] === 0, 2000);
  t.same(await peer.readRegisters(1, 'holding', 5004, 1), [0]);
});

t.test('TCP: a mirror derives a register from a written span, and reboot restores both', needs('pymodbus'), async (t) => {
  const peer = await startPeer(t, {
    units: { 255: { input: { 1100: 32 }, mirrors: [{ from: { table: 'holding', address: 5004 }, to: { table: 'input', address: 1100 } }] } },
  });
  const c = await tcpClient(t, peer.port, 255);
  t.same((await c.readInputRegisters(1100, 1)).data, [32], 'applied limit before any write');
  await c.writeRegister(5005, 7);
  t.same((await c.readInputRegisters(1100, 1)).data, [32], 'a write next to the span does not mirror');
  await c.writeRegisters(5003, [1, 10]);
  t.same((await c.readInputRegisters(1100, 1)).data, [10], 'a write overlapping the span mirrors it');
  await peer.reboot();
  t.same(await peer.readRegisters(255, 'input', 1100, 1), [32], 'reboot: the charger applies its own maximum again');
  await t.rejects(startPymodbusPeer({ units: { 1: { mirrors: [{ from: {}, to: { address: 1 } }] } } as never }), /mirrors\[0\]: needs/);
});

t.test('bad specs and commands get clear errors', needs('pymodbus'), async (t) => {
  const cases: Array<{ spec: unknown; want: RegExp }> = [
    { spec: { units: {} }, want: /units: expected an object/ },
    { spec: { units: { 1: { holding: { 10: 70000 } } } }, want: /not a uint16/ },
    { spec: { units: { x: {} } }, want: /unit id is not an integer/ },
    { spec: { units: { 1: { bogus: {} } } }, want: /unknown table/ },
  ];
  for (const c of cases) {
    await t.rejects(startPymodbusPeer(c.spec as Parameters<typeof startPymodbusPeer>[0]), c.want, JSON.stringify(c.spec));
  }
  const peer = await startPeer(t, { units: { 1: {} } });
  await t.rejects(peer.setRegisters(2, 'holding', 0, [1]), /no such unit/);
  await t.rejects(peer.setRegisters(1, 'holding', 0, [-1]), /not a uint16/);
  await t.rejects(peer.fault(1, { mode: 'wobble' } as never), /fault mode/);
  await t.rejects(peer.watchdog({ unit: 1, watch: [1], timeoutS: 1, setpoint: { address: 0, count: 2 }, fallback: [1] }), /fallback has 1/);
  t.same(await peer.readRegisters(1, 'holding', 0, 1), [0], 'peer still serves after bad commands');
});
