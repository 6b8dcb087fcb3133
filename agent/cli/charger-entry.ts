// `hcalcs-agent charger ...`: loads the config and the event log for the charger field tools
// (agent/cli/charger.ts), so those stay free of start-up concerns.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import { configPathFrom } from '../../config/config-path.js';
import { openEventLog } from '../event-log/store.js';
import { loadAgentConfig, withDnoSafeFailsafe } from '../compose.js';
import { chargerCommand } from './charger.js';
import { EX_CONFIG, EX_USAGE } from './check-config.js';

export async function chargerCliCommand(argv: string[]): Promise<number> {
  const where = configPathFrom(argv, process.env);
  if (!where.ok) {
    process.stderr.write(`charger: ${where.error}\n`);
    return EX_USAGE;
  }
  const loaded = loadAgentConfig(where.path);
  if (!loaded.ok) {
    for (const p of loaded.problems) process.stderr.write(`${p}\n`);
    return EX_CONFIG;
  }
  const config = loaded.config;
  config.chargers = config.chargers.map((c) => withDnoSafeFailsafe(c, config));
  // Field tools print for a person; the JSON log goes to stderr at warn and above.
  const logger = pino({ level: 'warn' }, pino.destination(2));
  mkdirSync(dirname(config.eventLog.path), { recursive: true });
  const eventLog = openEventLog(config.eventLog.path);
  try {
    return await chargerCommand(where.rest, { config, logger, eventLog });
  } finally {
    eventLog.close();
  }
}
