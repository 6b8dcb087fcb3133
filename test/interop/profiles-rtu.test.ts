// Every shipped Modbus RTU profile against the pymodbus peer on a socat pty: the agent's end
// opened at the profile's own serial settings (8E1, 8N2 ...), the peer's end at parity N.
// Same checks as the TCP suite; a new RTU profile file is covered automatically.
import t from 'tap';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { needs } from '../helpers/peers.js';
import { checkProfile, plannedAsks } from './profile-checks.js';
import { transportOf, words } from './profile-rig.js';

const profiles = [...loadProfiles().values()].filter((p) => transportOf(p) === 'rtu');
// One python run answers every expectation of the suite.
words(profiles.flatMap(plannedAsks));

t.ok(profiles.length > 0, `${profiles.length} RTU profiles shipped`);
for (const profile of profiles) {
  t.test(
    `${profile.id} (${profile.transport.rtu!.baudRate} ${profile.transport.rtu!.dataBits}${profile.transport.rtu!.parity[0]!.toUpperCase()}${profile.transport.rtu!.stopBits})`,
    needs('pymodbus', 'socat'),
    (t) => checkProfile(t, profile),
  );
}
