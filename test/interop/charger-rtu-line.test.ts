// Two chargers (units 1 and 2) on one RS-485 line, a socat pty, served by pymodbus, each with
// its own supervisor ticking on its own timer: the bus must put one request on the wire at a
// time. The peer answers every request after 30 ms; if two requests were ever in flight the
// second would reach the peer before the first was answered (and on a real line collide), so
// every gap between consecutive requests at the peer must be at least those 30 ms.
import t from 'tap';
import { BusRegistry } from '../../drivers/charger/bus.js';
import { createCharger } from '../../drivers/charger/profile-driver.js';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { ChargerSupervisor, type SupervisorEventKind } from '../../drivers/charger/supervisor.js';
import { needs } from '../helpers/peers.js';
import { startPymodbusRtuPeer } from '../helpers/pymodbus-peer.js';
import { seedFor } from './profile-checks.js';
import { ask, configFor, silentLogger, sleepMs, waitUntil, words } from './profile-rig.js';

const heidelberg = loadProfiles().get('heidelberg-energy-control')!;
const REPLY_DELAY_MS = 30;

t.test('two supervised chargers on one RTU line: requests serialized, inter-frame delay kept', needs('pymodbus', 'socat'), async (t) => {
  const rtu = heidelberg.transport.rtu!;
  const peer = await startPymodbusRtuPeer({ baudRate: rtu.baudRate, units: { 1: seedFor(heidelberg), 2: seedFor(heidelberg) } });
  const registry = new BusRegistry(silentLogger);
  const chargers = [1, 2].map((unitId) => {
    const config = configFor(heidelberg, peer, { id: `hd${unitId}`, unitId, failsafeTimeoutS: 1, timeoutMs: 1000 });
    return createCharger(config, heidelberg, registry.acquire(config.transport), silentLogger);
  });
  t.equal(registry.size, 1, 'one bus for the line');
  const events: Array<[string, SupervisorEventKind]> = [];
  const sups = chargers.map((c) => new ChargerSupervisor(c, { logger: silentLogger, onEvent: (kind, id) => events.push([id, kind]) }));
  t.teardown(async () => {
    await Promise.all(sups.map((s) => s.close()));
    await registry.closeAll();
    await peer.stop();
  });
  await peer.fault(1, { mode: 'delay', delayMs: REPLY_DELAY_MS });
  await peer.fault(2, { mode: 'delay', delayMs: REPLY_DELAY_MS });
  for (const s of sups) s.start();
  await Promise.all([sups[0]!.setLimit(10, 'line test'), sups[1]!.setLimit(13, 'line test')]);
  const [ten, thirteen] = words([ask(heidelberg.setpoint.register, 10, 'limit'), ask(heidelberg.setpoint.register, 13, 'limit')]);
  // Every request costs the 30 ms reply plus, when another waits, 100 ms of silence: connecting
  // both chargers takes a while. Then let both supervisors tick for another second.
  await waitUntil(() => sups.every((s) => s.state().appliedLimitA !== null) || undefined, 6000);
  await sleepMs(1000);
  await peer.sync();
  t.same(await peer.readRegisters(1, 'holding', 261, 1), ten, 'unit 1 holds 10 A');
  t.same(await peer.readRegisters(2, 'holding', 261, 1), thirteen, 'unit 2 holds 13 A');
  const errors = events.filter(([, k]) => k.endsWith('.error') || k === 'charger.disconnected' || k === 'charger.alarm');
  t.same(errors, [], 'no request of either charger failed');
  const reqs = peer.requests();
  const perUnit = [1, 2].map((u) => reqs.filter((q) => q.unit === u).length);
  t.ok(perUnit[0]! >= 5 && perUnit[1]! >= 5, `both chargers were busy on the line (${perUnit.join(' / ')} requests)`);
  t.ok(
    reqs.every((q) => q.fault === 'delay'),
    'every request reached the peer intact (no garbled frame, no unknown unit)',
  );
  const gaps = reqs.slice(1).map((q, i) => q.t - reqs[i]!.t);
  const minGap = Math.min(...gaps);
  t.ok(minGap >= REPLY_DELAY_MS - 1, `smallest gap between requests ${minGap.toFixed(1)} ms >= the ${REPLY_DELAY_MS} ms reply time: one request at a time`);
  const switches = reqs.slice(1).filter((q, i) => q.unit !== reqs[i]!.unit).length;
  t.ok(switches >= 4, `the line alternated between the units ${switches} times`);

  // Three requests queued at once: after each answer the next is waiting, so the bus keeps
  // the profile's inter-frame silence (Heidelberg: 100 ms) before sending it.
  await Promise.all(sups.map((s) => s.close()));
  await sleepMs(200);
  await peer.sync();
  const mark = peer.requests().length;
  const reads = await Promise.all([chargers[0]!.readLimitA(), chargers[1]!.readLimitA(), chargers[0]!.readLimitA()]);
  t.same(
    reads.map((r) => r?.valueA),
    [10, 13, 10],
    'three queued reads, each answered for its own unit',
  );
  await peer.sync();
  const burst = peer.requests().slice(mark);
  t.same(
    burst.map((q) => q.unit),
    [1, 2, 1],
    'in the order asked',
  );
  const interFrameMs = heidelberg.transport.interFrameDelayMs;
  const burstGaps = burst.slice(1).map((q, i) => q.t - burst[i]!.t);
  t.ok(
    burstGaps.every((g) => g >= REPLY_DELAY_MS + interFrameMs - 1),
    `gaps ${burstGaps.map((g) => g.toFixed(1)).join(', ')} ms >= reply ${REPLY_DELAY_MS} + silence ${interFrameMs} ms`,
  );
});
