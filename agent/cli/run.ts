// `hcalcs-agent run [--config PATH] [--dry-run]`: the service. Logs JSON to stdout (journald
// keeps it); SIGINT/SIGTERM stop it cleanly, leaving every charger at its last limit (and
// its failsafe settings in charge should the agent not come back).

import pino from 'pino';
import { buildAgent, configForCommand } from '../compose.js';
import { systemdNotifier } from '../systemd-notify.js';
import { EX_USAGE } from './check-config.js';

export const RUN_USAGE = `usage: hcalcs-agent run [--config PATH] [--dry-run]
  --dry-run  shadow mode: decide, explain and log "would write"; write nothing to chargers
`;

export async function runCommand(argv: string[]): Promise<number> {
  const loaded = configForCommand('run', argv);
  if (!loaded.ok) return loaded.code;
  let dryRun = false;
  for (const a of loaded.rest) {
    if (a === '--dry-run') dryRun = true;
    else {
      process.stderr.write(`run: unknown argument ${JSON.stringify(a)}\n${RUN_USAGE}`);
      return EX_USAGE;
    }
  }
  const config = loaded.config;
  const logger = pino({ level: config.log.level, base: { app: 'hcalcs-agent' } });
  for (const w of loaded.warnings) logger.warn({ warning: w }, 'config warning');

  const agent = buildAgent(config, { logger, dryRun });
  const notify = systemdNotifier(process.env, logger);
  agent.runtime.start();
  notify.ready();
  const stopWatchdog = notify.startWatchdog();
  logger.info({ config: loaded.path, dryRun, chargers: config.chargers.map((c) => c.id), han: config.han.port }, 'agent running');

  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping');
      notify.stopping();
      stopWatchdog();
      agent.stop(signal).then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err }, 'unclean stop');
          resolve(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
