// A DNO reduction whose write request is lost reaches the charger on the supervisor's own
// retry, as soon as the bus takes a request for the unit again, not one keep-alive period
// later. Seen from the charger's side: the pymodbus peer drops the first write of 6 A and
// records when the second arrives. Alfen (float32 setpoint, rewrite-setpoint keep-alive, a
// 60 s validity time: a 15 s period) as in the scenario run that found it; the bus backs the
// silent unit off with its default schedule (1 s first).
import t from 'tap';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { ChargerSupervisor } from '../../drivers/charger/supervisor.js';
import { needs } from '../helpers/peers.js';
import { seedFor } from './profile-checks.js';
import { ask, rigFor, silentLogger, timeoutWithin, waitUntil, words } from './profile-rig.js';

const alfen = loadProfiles().get('alfen-eve')!;

t.test('alfen-eve: a reduction whose write is lost arrives on the retry, well inside the keep-alive period', needs('pymodbus'), async (t) => {
  const rig = await rigFor(alfen, seedFor(alfen), { config: { timeoutMs: 300, failsafeTimeoutS: timeoutWithin(alfen, 60) } });
  const events: Array<{ at: number; kind: string; data: Record<string, unknown> }> = [];
  const sup = new ChargerSupervisor(rig.charger, {
    logger: silentLogger,
    onEvent: (kind, _id, data) => events.push({ at: Date.now(), kind, data: data as Record<string, unknown> }),
  });
  t.teardown(async () => {
    await sup.close();
    await rig.close();
  });
  const { peer, unit } = rig;
  const sp = alfen.setpoint.register;
  const [full, reduced] = words([ask(sp, 32, 'limit'), ask(sp, 6, 'limit')]);
  sup.start();
  await sup.setLimit(32, 'normal');
  t.ok(await waitUntil(() => (sup.state().appliedLimitA === 32 ? true : undefined), 10_000), 'connected, 32 A applied');
  t.same(await peer.readRegisters(unit, 'holding', sp.address, full!.length), full, 'the charger holds 32 A');
  const periodMs = sup.state().keepAlivePeriodMs!;
  t.equal(periodMs, 15_000, 'keep-alive period: 0.25 x 60 s');

  await peer.sync();
  const mark = peer.writes().length;
  const requestMark = peer.requests().length;
  await peer.fault(unit, { mode: 'noreply', count: 1, fcs: [alfen.setpoint.functionCode] });
  await sup.setLimit(6, 'switch 2 open, cause dno');
  const failed = events.find((e) => e.kind === 'charger.write' && e.data['limitA'] === 6 && e.data['ok'] === false);
  t.ok(failed, `the 6 A write failed: ${String(failed?.data['error'])}`);

  const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  const arrived = await peer.waitForWrite((w) => w.unit === unit && w.address === sp.address && same(w.values, reduced!), periodMs, mark);
  const ok = await waitUntil(() => events.find((e) => e.kind === 'charger.write' && e.data['limitA'] === 6 && e.data['ok'] === true), periodMs);
  t.ok(ok, 'the retry was acknowledged');
  t.equal(ok?.data['reason'], 'retry', 'recorded as a retry');
  t.same(await peer.readRegisters(unit, 'holding', sp.address, reduced!.length), reduced, 'the charger holds 6 A');
  const afterFailureMs = Math.round(arrived.t - failed!.at);
  t.comment(`6 A reached the charger ${afterFailureMs} ms after the failed write (keep-alive period ${periodMs} ms)`);
  // The bus refuses the unit for its first backoff (1 s) after the timeout; the retry waits
  // for that, then goes. The keep-alive rewrite would have come up to 15 s later.
  t.ok(afterFailureMs < periodMs / 3, `${afterFailureMs} ms: well before the keep-alive period`);
  await peer.sync();
  const setpointRequests = peer
    .requests()
    .slice(requestMark)
    .filter((r) => r.fc === alfen.setpoint.functionCode && r.address === sp.address)
    .map((r) => r.fault ?? 'served');
  t.same(setpointRequests, ['noreply', 'served'], 'the lost request and one retry: no flood');
  // The failed write said how long the bus would refuse the unit: no retry was wasted on it.
  const of6 = events.filter((e) => e.kind === 'charger.write' && e.data['limitA'] === 6).map((e) => `${String(e.data['ok'])} ${String(e.data['reason'])}`);
  t.same(of6, ['false change', 'true retry'], 'no retry refused by the bus backoff');
});
