// Every shipped Modbus TCP profile against the pymodbus peer on loopback: setpoint encoding,
// status and measurement decoding, connect-time failsafe writes and keep-alive. A profile
// file added to drivers/charger/profiles/ is covered without touching this file.
import t from 'tap';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { needs } from '../helpers/peers.js';
import { startPymodbusPeer, type Peer } from '../helpers/pymodbus-peer.js';
import { checkProfile, plannedAsks, seedFor } from './profile-checks.js';
import { transportOf, words } from './profile-rig.js';

const profiles = [...loadProfiles().values()].filter((p) => transportOf(p) === 'tcp');
// One python run answers every expectation of the suite.
words(profiles.flatMap(plannedAsks));

t.ok(profiles.length > 0, `${profiles.length} TCP profiles shipped`);

// One peer serves every profile, each at its own unit id (1, 2, ...), each on its own TCP
// connection: a python start per profile would cost more than the checks. The profiles'
// default unit ids are checked against chargers.md in the facts subtest.
const skip = needs('pymodbus');
let peer: Peer | null = null;
t.before(async () => {
  if (skip.skip) return;
  peer = await startPymodbusPeer({ units: Object.fromEntries(profiles.map((p, i) => [i + 1, seedFor(p)])) });
});
t.teardown(() => peer?.stop());
for (const [i, profile] of profiles.entries()) {
  t.test(profile.id, skip, (t) => checkProfile(t, profile, { peer: peer!, unit: i + 1 }));
}
