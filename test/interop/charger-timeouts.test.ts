// No reply, backoff, replies later than the timeout, refused connections, a charger that
// goes away and comes back: the bus is generic, so one TCP and one RTU profile stand for all.
import t from 'tap';
import type { ChargerConfig } from '../../config/types.js';
import { BusRegistry } from '../../drivers/charger/bus.js';
import { createCharger } from '../../drivers/charger/profile-driver.js';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { ChargerSupervisor, type SupervisorEventKind } from '../../drivers/charger/supervisor.js';
import { needs } from '../helpers/peers.js';
import { seedFor } from './profile-checks.js';
import { ask, busError, freePort, rigFor, silentLogger, sleepMs, transportOf, words } from './profile-rig.js';

const profiles = loadProfiles();
const vestel = profiles.get('vestel-evc04')!;
const heidelberg = profiles.get('heidelberg-energy-control')!;
const backoff = { initialMs: 150, maxMs: 300 };

for (const profile of [vestel, heidelberg]) {
  const kind = transportOf(profile);
  const peers = kind === 'tcp' ? needs('pymodbus') : needs('pymodbus', 'socat');

  t.test(`${profile.id} (${kind}): no reply, backoff, late replies`, peers, async (t) => {
    const rig = await rigFor(profile, seedFor(profile), { backoff, config: { timeoutMs: 200 } });
    t.teardown(() => rig.close());
    const { peer, charger, unit } = rig;
    await charger.connect();
    const sp = profile.setpoint.register;

    await peer.fault(unit, { mode: 'noreply', count: 1 });
    const lost = await charger.setCurrentLimitA(10);
    t.equal(lost.ok, false, 'no reply: not ok');
    t.match(lost.error, /timed out/i, `error: ${lost.error}`);
    const fast = await charger.setCurrentLimitA(10);
    t.equal(fast.ok, false, 'right after a timeout the bus backs the unit off');
    t.match(fast.error, /backing off/, `error: ${fast.error}`);
    await sleepMs(backoff.initialMs + 20);
    const back = await charger.setCurrentLimitA(10);
    t.equal(back.ok, true, `after the backoff the write goes through${back.error ? ` (${back.error})` : ''}`);

    // A reply that arrives after the timeout must not be taken as the answer to a later request.
    const st = profile.status.register;
    const keys = Object.keys(profile.status.map);
    const aKey = keys.find((k) => profile.status.map[k] === 'A')!;
    const bKey = keys.find((k) => profile.status.map[k] === 'B')!;
    const [aRegs, bRegs] = words([
      { type: 'uint16', value: Number(aKey), mode: 'exact' },
      { type: 'uint16', value: Number(bKey), mode: 'exact' },
    ]);
    await peer.setRegisters(unit, st.table, st.address, aRegs!);
    await peer.fault(unit, { mode: 'delay', delayMs: 450, count: 1 });
    const late = await charger.read().then(
      () => null,
      (e: unknown) => busError(e),
    );
    t.equal(late?.code, 'timeout', 'a reply later than the timeout is a timeout');
    await peer.setRegisters(unit, st.table, st.address, bRegs!);
    await sleepMs(500); // the late reply (state A) is now on the wire; the backoff is over
    const r = await charger.read();
    t.equal(r.vehicleState, 'B', 'the next read returns the current state, not the late reply');
    t.ok((await charger.setCurrentLimitA(13)).ok, 'writes work after a late reply');
    const [thirteen] = words([ask(sp, 13, 'limit')]);
    t.same(await peer.readRegisters(unit, 'holding', sp.address, 1), thirteen);
  });
}

t.test('connection refused and a charger that goes away and comes back', needs('pymodbus'), async (t) => {
  const port = await freePort();
  const registry = new BusRegistry(silentLogger, { backoff });
  t.teardown(() => registry.closeAll());
  const config: ChargerConfig = {
    id: 'nowhere',
    profile: vestel.id,
    transport: { type: 'tcp', host: '127.0.0.1', port },
    minCurrentA: 6,
    maxCurrentA: 32,
    allowPause: true,
    timeoutMs: 300,
    failsafeCurrentA: 6,
    failsafeTimeoutS: 30,
  };
  const nowhere = { charger: createCharger(config, vestel, registry.acquire(config.transport), silentLogger) };
  const err = await nowhere.charger.connect().then(
    () => null,
    (e: unknown) => busError(e),
  );
  t.equal(err?.code, 'disconnected', 'connect to a closed port: BusError disconnected');
  t.match(err?.message, /ECONNREFUSED|cannot connect/, `message: ${err?.message}`);
  const out = await nowhere.charger.setCurrentLimitA(10);
  t.equal(out.ok, false, 'a write to an absent charger is a failed outcome, not a throw');

  const events: SupervisorEventKind[] = [];
  const sup = new ChargerSupervisor(nowhere.charger, { logger: silentLogger, reconnect: { initialMs: 50, maxMs: 100 }, onEvent: (k) => events.push(k) });
  sup.start();
  await sleepMs(400);
  await sup.close();
  t.ok(events.filter((k) => k === 'charger.connect-failed').length >= 2, `supervisor keeps retrying (${events.length} connect-failed events)`);
  t.equal(sup.state().connected, false);

  const rig = await rigFor(vestel, seedFor(vestel), { backoff });
  t.teardown(() => rig.close());
  await rig.charger.connect();
  t.ok((await rig.charger.setCurrentLimitA(10)).ok, 'connected: 10 A');
  await rig.peer.reboot({ downMs: 500 });
  const down = await rig.charger.setCurrentLimitA(11);
  t.equal(down.ok, false, `while the charger is down: not ok (${down.error})`);
  await rig.peer.waitForEvent((e) => e.event === 'up', 2000);
  await sleepMs(backoff.maxMs + 50);
  const up = await rig.charger.setCurrentLimitA(11);
  t.equal(up.ok, true, `the bus reconnects by itself once the charger is back${up.error ? ` (${up.error})` : ''}`);
  t.same(await rig.peer.readRegisters(rig.unit, 'holding', 5004, 1), [11]);
});
