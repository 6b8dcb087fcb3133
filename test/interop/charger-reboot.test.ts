// A charger reboot (power cut, firmware update) resets its setpoint: the supervisor must
// write the limit again. The peer's reboot restores every register to its initial value and,
// on TCP, drops the connections.
import t from 'tap';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { ChargerSupervisor, type SupervisorEventKind } from '../../drivers/charger/supervisor.js';
import { needs } from '../helpers/peers.js';
import { startPymodbusPeer, type PeerUnitSpec } from '../helpers/pymodbus-peer.js';
import { seedFor } from './profile-checks.js';
import { ask, rigFor, silentLogger, sleepMs, timeoutWithin, transportOf, waitUntil, words } from './profile-rig.js';

const profiles = loadProfiles();
const tcpProfiles = [...profiles.values()].filter((p) => transportOf(p) === 'tcp');
const backoff = { initialMs: 150, maxMs: 300 };

t.test('every TCP profile: after a charger reboot the supervisor restores the setpoint', needs('pymodbus'), async (t) => {
  // All profiles at once on one peer (one unit each), so one reboot hits them all, as a
  // power cut would. Where the charger shows an applied limit of the setpoint's type, it
  // shows what was written and, after the reboot, its own maximum.
  const units: Record<number, PeerUnitSpec> = {};
  tcpProfiles.forEach((p, i) => {
    const seed = seedFor(p);
    const al = p.appliedLimit;
    const sp = p.setpoint.register;
    if (al && al.type === sp.type && al.scale === sp.scale) {
      const [maxRegs] = words([ask(al, p.setpoint.maxA, 'exact')]);
      (al.table === 'holding' ? (seed.holding ??= {}) : (seed.input ??= {}))[al.address] = maxRegs!;
      seed.mirrors = [{ from: { table: 'holding', address: sp.address }, to: { table: al.table, address: al.address }, count: maxRegs!.length }];
    }
    units[i + 1] = seed;
  });
  const peer = await startPymodbusPeer({ units });
  t.teardown(() => peer.stop());
  const rigs = await Promise.all(
    tcpProfiles.map((p, i) => rigFor(p, {}, { peer, backoff, config: { unitId: i + 1, timeoutMs: 300, failsafeTimeoutS: timeoutWithin(p, 1) } })),
  );
  const sups = rigs.map((r) => new ChargerSupervisor(r.charger, { logger: silentLogger, readBackPeriodMs: 250, reconnect: { initialMs: 100, maxMs: 400 } }));
  t.teardown(async () => {
    await Promise.all(sups.map((s) => s.close()));
    await Promise.all(rigs.map((r) => r.close()));
  });
  const tens = words(tcpProfiles.map((p) => ask(p.setpoint.register, 10, 'limit')));
  const holds = async (i: number): Promise<boolean> =>
    JSON.stringify(await peer.readRegisters(i + 1, 'holding', tcpProfiles[i]!.setpoint.register.address, tens[i]!.length)) === JSON.stringify(tens[i]);
  for (const s of sups) s.start();
  await Promise.all(sups.map((s) => s.setLimit(10, 'interop reboot test')));
  await waitUntil(() => (sups.every((s) => s.state().appliedLimitA === 10) ? true : undefined), 5000);
  for (const [i, p] of tcpProfiles.entries()) t.ok(await holds(i), `${p.id}: holds 10 A before the reboot`);
  const mark = peer.writes().length;
  await peer.reboot();
  // ABB and KEBA accept a timeout of 10 s at least: their keep-alive period is 2.5 s.
  const deadline = Date.now() + 4000;
  const healed = new Set<number>();
  while (Date.now() < deadline && healed.size < tcpProfiles.length) {
    for (let i = 0; i < tcpProfiles.length; i++) {
      const sp = tcpProfiles[i]!.setpoint.register;
      const rewritten = peer
        .writes()
        .slice(mark)
        .some((w) => w.unit === i + 1 && w.address === sp.address && JSON.stringify(w.values) === JSON.stringify(tens[i]));
      if (!healed.has(i) && rewritten && (await holds(i))) healed.add(i);
    }
    await sleepMs(100);
  }
  for (const [i, p] of tcpProfiles.entries()) {
    const how = p.setpoint.readable ? 'readable setpoint' : p.appliedLimit ? 'applied-limit read-back' : 'no read-back';
    // Without a read-back the reboot is seen through the re-established connection: the
    // supervisor runs connect() again, which writes the limit.
    t.ok(healed.has(i), `${p.id} (${how}): 10 A restored after the reboot`);
  }
});

for (const profile of [profiles.get('vestel-evc04')!, profiles.get('heidelberg-energy-control')!]) {
  const kind = transportOf(profile);
  const peers = kind === 'tcp' ? needs('pymodbus') : needs('pymodbus', 'socat');

  t.test(`${profile.id} (${kind}): a reboot that loses the setpoint is healed by the supervisor`, peers, async (t) => {
    const seed = seedFor(profile);
    const al = profile.appliedLimit;
    const sp0 = profile.setpoint.register;
    if (al && al.type === sp0.type && al.scale === sp0.scale) {
      // Without an EMS limit the charger applies its own maximum; it shows what was written.
      const [maxRegs] = words([ask(al, profile.setpoint.maxA, 'exact')]);
      (al.table === 'holding' ? (seed.holding ??= {}) : (seed.input ??= {}))[al.address] = maxRegs!;
      seed.mirrors = [{ from: { table: 'holding', address: sp0.address }, to: { table: al.table, address: al.address }, count: maxRegs!.length }];
    }
    const rig = await rigFor(profile, seed, { backoff, config: { failsafeTimeoutS: 1, timeoutMs: 300 } });
    const { peer, charger, unit } = rig;
    const events: Array<{ kind: SupervisorEventKind; data: Record<string, unknown> }> = [];
    const sup = new ChargerSupervisor(charger, {
      logger: silentLogger,
      reconnect: { initialMs: 100, maxMs: 400 },
      onEvent: (kind, _id, data) => events.push({ kind, data }),
    });
    t.teardown(async () => {
      await sup.close();
      await rig.close();
    });
    sup.start();
    await peer.waitForEvent((e) => e.event === 'write', 3000);
    await sup.setLimit(10, 'interop test');
    const sp = profile.setpoint.register;
    const [ten] = words([ask(sp, 10, 'limit')]);
    await peer.waitForWrite((w) => w.address === sp.address && JSON.stringify(w.values) === JSON.stringify(ten), 3000);
    t.same(await peer.readRegisters(unit, 'holding', sp.address, ten!.length), ten, 'the charger holds 10 A');
    t.equal(charger.keepAlivePeriodMs, 250, 'keep-alive every 250 ms for a 1 s timeout');

    const mark = peer.writes().length;
    const eventsAtReboot = events.length;
    await peer.reboot();
    t.notSame(await peer.readRegisters(unit, 'holding', sp.address, ten!.length), ten, 'after the reboot the setpoint is gone');
    const healed = await peer.waitForWrite((w) => w.address === sp.address && JSON.stringify(w.values) === JSON.stringify(ten), 4000, mark).catch(() => null);
    t.ok(healed, 'the supervisor wrote 10 A again');
    t.same(await peer.readRegisters(unit, 'holding', sp.address, ten!.length), ten, 'the charger holds 10 A again');
    const healedEvent = await waitUntil(
      () => events.slice(eventsAtReboot).find((e) => e.kind === 'charger.write' && e.data.ok === true && e.data.limitA === 10),
      2000,
    );
    t.ok(healedEvent, `the supervisor reported the rewrite (${JSON.stringify(events.slice(eventsAtReboot).map((e) => [e.kind, e.data.reason ?? '']))})`);
    if (kind === 'tcp') {
      // The heal can land first (the read-back that reconnects the bus finds the setpoint
      // gone); the whole connect runs again at the end of that same keep-alive period.
      const noticed = await waitUntil(() => events.find((e) => e.kind === 'charger.disconnected' || e.kind === 'charger.reconnected'), 2000);
      t.ok(noticed, 'TCP: the dropped connection was noticed');
      const fsWrite = profile.failsafe?.current?.write;
      if (fsWrite) {
        const rewritten = await waitUntil(
          () =>
            peer
              .writes()
              .slice(mark)
              .find((w) => w.address === fsWrite.address),
          2000,
        );
        t.ok(rewritten, 'and the failsafe current was written again on reconnect');
      }
    }
    await sup.idle();
  });
}
