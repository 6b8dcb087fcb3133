// `hcalcs-agent run [--config PATH] [--dry-run]`: the service. Logs JSON to stdout (journald
// keeps it); SIGINT, SIGTERM and SIGHUP stop it cleanly, leaving every charger at its last
// limit (and its failsafe settings in charge should the agent not come back).
//
// Exit codes: 0 clean stop, 64 bad arguments, 78 bad config, 75 another agent holds this
// config's state directory (EX_TEMPFAIL: the service retries later), 70 the agent could not
// be built or started (EX_SOFTWARE; the journal says why), 1 an unclean stop.

import pino, { type Logger } from 'pino';
import { buildAgent, configForCommand, type Agent } from '../compose.js';
import { acquireInstanceLock, LockHeldError, stateDirOf, type InstanceLock } from '../instance-lock.js';
import { systemdNotifier } from '../systemd-notify.js';
import { EXIT } from './shared/exit-codes.js';
import { parseOptions, type OptionsSpec } from './shared/args.js';

/** Files the agent creates: no access for others, no write for the group (0640, dirs 0750). */
export const AGENT_UMASK = 0o027;

const RUN_OPTIONS = {
  'dry-run': { type: 'boolean' },
} as const satisfies OptionsSpec;

export const RUN_USAGE = `usage: hcalcs-agent run [--config PATH] [--dry-run]
  --dry-run  shadow mode: decide, explain and log "would write"; write nothing to chargers
`;

/**
 * One agent per config. A second one would fight the first over the chargers, so it leaves
 * at once, naming the holder. A lock that cannot be taken for any other reason (no writable
 * directory at all) is not a reason to leave chargers uncontrolled: run, and say so.
 */
export function takeInstanceLock(command: string, eventLogPath: string, logger: Logger): { ok: true; lock: InstanceLock | null } | { ok: false; code: number } {
  try {
    return { ok: true, lock: acquireInstanceLock(stateDirOf(eventLogPath)) };
  } catch (err) {
    if (err instanceof LockHeldError) {
      process.stderr.write(
        `${command}: another hcalcs-agent is running on this config${err.holderPid !== null ? ` (pid ${err.holderPid})` : ''}; ` +
          `it holds ${err.lockPath}. Stop it first (systemctl stop hcalcs-agent).\n`,
      );
      return { ok: false, code: EXIT.TEMPFAIL };
    }
    logger.error({ err }, 'cannot take the instance lock anywhere; running without it');
    return { ok: true, lock: null };
  }
}

/**
 * SIGUSR1 would open Node's inspector on 127.0.0.1:9229: code execution as the service for
 * anyone allowed to signal it. A listener of our own keeps Node from doing that.
 */
export function refuseInspectorSignal(logger: Logger): void {
  process.on('SIGUSR1', () => logger.warn('SIGUSR1 ignored (the inspector is disabled in the service)'));
}

export async function runCommand(argv: string[]): Promise<number> {
  // Before anything creates a file: the event log, its WAL, the lock, the health files.
  process.umask(AGENT_UMASK);
  const loaded = configForCommand('run', argv);
  if (!loaded.ok) return loaded.code;
  const args = parseOptions(loaded.rest, RUN_OPTIONS);
  if (args.kind === 'help') {
    process.stdout.write(RUN_USAGE);
    return EXIT.OK;
  }
  if (args.kind === 'error') {
    process.stderr.write(`run: ${args.message}\n${RUN_USAGE}`);
    return args.code;
  }
  const dryRun = args.values['dry-run'] ?? false;
  const config = loaded.config;
  const logger = pino({ level: config.log.level, base: { app: 'hcalcs-agent' } });
  refuseInspectorSignal(logger);
  for (const w of loaded.warnings) logger.warn({ warning: w }, 'config warning');

  // Before touching a charger or the HAN port.
  const locked = takeInstanceLock('run', config.eventLog.path, logger);
  if (!locked.ok) return locked.code;
  const lock = locked.lock;

  let agent: Agent;
  try {
    agent = buildAgent(config, { logger, dryRun });
    agent.runtime.start();
  } catch (err) {
    // Alive but inert is the one outcome worse than exiting: say why and leave.
    logger.fatal({ err }, 'the agent cannot start');
    process.stderr.write(`run: the agent cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    lock?.release();
    return EXIT.SOFTWARE;
  }
  const notify = systemdNotifier(process.env, logger);
  notify.ready();
  const stopWatchdog = notify.startWatchdog();
  logger.info(
    {
      config: loaded.path,
      dryRun,
      chargers: config.chargers.map((c) => c.id),
      han: config.han.port,
      lock: lock?.path ?? null,
      eventLog: agent.eventLog.health(),
    },
    'agent running',
  );

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      notify.stopping();
      stopWatchdog();
      agent.stop(signal).then(
        () => {
          lock?.release();
          resolve(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'unclean stop');
          lock?.release();
          resolve(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // No reload: the config is read once at start. A hang-up stops cleanly; systemd restarts it.
    process.on('SIGHUP', stop);
  });
}
