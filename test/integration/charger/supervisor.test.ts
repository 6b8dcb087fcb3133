// Supervisors over loopback TCP against the simulator, on real (short) time: two chargers
// on one line, verification by the simulated car, a reboot healed within one keep-alive
// period, and the charger's own fallback once the supervisor stops feeding it.
import t from 'tap';
import pino from 'pino';
import { BusRegistry } from '../../../drivers/charger/bus.js';
import { createCharger } from '../../../drivers/charger/profile-driver.js';
import { loadProfiles } from '../../../drivers/charger/profile.js';
import { ChargerSimulator } from '../../../drivers/charger/simulator.js';
import { ChargerSupervisor } from '../../../drivers/charger/supervisor.js';
import type { ChargerConfig } from '../../../config/types.js';

const logger = pino({ level: 'silent' });
const profiles = loadProfiles();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

t.test('two chargers on one line: written, verified, healed after a reboot, fall back when left alone', async (t) => {
  const sim = await ChargerSimulator.start({
    units: [
      { unitId: 1, profile: profiles.get('alfen-eve')!, carDelayMs: 150, safeCurrentA: 6, timeoutS: 0.8 },
      { unitId: 2, profile: profiles.get('heidelberg-energy-control')!, carDelayMs: 150 },
    ],
  });
  const reg = new BusRegistry(logger);
  const events: Array<{ at: number; kind: string; id: string; data: Record<string, unknown> }> = [];
  const ep = { type: 'tcp' as const, host: sim.host, port: sim.port };
  const common = { minCurrentA: 6, maxCurrentA: 16, allowPause: false, timeoutMs: 300, transport: ep };
  const cfgs: ChargerConfig[] = [
    { id: 'alfen', profile: 'alfen-eve', unitId: 1, failsafeTimeoutS: 0.8, ...common },
    { id: 'heid', profile: 'heidelberg-energy-control', unitId: 2, failsafeCurrentA: 6, failsafeTimeoutS: 0.8, ...common },
  ];
  const sups = cfgs.map(
    (c) =>
      new ChargerSupervisor(createCharger(c, profiles.get(c.profile)!, reg.acquire(ep), logger), {
        logger,
        verification: { windowMs: 1000, pollMs: 50, toleranceA: 1, tolerancePct: 10, retries: 1 },
        onEvent: (kind, id, data) => events.push({ at: Date.now(), kind, id, data }),
      }),
  );
  t.teardown(async () => {
    await Promise.all(sups.map((s) => s.close()));
    await reg.closeAll();
    await sim.close();
  });
  t.equal(reg.size, 1, 'one bus for both');
  for (const s of sups) s.start();
  await until('both connected', () => sups.every((s) => s.state().connected));
  t.equal(sups[0]!.state().keepAlivePeriodMs, 200, 'Alfen: 0.8 s validity / 4');
  t.equal(sups[1]!.state().keepAlivePeriodMs, 200, 'Heidelberg: 800 ms watchdog / 4');
  const hf = events.find((e) => e.kind === 'charger.failsafe' && e.id === 'heid')!;
  t.same(hf.data.readBack, { currentA: 6, timeoutS: 0.8 }, 'Heidelberg failsafe read back');

  await Promise.all([sups[0]!.setLimit(16, 'normal'), sups[1]!.setLimit(16, 'normal')]);
  await sleep(300);
  await Promise.all([sups[0]!.setLimit(8, 'switch 1 open'), sups[1]!.setLimit(7, 'switch 1 open')]);
  await until('both verified at the reduced limit', () =>
    ['alfen', 'heid'].every((id) => events.some((e) => e.kind === 'charger.verified' && e.id === id && e.data.limitA !== 16)),
  );
  for (const id of ['alfen', 'heid']) {
    const v = events.find((e) => e.kind === 'charger.verified' && e.id === id && e.data.limitA !== 16)!;
    t.ok((v.data.confirmMs as number) >= 150, `${id} confirmed after the car's 150 ms: ${v.data.confirmMs} ms`);
  }
  t.equal(sim.unit(1).setpointA, 8);
  t.equal(sim.unit(2).setpointA, 7);
  t.ok(sim.unit(2).measuredA() <= 7, 'the Heidelberg car follows');

  // Both keep-alives hold the chargers out of their failsafe for several timeouts.
  await sleep(1200);
  t.equal(sim.unit(1).fallbackSinceMs, null, 'Alfen kept alive (setpoint rewrites)');
  t.equal(sim.unit(2).fallbackSinceMs, null, 'Heidelberg kept alive (polls)');

  const rebootAt = Date.now();
  sim.unit(2).reboot();
  t.equal(sim.unit(2).setpointA, 0, '261 lost');
  await until('healed', () => events.some((e) => e.kind === 'charger.healed' && e.id === 'heid'));
  const heal = events.find((e) => e.kind === 'charger.healed' && e.id === 'heid')!;
  t.equal(heal.data.foundA, 0);
  t.ok(heal.at - rebootAt <= 200 + 150, `healed ${heal.at - rebootAt} ms after the reboot (period 200 ms, plus the bus round trips)`);
  t.equal(sim.unit(2).setpointA, 7);
  // The Alfen starts on its safe current after a reboot; the read-back sees it before the
  // setpoint rewrite (its keep-alive) would mend it unrecorded.
  sim.unit(1).reboot();
  await until('Alfen healed', () => events.some((e) => e.kind === 'charger.healed' && e.id === 'alfen'));
  t.equal(events.find((e) => e.kind === 'charger.healed' && e.id === 'alfen')!.data.foundA, 6);
  t.equal(sim.unit(1).setpointA, 8);

  // Stop feeding them: each charger falls back to its failsafe current on its own.
  await Promise.all(sups.map((s) => s.close()));
  const stoppedAt = Date.now();
  await sleep(1100);
  for (const u of [1, 2]) {
    const unit = sim.unit(u);
    t.not(unit.fallbackSinceMs, null, `unit ${u} fell back`);
    t.ok(unit.fallbackSinceMs! - stoppedAt <= 800, `unit ${u} within its 0.8 s timeout`);
    t.equal(unit.effectiveLimitA(), 6, `unit ${u} on the 6 A failsafe current`);
  }
});

t.test('a charger that is not there at start is retried and then gets its limit', async (t) => {
  const probe = await ChargerSimulator.start({ units: [] });
  const port = probe.port;
  await probe.close();
  const reg = new BusRegistry(logger, { backoff: { initialMs: 50, maxMs: 100 } });
  const ep = { type: 'tcp' as const, host: '127.0.0.1', port };
  const cfg: ChargerConfig = { id: 'late', profile: 'go-e', unitId: 1, minCurrentA: 6, maxCurrentA: 16, allowPause: false, timeoutMs: 300, transport: ep };
  const kinds: string[] = [];
  const sup = new ChargerSupervisor(createCharger(cfg, profiles.get('go-e')!, reg.acquire(ep), logger), {
    logger,
    reconnect: { initialMs: 100, maxMs: 200 },
    readBackPeriodMs: 100,
    verification: { windowMs: 500, pollMs: 50, toleranceA: 1, tolerancePct: 10, retries: 0 },
    onEvent: (k) => kinds.push(k),
  });
  let sim: ChargerSimulator | null = null;
  t.teardown(async () => {
    await sup.close();
    await reg.closeAll();
    await sim?.close();
  });
  sup.start();
  await sup.setLimit(10, 'asked while the charger is away');
  await until('two failed connects', () => kinds.filter((k) => k === 'charger.connect-failed').length >= 2);
  t.equal(sup.state().connected, false);
  t.match(sup.state().lastError, /cannot connect/);
  sim = await ChargerSimulator.start({ port, units: [{ unitId: 1, profile: profiles.get('go-e')!, carDelayMs: 0 }] });
  await until('connected', () => sup.state().connected);
  await until('written and read back', () => sup.state().appliedLimitA === 10);
  t.equal(sim.unit(1).setpointA, 10);
  // go-e forgets 299 on reboot (back to its EEPROM value): the periodic read-back heals it.
  sim.unit(1).reboot();
  t.equal(sim.unit(1).setpointA, 32, 'after reboot the simulator assumes the worst: the maximum');
  await until('healed', () => kinds.includes('charger.healed'));
  t.equal(sim.unit(1).setpointA, 10);
});
