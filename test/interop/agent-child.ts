// A stand-in for the agent process in the failsafe test: it supervises one charger (connect,
// failsafe writes, the limit, keep-alive on its own timers) until it is killed. argv[2] is a
// JSON { profileId, config, limitA }. It prints one JSON line per supervisor event, and exits
// when stdin closes, so a test that dies leaves no process behind.
import { pino } from 'pino';
import type { ChargerConfig } from '../../config/types.js';
import { BusRegistry } from '../../drivers/charger/bus.js';
import { createCharger } from '../../drivers/charger/profile-driver.js';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { ChargerSupervisor } from '../../drivers/charger/supervisor.js';

const args = JSON.parse(process.argv[2] ?? '{}') as { profileId: string; config: ChargerConfig; limitA: number };
const logger = pino({ level: 'silent' });
const profile = loadProfiles().get(args.profileId);
if (!profile) {
  process.stdout.write(JSON.stringify({ kind: 'error', error: `no profile ${args.profileId}` }) + '\n');
  process.exit(2);
}
const registry = new BusRegistry(logger);
const charger = createCharger(args.config, profile, registry.acquire(args.config.transport), logger);
const sup = new ChargerSupervisor(charger, {
  logger,
  onEvent: (kind, id, data) => process.stdout.write(JSON.stringify({ kind, id, data }) + '\n'),
});
sup.start();
void sup.setLimit(args.limitA, 'failsafe e2e test');
process.stdin.resume();
process.stdin.on('end', () => {
  void sup
    .close()
    .then(() => registry.closeAll())
    .then(() => process.exit(0));
});
