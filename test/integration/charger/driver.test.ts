// The real stack over loopback TCP: modbus-serial client -> bus -> profile driver -> the
// simulator running a profile's register map. Alfen (float32 BE at 1210, FC16) and
// Heidelberg (uint16 0.1 A at 261, FC06), quirks, faults, two chargers on one line.
import t from 'tap';
import pino from 'pino';
import { BusRegistry } from '../../../drivers/charger/bus.js';
import { createCharger } from '../../../drivers/charger/profile-driver.js';
import { loadProfiles, resolveProfile } from '../../../drivers/charger/profile.js';
import { ChargerSimulator } from '../../../drivers/charger/simulator.js';
import type { ChargerConfig } from '../../../config/types.js';

const logger = pino({ level: 'silent' });
const profiles = loadProfiles();
const P = (id: string) => profiles.get(id)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cfg(sim: ChargerSimulator, over: Partial<ChargerConfig>): ChargerConfig {
  return {
    id: 'c',
    profile: 'x',
    transport: { type: 'tcp', host: sim.host, port: sim.port },
    unitId: 1,
    minCurrentA: 6,
    maxCurrentA: 16,
    allowPause: true,
    timeoutMs: 300,
    ...over,
  };
}

t.test('Alfen: float32 BE setpoint at 1210 by FC16, ASCII state, safe current read back', async (t) => {
  const sim = await ChargerSimulator.start({ units: [{ unitId: 1, profile: P('alfen-eve'), carDelayMs: 100, safeCurrentA: 6, timeoutS: 60 }] });
  const reg = new BusRegistry(logger);
  t.teardown(async () => {
    await reg.closeAll();
    await sim.close();
  });
  const c = createCharger(
    cfg(sim, { id: 'alfen', profile: 'alfen-eve', failsafeTimeoutS: 60 }),
    P('alfen-eve'),
    reg.acquire({ type: 'tcp', host: sim.host, port: sim.port }),
    logger,
  );
  await c.connect();
  t.same(c.failsafe?.readBack, { currentA: 6 }, 'safe current read from 1212');
  t.equal(c.failsafe?.timeoutSource, 'config');
  t.equal(c.keepAlivePeriodMs, 15_000, 'a quarter of the 60 s validity time');
  const out = await c.setCurrentLimitA(10.5);
  t.equal(out.ok, true, out.error ?? 'ok');
  t.equal(out.readBackA, 10.5);
  const w = sim.requests.filter((r) => r.fc === 16 && r.address === 1210);
  t.same(w.at(-1)?.values, [0x4128, 0x0000], '10.5 as float32 high word first');
  t.equal(sim.unit(1).setpointA, 10.5);
  await sleep(150);
  const r = await c.read();
  t.equal(r.vehicleState, 'C');
  t.equal(r.charging, true, 'C2 means charging');
  t.ok(r.currentsA && Math.abs(r.currentsA[0]! - 9.975) < 1e-3, `car draws 95 %: ${r.currentsA?.[0]}`);
  t.equal(r.appliedLimitA, 10.5);
  const pause = await c.setCurrentLimitA(0);
  t.equal(pause.ok, true, 'pause by 0');
  t.equal((await c.setCurrentLimitA(17)).error, 'limit 17 A above the maximum 16 A');
  t.equal((await c.setCurrentLimitA(4)).ok, false, 'below the 6 A floor');
  sim.unit(1).reboot();
  t.same(await c.readLimitA(), { valueA: 6, kind: 'setpoint' }, 'after a reboot the Alfen starts on its safe current');
});

t.test('Heidelberg: 0.1 A at 261 by FC06, failsafe 262/257 written and read back, floor', async (t) => {
  const sim = await ChargerSimulator.start({ units: [{ unitId: 3, profile: P('heidelberg-energy-control'), carDelayMs: 50 }] });
  const reg = new BusRegistry(logger);
  t.teardown(async () => {
    await reg.closeAll();
    await sim.close();
  });
  const c = createCharger(
    cfg(sim, { id: 'heid', profile: 'heidelberg-energy-control', unitId: 3, failsafeCurrentA: 6, failsafeTimeoutS: 15 }),
    P('heidelberg-energy-control'),
    reg.acquire({ type: 'tcp', host: sim.host, port: sim.port }),
    logger,
  );
  await c.connect();
  t.same(c.failsafe?.wrote, { currentA: 6, timeoutS: 15 });
  t.same(c.failsafe?.readBack, { currentA: 6, timeoutS: 15 });
  t.equal(c.failsafe?.ok, true);
  const writes = sim.requests.filter((r) => r.fc === 6).map((r) => [r.address, r.values?.[0]]);
  t.same(
    writes,
    [
      [258, 4],
      [262, 60],
      [257, 15000],
    ],
    'standby off, failsafe 6.0 A, watchdog 15000 ms',
  );
  t.equal(c.keepAlivePeriodMs, 3750, 'timeout/4');
  const out = await c.setCurrentLimitA(6.09);
  t.equal(out.ok, true);
  t.equal(out.readBackA, 6, 'floored to 60 (6.0 A), never up to 6.1');
  t.same(sim.requests.at(-2)?.values, [60]);
  await c.setCurrentLimitA(16);
  await sleep(80);
  const r = await c.read();
  t.equal(r.vehicleState, 'C');
  t.same(r.currentsA, [15.2, 15.2, 15.2]);
  t.equal(r.powerW, 15.2 * 230 * 3);
  sim.unit(3).reboot();
  t.same(await c.readLimitA(), { valueA: 0, kind: 'setpoint' }, '261 resets to 0 on power-on');
});

t.test('function-code quirks and split reads reach the wire as the profile says', async (t) => {
  const sim = await ChargerSimulator.start({
    units: [
      { unitId: 1, profile: P('go-e'), carDelayMs: 0 },
      { unitId: 2, profile: P('mennekes-hcc3'), carDelayMs: 0 },
      { unitId: 3, profile: P('keba-p30'), carDelayMs: 0 },
    ],
  });
  const reg = new BusRegistry(logger);
  t.teardown(async () => {
    await reg.closeAll();
    await sim.close();
  });
  const ep = { type: 'tcp' as const, host: sim.host, port: sim.port };
  const goe = createCharger(cfg(sim, { id: 'goe', unitId: 1, allowPause: false }), P('go-e'), reg.acquire(ep), logger);
  const hcc3 = createCharger(cfg(sim, { id: 'hcc3', unitId: 2 }), P('mennekes-hcc3'), reg.acquire(ep), logger);
  const keba = createCharger(
    cfg(sim, { id: 'keba', unitId: 3, allowPause: false, failsafeCurrentA: 6, failsafeTimeoutS: 30 }),
    P('keba-p30'),
    reg.acquire(ep),
    logger,
  );
  t.equal(reg.size, 1, 'three chargers, one TCP endpoint, one bus');
  await Promise.all([goe.connect(), hcc3.connect(), keba.connect()]);
  const [a, b, k] = await Promise.all([goe.setCurrentLimitA(8), hcc3.setCurrentLimitA(9), keba.setCurrentLimitA(10)]);
  t.ok(a.ok && b.ok && k.ok, [a.error, b.error, k.error].join(' '));
  const wr = (unit: number) => sim.requests.filter((r) => r.unitId === unit && (r.fc === 6 || r.fc === 16)).map((r) => `${r.fc}:${r.address}`);
  t.same(wr(1), ['16:299'], 'go-e: FC16 even for one register');
  t.same(wr(2), ['6:1024'], 'HCC3: FC06');
  t.same(wr(3), ['6:5014', '6:5016', '6:5018', '6:5004'], 'KEBA: FC06 only; the re-enable write (5014) at connect');
  t.same(keba.failsafe?.readBack, { currentA: 6, timeoutS: 30 }, 'KEBA read-back from 1600/1602');
  t.equal(k.readBackA, 10, 'KEBA applied limit 1100 in mA');
  const r = await keba.read();
  t.ok(
    sim.requests.filter((x) => x.unitId === 3 && (x.fc === 3 || x.fc === 4)).every((x) => x.length <= 2),
    'KEBA reads at most 2 registers',
  );
  t.equal(r.vehicleState, 'C');
  t.equal((await goe.setCurrentLimitA(0)).error, 'this charger cannot be paused over Modbus');
});

t.test('faults: exception replies, a silent unit backs off, the other charger carries on', async (t) => {
  const sim = await ChargerSimulator.start({
    units: [
      { unitId: 1, profile: P('heidelberg-energy-control'), carDelayMs: 0 },
      { unitId: 2, profile: P('heidelberg-energy-control'), carDelayMs: 0 },
    ],
  });
  const reg = new BusRegistry(logger);
  t.teardown(async () => {
    await reg.closeAll();
    await sim.close();
  });
  const ep = { type: 'tcp' as const, host: sim.host, port: sim.port };
  const c1 = createCharger(cfg(sim, { id: 'a', unitId: 1, timeoutMs: 200 }), P('heidelberg-energy-control'), reg.acquire(ep), logger);
  const c2 = createCharger(cfg(sim, { id: 'b', unitId: 2, timeoutMs: 200 }), P('heidelberg-energy-control'), reg.acquire(ep), logger);
  await c1.connect();
  await c2.connect();
  sim.unit(2).fault = { kind: 'exception', code: 4 };
  const ex = await c2.setCurrentLimitA(10);
  t.equal(ex.ok, false);
  t.match(ex.error, /exception 4|Slave device failure/i);
  sim.unit(2).fault = { kind: 'no-reply' };
  const results = await Promise.all([c2.setCurrentLimitA(10), c1.setCurrentLimitA(11), c2.setCurrentLimitA(12), c1.setCurrentLimitA(13)]);
  t.match(results[0]!.error, /timed out/i, 'the silent unit times out once');
  t.match(results[2]!.error, /backing off/, 'then fails fast');
  t.ok(results[1]!.ok && results[3]!.ok, 'the other charger is written');
  t.equal(sim.unit(1).setpointA, 13);
  sim.unit(2).fault = { kind: 'slow', delayMs: 50 };
  await new Promise((r) => setTimeout(r, 1100));
  const slow = await c2.setCurrentLimitA(9);
  t.equal(slow.ok, true, 'a slow reply inside the timeout is fine');
  t.ok(slow.durationMs >= 50, `took ${slow.durationMs} ms`);
});

t.test('a register the profile forbids is never read (Mennekes 4You drops the connection on 730)', async (t) => {
  const cfgBase = {
    id: 'b',
    profile: 'bender-cc612',
    transport: { type: 'tcp' as const, host: '127.0.0.1', port: 1 },
    minCurrentA: 6,
    maxCurrentA: 16,
    allowPause: false,
    timeoutMs: 300,
  };
  const profile = resolveProfile({ ...cfgBase, registers: { status: { register: { address: 730 } } } }, profiles);
  const sim = await ChargerSimulator.start({ units: [{ unitId: 255, profile, carDelayMs: 0 }] });
  const reg = new BusRegistry(logger);
  t.teardown(async () => {
    await reg.closeAll();
    await sim.close();
  });
  const ep = { type: 'tcp' as const, host: sim.host, port: sim.port };
  const c = createCharger({ ...cfgBase, transport: ep }, profile, reg.acquire(ep), logger);
  await c.connect();
  await t.rejects(c.read(), /register 730 must not be read on this charger/);
  t.notOk(
    sim.requests.some((r) => (r.fc === 3 || r.fc === 4) && r.address <= 730 && r.address + r.length > 730),
    'nothing reached 730',
  );
  t.ok((await c.setCurrentLimitA(10)).ok, 'the rest still works');
});

t.test('a failsafe value the charger cannot take is noted, and the charger still takes limits', async (t) => {
  const sim = await ChargerSimulator.start({ units: [{ unitId: 255, profile: P('keba-p30'), carDelayMs: 0 }] });
  const reg = new BusRegistry(logger);
  t.teardown(async () => {
    await reg.closeAll();
    await sim.close();
  });
  const ep = { type: 'tcp' as const, host: sim.host, port: sim.port };
  // 70 A is 70000 mA: more than KEBA's uint16 failsafe register holds.
  const c = createCharger(
    cfg(sim, { id: 'keba', unitId: 255, maxCurrentA: 32, failsafeCurrentA: 70, failsafeTimeoutS: 30 }),
    P('keba-p30'),
    reg.acquire(ep),
    logger,
  );
  await c.connect();
  t.equal(c.failsafe?.ok, false);
  t.match(c.failsafe?.notes.join('\n'), /failsafe current 70 A not written: 70 \(raw 70000\) out of uint16 range/);
  t.same(c.failsafe?.wrote, { timeoutS: 30 }, 'the timeout was still written');
  t.ok((await c.setCurrentLimitA(16)).ok);
});
