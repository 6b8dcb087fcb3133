// Exception replies and slow replies, injected by the pymodbus peer, for every shipped TCP
// profile (one peer, one unit per profile): a refused write is a failed outcome and changes
// nothing; a read refused is a BusError with the Modbus code; a slow reply inside the timeout
// is fine and its delay shows in durationMs.
import t from 'tap';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { needs } from '../helpers/peers.js';
import { startPymodbusPeer } from '../helpers/pymodbus-peer.js';
import { seedFor } from './profile-checks.js';
import { ask, busError, rigFor, transportOf, words } from './profile-rig.js';

const tcpProfiles = [...loadProfiles().values()].filter((p) => transportOf(p) === 'tcp');
const backoff = { initialMs: 150, maxMs: 300 };

t.test('every TCP profile: exception replies and slow replies', needs('pymodbus'), async (t) => {
  const peer = await startPymodbusPeer({ units: Object.fromEntries(tcpProfiles.map((p, i) => [i + 1, seedFor(p)])) });
  t.teardown(() => peer.stop());
  for (const [i, profile] of tcpProfiles.entries()) {
    await t.test(profile.id, async (t) => {
      const unit = i + 1;
      const rig = await rigFor(profile, {}, { peer, config: { unitId: unit }, backoff });
      t.teardown(() => rig.close());
      await rig.charger.connect();
      const sp = profile.setpoint.register;
      const [tenA] = words([ask(sp, 10, 'limit')]);
      t.equal((await rig.charger.setCurrentLimitA(10)).ok, true, '10 A written');

      await peer.fault(unit, { mode: 'exception', code: 4, count: 1, fcs: [profile.setpoint.functionCode] });
      const refused = await rig.charger.setCurrentLimitA(16);
      t.equal(refused.ok, false, 'exception 4 on the setpoint write: not ok');
      t.match(refused.error, /exception|4/i, `error names it: ${refused.error}`);
      t.same(await peer.readRegisters(unit, 'holding', sp.address, tenA!.length), tenA, 'setpoint register unchanged');

      await peer.fault(unit, { mode: 'exception', code: 2, count: 1, fcs: [3, 4] });
      const readErr = await rig.charger.read().then(
        () => null,
        (e: unknown) => busError(e),
      );
      t.same([readErr?.code, readErr?.modbusCode], ['exception', 2], 'exception 2 on a read: BusError exception 2');

      await peer.fault(unit, { mode: 'delay', delayMs: 150, count: 1, fcs: [profile.setpoint.functionCode] });
      const slow = await rig.charger.setCurrentLimitA(13);
      t.equal(slow.ok, true, 'a reply 150 ms late, inside the 500 ms timeout: ok');
      t.ok(slow.durationMs >= 140, `durationMs ${slow.durationMs} includes the delay`);
      const [thirteen] = words([ask(sp, 13, 'limit')]);
      t.same(await peer.readRegisters(unit, 'holding', sp.address, thirteen!.length), thirteen, 'and the charger holds 13 A');
    });
  }
});
