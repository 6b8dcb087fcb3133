// `hcalcs-agent charger ...`: loads the config and the event log for the charger field tools
// (agent/cli/charger.ts), so those stay free of start-up concerns.

import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import { openEventLog } from '../event-log/store.js';
import { configForCommand, loadAgentConfig, withDnoSafeFailsafe } from '../compose.js';
import { configPathFrom } from '../../config/config-path.js';
import { loadCatalogue, profileSearchPath } from '../../drivers/charger/profile-catalogue.js';
import { listProfiles } from './charger-profiles.js';
import { chargerCommand } from './charger.js';

/** `charger profiles` works without a config (an image build); with one, it adds its profilesDir. */
function profilesCommand(argv: string[]): number {
  const where = configPathFrom(argv, process.env);
  const rest = where.ok ? where.rest : argv;
  let profilesDir: string | undefined;
  if (where.ok && existsSync(where.path)) {
    const loaded = loadAgentConfig(where.path);
    if (loaded.ok) profilesDir = loaded.config.profilesDir;
    else process.stderr.write(`note: ${where.path} is not valid (hcalcs-agent check-config); its profilesDir is not searched\n`);
  }
  return listProfiles(loadCatalogue(profileSearchPath(profilesDir)), { json: rest.includes('--json'), out: process.stdout });
}

export async function chargerCliCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'profiles') return profilesCommand(argv);
  const loaded = configForCommand('charger', argv);
  if (!loaded.ok) return loaded.code;
  const config = loaded.config;
  config.chargers = config.chargers.map((c) => withDnoSafeFailsafe(c, config));
  // Field tools print for a person; the JSON log goes to stderr at warn and above.
  const logger = pino({ level: 'warn' }, pino.destination(2));
  mkdirSync(dirname(config.eventLog.path), { recursive: true });
  const eventLog = openEventLog(config.eventLog.path);
  try {
    return await chargerCommand(loaded.rest, { config, logger, eventLog });
  } finally {
    eventLog.close();
  }
}
