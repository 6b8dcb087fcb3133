// Two Heidelberg chargers on one RS-485 line (a socat pty pair), served by Debian's
// python3-pymodbus, a Modbus server we did not write. The registry gives both one serial
// client; when one unit goes silent, the other is still written and read.
import t from 'tap';
import pino from 'pino';
import { needs } from '../../helpers/peers.js';
import { startPymodbusRtuPeer } from '../../helpers/pymodbus-peer.js';
import { BusRegistry } from '../../../drivers/charger/bus.js';
import { createCharger } from '../../../drivers/charger/profile-driver.js';
import { loadProfiles } from '../../../drivers/charger/profile.js';
import type { ChargerConfig, RtuTransport } from '../../../config/types.js';

const logger = pino({ level: 'silent' });
const heidelberg = loadProfiles().get('heidelberg-energy-control')!;

t.test('two chargers, one RTU line, one silent unit', needs('pymodbus', 'socat'), async (t) => {
  const unitRegs = { holding: { 257: 15000, 258: 0, 261: 0, 262: 0 }, input: { 5: 7, 6: [160, 160, 160], 14: 11000 } };
  const peer = await startPymodbusRtuPeer({ baudRate: 19200, units: { 1: unitRegs, 2: unitRegs } });
  const reg = new BusRegistry(logger, { backoff: { initialMs: 2000, maxMs: 2000 } });
  t.teardown(async () => {
    await reg.closeAll();
    await peer.stop();
  });
  const transport: RtuTransport = { type: 'rtu', path: peer.path, serial: { baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 } };
  const cfg = (id: string, unitId: number): ChargerConfig => ({
    id,
    profile: heidelberg.id,
    transport,
    unitId,
    minCurrentA: 6,
    maxCurrentA: 16,
    allowPause: false,
    timeoutMs: 250,
    failsafeCurrentA: 6,
    failsafeTimeoutS: 15,
  });
  const a = createCharger(cfg('a', 1), heidelberg, reg.acquire(transport), logger);
  const b = createCharger(cfg('b', 2), heidelberg, reg.acquire(transport), logger);
  t.equal(reg.size, 1, 'one serial client for the line');
  await Promise.all([a.connect(), b.connect()]);
  t.same(a.failsafe?.readBack, { currentA: 6, timeoutS: 15 });
  t.same(b.failsafe?.readBack, { currentA: 6, timeoutS: 15 });

  await peer.fault(2, { mode: 'noreply' });
  const before = (await peer.sync(), peer.requests().length);
  const results = await Promise.all([
    b.setCurrentLimitA(10),
    a.setCurrentLimitA(11),
    b.setCurrentLimitA(12),
    a.setCurrentLimitA(13),
    b.read().catch((e: Error) => e),
  ]);
  t.match(results[0]!.error, /timed out/i, 'the silent unit costs one timeout');
  t.match(results[2]!.error, /backing off/, 'then its requests fail fast');
  t.ok(results[4] instanceof Error, 'reads of the silent unit fail too');
  t.ok(results[1]!.ok && results[3]!.ok, 'the other charger is written and read back');
  t.equal(results[3]!.readBackA, 13);
  await peer.sync();
  const during = peer.requests().slice(before);
  t.equal(during.filter((r) => r.unit === 2).length, 1, 'one request reached the silent unit');
  t.same(
    peer
      .writes()
      .filter((w) => w.unit === 1 && w.address === 261)
      .map((w) => w.values[0]),
    [110, 130],
    'unit 1 got 11.0 A then 13.0 A',
  );
  const r = await a.read();
  t.same([r.vehicleState, r.currentsA, r.powerW], ['C', [16, 16, 16], 11000], 'unit 1 status and measurements over RTU');
});
