// Proves the independent peer (Debian's pymodbus) over RTU on a socat pty, and with mbpoll as a
// second foreign client. The TCP half is in pymodbus-peer.test.ts.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import ModbusSerial from 'modbus-serial';
import { needs } from '../helpers/peers.js';
import { startPymodbusPeer, startPymodbusRtuPeer, type Peer } from '../helpers/pymodbus-peer.js';

const run = promisify(execFile);

// Under NodeNext the default import is module.exports, which carries the class as .default.
const ModbusRTU = ModbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;
interface Teardown {
  teardown(fn: () => unknown): void;
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

/** mbpoll's stdout lines "[ref]: \tvalue" as { ref: value }. */
function mbpollValues(stdout: string): Record<number, number> {
  const out: Record<number, number> = {};
  for (const m of stdout.matchAll(/^\[(\d+)\]:\s+(-?\d+)/gm)) out[Number(m[1])] = Number(m[2]);
  return out;
}

t.test('RTU on a pty: modbus-serial at 8N1 and at 8E1 on its end, two units on one line', needs('pymodbus', 'socat'), async (t) => {
  for (const parity of ['none', 'even'] as const) {
    await t.test(`agent end parity ${parity}`, async (t) => {
      const peer = await startPymodbusRtuPeer({
        baudRate: 19200,
        units: { 1: { holding: { 261: 60 }, input: { 5: 7 } }, 2: { holding: { 261: 100 }, input: { 5: 2 } } },
      });
      t.teardown(() => peer.stop());
      const c = new ModbusRTU();
      await c.connectRTUBuffered(peer.path, { baudRate: 19200, parity, dataBits: 8, stopBits: 1 });
      t.teardown(() => closeClient(c));
      c.setTimeout(250);
      for (const unit of [1, 2]) {
        c.setID(unit);
        t.same((await c.readHoldingRegisters(261, 1)).data, [unit === 1 ? 60 : 100], `unit ${unit} FC03`);
        t.same((await c.readInputRegisters(5, 1)).data, [unit === 1 ? 7 : 2], `unit ${unit} FC04`);
        await c.writeRegister(261, 80 + unit);
        await c.writeRegisters(300, [unit, 0xffff]);
      }
      await peer.sync();
      t.same(
        peer.writes().map((w) => [w.unit, w.fc, w.address, w.values]),
        [
          [1, 6, 261, [81]],
          [1, 16, 300, [1, 0xffff]],
          [2, 6, 261, [82]],
          [2, 16, 300, [2, 0xffff]],
        ],
      );
      c.setID(3);
      await t.rejects(c.readHoldingRegisters(0, 1), /timed out/i, 'absent unit on the line is silent');
      await peer.fault(2, { mode: 'exception', code: 2, count: 1 });
      c.setID(2);
      const err = await c.readHoldingRegisters(0, 1).then(
        () => null,
        (e: unknown) => e,
      );
      t.equal(modbusCode(err), 2, 'exception over RTU');
      await peer.fault(1, { mode: 'noreply', count: 1 });
      c.setID(1);
      await t.rejects(c.readHoldingRegisters(0, 1), /timed out/i, 'no reply over RTU');
      t.same((await c.readHoldingRegisters(261, 1)).data, [81], 'line recovers after a dropped request');
      await peer.reboot();
      t.same((await c.readHoldingRegisters(261, 1)).data, [60], 'reboot restores the initial setpoint over RTU');
    });
  }
});

t.test('mbpoll as client, TCP and RTU (references count from 1)', needs('pymodbus', 'socat', 'mbpoll'), async (t) => {
  const peer = await startPeer(t, { units: { 1: { holding: { 1210: [0x4140, 0] }, input: { 5: [300, 400] } } } });
  const base = ['-m', 'tcp', '-p', String(peer.port), '-a', '1', '-o', '1'];
  const hold = await run('mbpoll', [...base, '-t', '4', '-r', '1211', '-c', '2', '-1', '127.0.0.1']);
  t.same(mbpollValues(hold.stdout), { 1211: 0x4140, 1212: 0 }, 'mbpoll -r 1211 reads wire address 1210');
  const flt = await run('mbpoll', [...base, '-t', '4:float', '-B', '-r', '1211', '-1', '127.0.0.1']);
  t.match(flt.stdout, /\[1211\]:\s+12(\.0+)?\b/, 'float32 big-endian 0x41400000 is 12.0');
  const inp = await run('mbpoll', [...base, '-t', '3', '-r', '6', '-c', '2', '-1', '127.0.0.1']);
  t.same(mbpollValues(inp.stdout), { 6: 300, 7: 400 });
  await run('mbpoll', [...base, '-t', '4', '-r', '262', '127.0.0.1', '150']);
  await run('mbpoll', [...base, '-t', '4', '-r', '1211', '127.0.0.1', '16768', '0']);
  await peer.sync();
  t.same(
    peer.writes().map((w) => [w.fc, w.address, w.values]),
    [
      [6, 261, [150]],
      [16, 1210, [16768, 0]],
    ],
    'mbpoll writes land one below its reference (single value by FC06, several by FC16)',
  );

  const rtu = await startPymodbusRtuPeer({ baudRate: 57600, stopBits: 2, units: { 50: { holding: { 0x0302: [0x4150, 0] } } } });
  t.teardown(() => rtu.stop());
  const rbase = ['-m', 'rtu', '-b', '57600', '-P', 'none', '-s', '2', '-a', '50', '-o', '1'];
  const r = await run('mbpoll', [...rbase, '-t', '4', '-r', String(0x0302 + 1), '-c', '2', '-1', rtu.path]);
  t.same(mbpollValues(r.stdout), { [0x0303]: 0x4150, [0x0304]: 0 }, 'RTU read through the pty');
  await run('mbpoll', [...rbase, '-t', '4', '-r', String(0x0d00 + 1), rtu.path, String(0x55aa)]);
  await rtu.sync();
  t.same(
    rtu.writes().map((w) => [w.unit, w.address, w.values]),
    [[50, 0x0d00, [0x55aa]]],
    'RTU write through the pty',
  );
});

t.test('stop() leaves no process behind', needs('pymodbus', 'socat'), async (t) => {
  const tcp = await startPymodbusPeer({ units: { 1: {} } });
  const rtu = await startPymodbusRtuPeer({ units: { 1: {} } });
  const pids = [tcp.pid, rtu.pid, rtu.pty.proc.pid ?? -1];
  await tcp.stop();
  await rtu.stop();
  for (const pid of pids) {
    t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `pid ${pid} gone`);
  }
});
