// Keep-alive kinds against the pymodbus peer: toggle alternates, counter counts, the first
// heartbeat follows connect at once, and a profile's re-enable writes are made at connect.
import t from 'tap';
import { ChargerSupervisor } from '../../../drivers/charger/supervisor.js';
import { loadProfiles, validateProfile, mergeOverrides, type Profile } from '../../../drivers/charger/profile.js';
import { needs } from '../../helpers/peers.js';
import { rigFor, silentLogger, waitUntil } from '../../interop/profile-rig.js';

const heidelberg = loadProfiles().get('heidelberg-energy-control')!;
const keba = loadProfiles().get('keba-p30')!;
const tcpBase = (ka: Record<string, unknown>): Profile =>
  validateProfile({
    ...(mergeOverrides(heidelberg, { transport: { tcp: { port: 502 }, defaultUnitId: 1, interFrameDelayMs: 0 } }) as Record<string, unknown>),
    transport: { tcp: { port: 502 }, defaultUnitId: 1, interFrameDelayMs: 0 },
    keepAlive: { periodFraction: 0.25, register: { address: 301, table: 'holding', type: 'uint16' }, ...ka },
  });

t.test('toggle and counter heartbeats; the first right after connect', needs('pymodbus'), async (t) => {
  for (const [ka, want] of [
    [{ kind: 'toggle', values: [5, 9] }, [5, 9, 5, 9]],
    [{ kind: 'counter', modulo: 3 }, [1, 2, 0, 1]],
  ] as const) {
    const p = tcpBase(ka);
    const rig = await rigFor(p, {}, { config: { unitId: 1, failsafeTimeoutS: 1, failsafeCurrentA: 6, minCurrentA: 6, maxCurrentA: 16 } });
    t.teardown(() => rig.close());
    const sup = new ChargerSupervisor(rig.charger, { logger: silentLogger });
    sup.start();
    await waitUntil(() => (rig.peer.writes().filter((w) => w.address === 301).length >= 4 ? true : undefined), 10_000);
    await sup.close();
    const beats = rig.peer.writes().filter((w) => w.address === 301);
    t.same(
      beats.slice(0, 4).map((w) => w.values[0]),
      want,
      `${ka.kind}: ${JSON.stringify(want)}`,
    );
    const connectedAt = rig.peer.writes().find((w) => w.address === heidelberg.failsafe!.timeout!.write!.address)!.t;
    const firstGap = beats[0]!.t - connectedAt;
    t.ok(
      firstGap < rig.charger.keepAlivePeriodMs!,
      `first heartbeat ${firstGap.toFixed(0)} ms after the failsafe write, before one period (${rig.charger.keepAlivePeriodMs} ms)`,
    );
  }
});

t.test('KEBA: 5014 = 1 (enable) is written at connect, after a failsafe the station needs it', needs('pymodbus'), async (t) => {
  const rig = await rigFor(keba, { holding: { 1600: [0, 6000], 1602: [0, 10] } }, { config: { failsafeTimeoutS: 10, failsafeCurrentA: 6 } });
  t.teardown(() => rig.close());
  await rig.charger.connect();
  await rig.peer.sync();
  const enable = rig.peer.writes().filter((w) => w.address === 5014);
  t.same(
    enable.map((w) => [w.fc, w.values]),
    [[6, [1]]],
    'one FC06 write of 1 to 5014',
  );
  t.same(rig.charger.failsafe!.notes, [], 'no notes');
  await rig.peer.fault(rig.unit, { mode: 'exception', code: 2, count: 1, fcs: [6] });
  const notes = await rig.charger.reenable();
  t.match(notes.join('\n'), /re-enable 5014 = 1 .* not written/, 'a refused re-enable is reported, not thrown');
});
