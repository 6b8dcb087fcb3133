// Failsafe, for every shipped profile whose charger has a watchdog and a safe current the
// agent can know: the supervisor's keep-alive holds the limit; when the driver is closed (the
// agent stops), the pymodbus peer's watchdog emulation drops the charger to its safe current.
// What counts as keep-alive comes from the profile: a life bit or heartbeat write, a setpoint
// rewrite, or (Heidelberg, EM2GO) any request. The timeout is the one the agent wrote, or the
// one configured on the charger (Alfen, Schneider: given here as failsafeTimeoutS).
import t from 'tap';
import { loadProfiles, type Profile } from '../../drivers/charger/profile.js';
import { ChargerSupervisor } from '../../drivers/charger/supervisor.js';
import { needs } from '../helpers/peers.js';
import { startPymodbusPeer, type Peer, type PeerUnitSpec, type WatchdogSpec } from '../helpers/pymodbus-peer.js';
import { seedFor } from './profile-checks.js';
import { ask, rigFor, silentLogger, sleepMs, startPeerFor, timeoutWithin, transportOf, waitUntil, words, type Rig } from './profile-rig.js';

const SAFE_A = 6;
const LIMIT_A = 16;
// 2 s, not the 1 s most chargers allow: the heidelberg RTU keep-alive once missed a 1 s
// watchdog when four test files shared two busy cores (the real gaps are what is asserted).
const TIMEOUT_S = 2;

/** Why a profile cannot take part, or null. */
function ineligible(p: Profile): string | null {
  if (p.keepAlive.kind === 'none') return 'no watchdog on this charger';
  const fs = p.failsafe;
  if (!fs?.current?.write && !fs?.current?.read) return 'no safe current (the charger stops or errors on timeout)';
  if (timeoutWithin(p, TIMEOUT_S) > TIMEOUT_S) return `shortest failsafe timeout ${timeoutWithin(p, TIMEOUT_S)} s is too long for this test`;
  return null;
}

const all = [...loadProfiles().values()];
const eligible = all.filter((p) => ineligible(p) === null);
for (const p of all) if (ineligible(p)) t.comment(`${p.id}: not in the failsafe test: ${ineligible(p)}`);

function seedWithSafeCurrent(p: Profile): PeerUnitSpec {
  const seed = seedFor(p);
  const read = p.failsafe?.current?.read;
  if (read && !p.failsafe?.current?.write) {
    // Set on the charger itself (Alfen's ACE Service Installer): the charger holds it.
    (read.table === 'holding' ? (seed.holding ??= {}) : (seed.input ??= {}))[read.address] = words([ask(read, SAFE_A, 'exact')])[0]!;
  }
  return seed;
}

function watchdogFor(p: Profile, unit: number, timeoutS: number): WatchdogSpec {
  const sp = p.setpoint.register;
  const ka = p.keepAlive;
  const fallback = words([ask(sp, SAFE_A, 'limit')])[0]!;
  const base = { unit, timeoutS, setpoint: { address: sp.address, count: fallback.length }, fallback };
  if (ka.kind === 'poll') return { ...base, watch: [], anyRequest: true };
  if (ka.kind === 'rewrite-setpoint') return { ...base, watch: [sp.address] };
  return { ...base, watch: [ka.register!.address] };
}

/** The timeout the charger runs with: what the agent wrote to it, else what it was configured with. */
async function chargerTimeoutS(p: Profile, peer: Peer, unit: number, configuredS: number): Promise<number> {
  const w = p.failsafe?.timeout?.write;
  if (!w) return configuredS;
  const raw = (await peer.readRegisters(unit, 'holding', w.address, 1))[0]!;
  return p.failsafe!.timeout!.unit === 'ms' ? raw / 1000 : raw;
}

async function runGroup(t: Tap, peer: Peer, group: Profile[], unitOf: (i: number) => number): Promise<void> {
  const rigs: Rig[] = await Promise.all(
    group.map((p, i) =>
      rigFor(p, {}, { peer, config: { unitId: unitOf(i), failsafeCurrentA: SAFE_A, failsafeTimeoutS: timeoutWithin(p, TIMEOUT_S), timeoutMs: 300 } }),
    ),
  );
  const sups = rigs.map((r) => new ChargerSupervisor(r.charger, { logger: silentLogger }));
  t.teardown(async () => {
    await Promise.all(sups.map((s) => s.close()));
    await Promise.all(rigs.map((r) => r.close()));
  });
  for (const s of sups) s.start();
  await Promise.all(sups.map((s) => s.setLimit(LIMIT_A, 'failsafe test')));
  const limitRegs = words(group.map((p) => ask(p.setpoint.register, LIMIT_A, 'limit')));
  const holds = async (i: number, regs: number[]): Promise<boolean> =>
    JSON.stringify(await peer.readRegisters(unitOf(i), 'holding', group[i]!.setpoint.register.address, regs.length)) === JSON.stringify(regs);
  await waitUntil(() => (sups.every((s) => s.state().appliedLimitA === LIMIT_A) ? true : undefined), 6000);
  const watchdogs: WatchdogSpec[] = [];
  for (const [i, p] of group.entries()) {
    t.ok(await holds(i, limitRegs[i]!), `${p.id}: ${LIMIT_A} A written`);
    const timeoutS = await chargerTimeoutS(p, peer, unitOf(i), timeoutWithin(p, TIMEOUT_S));
    t.equal(timeoutS, timeoutWithin(p, TIMEOUT_S), `${p.id}: the charger's watchdog runs ${timeoutS} s`);
    const fsw = p.failsafe?.current?.write;
    if (fsw)
      t.same(
        await peer.readRegisters(unitOf(i), 'holding', fsw.address, 1),
        words([ask(fsw, SAFE_A, 'limit')])[0],
        `${p.id}: safe current ${SAFE_A} A written at ${fsw.address}`,
      );
    const w = watchdogFor(p, unitOf(i), timeoutS);
    watchdogs.push(w);
    await peer.watchdog(w);
  }
  const armedAt = peer.events().length;
  await sleepMs(2500 * TIMEOUT_S);
  await peer.sync();
  const early = peer
    .events()
    .slice(armedAt)
    .filter((e) => e.event === 'failsafe');
  for (const [i, p] of group.entries()) {
    t.notOk(
      early.some((e) => e.unit === unitOf(i)),
      `${p.id}: kept alive (${p.keepAlive.kind}) for 2.5 timeouts`,
    );
    t.ok(await holds(i, limitRegs[i]!), `${p.id}: still at ${LIMIT_A} A`);
  }

  const closedAt = peer.events().length;
  await Promise.all(sups.map((s) => s.close()));
  await Promise.all(rigs.map((r) => r.charger.close()));
  await waitUntil(() => {
    const fired = new Set(
      peer
        .events()
        .slice(closedAt)
        .filter((e) => e.event === 'failsafe')
        .map((e) => e.unit),
    );
    return group.every((_, i) => fired.has(unitOf(i))) ? true : undefined;
  }, 4000 * TIMEOUT_S);
  const fired = peer
    .events()
    .slice(closedAt)
    .filter((e) => e.event === 'failsafe');
  for (const [i, p] of group.entries()) {
    t.ok(
      fired.some((e) => e.unit === unitOf(i)),
      `${p.id}: the watchdog fired once the driver stopped`,
    );
    t.ok(await holds(i, watchdogs[i]!.fallback), `${p.id}: the charger now applies the ${SAFE_A} A safe current`);
  }
}

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

const tcp = eligible.filter((p) => transportOf(p) === 'tcp');
const rtu = eligible.filter((p) => transportOf(p) === 'rtu');
t.ok(eligible.length > 0, `${eligible.length} profiles with a watchdog and a safe current: ${eligible.map((p) => p.id).join(', ')}`);

// The groups run side by side: each watchdog test waits out real timeouts.
t.test(`TCP (${tcp.map((p) => p.id).join(', ')}) and RTU (${rtu.map((p) => p.id).join(', ')}) side by side`, needs('pymodbus', 'socat'), async (t) => {
  const tcpPeer = await startPymodbusPeer({ units: Object.fromEntries(tcp.map((p, i) => [i + 1, seedWithSafeCurrent(p)])) });
  t.teardown(() => tcpPeer.stop());
  const rtuPeers = await Promise.all(rtu.map((p) => startPeerFor(p, { [p.transport.defaultUnitId]: seedWithSafeCurrent(p) })));
  t.teardown(() => Promise.all(rtuPeers.map((peer) => peer.stop())));
  await Promise.all([runGroup(t, tcpPeer, tcp, (i) => i + 1), ...rtu.map((p, i) => runGroup(t, rtuPeers[i]!, [p], () => p.transport.defaultUnitId))]);
});
