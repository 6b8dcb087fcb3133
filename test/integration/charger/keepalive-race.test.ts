// A setpoint rewrite for keep-alive must never land after a newer limit and undo it: a
// rewrite that captured the old setpoint while a DNO reduction was on the wire would put the
// charger back at full current until the next read-back.
import t from 'tap';
import pino from 'pino';
import { BusRegistry } from '../../../drivers/charger/bus.js';
import { createCharger } from '../../../drivers/charger/profile-driver.js';
import { loadProfiles } from '../../../drivers/charger/profile.js';
import { ChargerSimulator } from '../../../drivers/charger/simulator.js';

const logger = pino({ level: 'silent' });
const alfen = loadProfiles().get('alfen-eve')!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('Alfen keep-alive rewrite while a reduction is in flight keeps the reduction', async (t) => {
  const sim = await ChargerSimulator.start({ units: [{ unitId: 1, profile: alfen, safeCurrentA: 6, timeoutS: 60 }] });
  const reg = new BusRegistry(logger);
  t.teardown(async () => {
    await reg.closeAll();
    await sim.close();
  });
  const transport = { type: 'tcp' as const, host: sim.host, port: sim.port };
  const c = createCharger(
    { id: 'alfen', profile: 'alfen-eve', transport, unitId: 1, minCurrentA: 6, maxCurrentA: 32, allowPause: false, timeoutMs: 1000 },
    alfen,
    reg.acquire(transport),
    logger,
  );
  await c.connect();
  t.equal((await c.setCurrentLimitA(32)).ok, true);

  sim.unit(1).fault = { kind: 'slow', delayMs: 150 };
  const reduction = c.setCurrentLimitA(6);
  await sleep(30); // the reduction is on the wire now
  const keepAlive = c.keepAlive();
  await Promise.all([reduction, keepAlive]);
  sim.unit(1).fault = null;

  const setpointWrites = sim.requests.filter((r) => r.fc === 16 && r.address === 1210).map((r) => r.values);
  t.same(setpointWrites.at(-1), [0x40c0, 0x0000], 'the last setpoint written is 6.0 A');
  t.equal(sim.unit(1).setpointA, 6, 'the charger holds the reduction');
});
