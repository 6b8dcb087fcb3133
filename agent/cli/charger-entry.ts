// `hcalcs-agent charger ...`: loads the config and the event log for the charger field tools
// (agent/cli/charger.ts), so those stay free of start-up concerns.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import { openEventLog } from '../event-log/store.js';
import { configForCommand, withDnoSafeFailsafe } from '../compose.js';
import { chargerCommand } from './charger.js';

export async function chargerCliCommand(argv: string[]): Promise<number> {
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
