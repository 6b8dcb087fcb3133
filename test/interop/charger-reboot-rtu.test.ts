// A reboot on a serial line: the charger's registers go back to their power-on values and
// nothing on the line says so. Every RTU profile on its own pty at its own settings, all
// rebooted at once; the supervisor must write the limit again.
import t from 'tap';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { ChargerSupervisor } from '../../drivers/charger/supervisor.js';
import { needs } from '../helpers/peers.js';
import { seedFor } from './profile-checks.js';
import { ask, rigFor, silentLogger, sleepMs, startPeerFor, timeoutWithin, transportOf, waitUntil, words } from './profile-rig.js';

const profiles = loadProfiles();
const backoff = { initialMs: 150, maxMs: 300 };

t.test('every RTU profile: after a charger reboot the supervisor restores the setpoint', needs('pymodbus', 'socat'), async (t) => {
  // One pty line per profile (their serial settings differ), all rebooted at once.
  const rtuProfiles = [...profiles.values()].filter((p) => transportOf(p) === 'rtu');
  const peers = await Promise.all(rtuProfiles.map((p) => startPeerFor(p, { [p.transport.defaultUnitId]: seedFor(p) })));
  t.teardown(() => Promise.all(peers.map((peer) => peer.stop())));
  const rigs = await Promise.all(
    rtuProfiles.map((p, i) => rigFor(p, {}, { peer: peers[i]!, backoff, config: { timeoutMs: 300, failsafeTimeoutS: timeoutWithin(p, 1) } })),
  );
  const sups = rigs.map((r) => new ChargerSupervisor(r.charger, { logger: silentLogger, readBackPeriodMs: 250, blindRewriteMs: 500 }));
  t.teardown(async () => {
    await Promise.all(sups.map((s) => s.close()));
    await Promise.all(rigs.map((r) => r.close()));
  });
  const tens = words(rtuProfiles.map((p) => ask(p.setpoint.register, 10, 'limit')));
  for (const s of sups) s.start();
  await Promise.all(sups.map((s) => s.setLimit(10, 'interop reboot test')));
  await waitUntil(() => (sups.every((s) => s.state().appliedLimitA === 10) ? true : undefined), 5000);
  const marks = peers.map((peer) => peer.writes().length);
  await Promise.all(peers.map((peer) => peer.reboot()));
  const healed = new Set<number>();
  // A keep-alive period (at most a third of the charger's timeout) plus the blind rewrite.
  const deadline = Date.now() + 6000;
  while (Date.now() < deadline && healed.size < rtuProfiles.length) {
    for (const [i, p] of rtuProfiles.entries()) {
      const sp = p.setpoint.register;
      const rewritten = peers[i]!.writes()
        .slice(marks[i])
        .some((w) => w.address === sp.address && JSON.stringify(w.values) === JSON.stringify(tens[i]));
      if (rewritten) healed.add(i);
    }
    await sleepMs(100);
  }
  for (const [i, p] of rtuProfiles.entries()) {
    const readBack = p.setpoint.readable || p.appliedLimit !== undefined;
    // On a serial line nothing tells the agent a charger rebooted; without a readable
    // setpoint or applied limit the supervisor's periodic blind rewrite restores it.
    t.ok(healed.has(i), `${p.id} (${readBack ? 'read-back' : 'no read-back'}): 10 A restored after the reboot`);
  }
});
