// What the owner commands (manual-limit, restore-now) share: the config, the check that an
// agent is there to take the command (else it would lie dormant and be applied at some
// later start, surprising everyone), and leaving it in the command queue.
import { configPathFrom } from '../../../config/config-path.js';
import type { Config } from '../../../config/types.js';
import { loadAgentConfig } from '../../compose.js';
import { openEventLogStore } from '../../event-log/store.js';
import { STATE_KEY_RUNTIME } from '../../status-snapshot.js';
import { agentRunning, type RunningSnapshot } from './agent-running.js';
import { EXIT, isPermissionError, permissionHint, reportConfigProblems } from './exit-codes.js';

export interface OwnerIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export const defaultIo = (): OwnerIo => ({ out: process.stdout, err: process.stderr, env: process.env });

export function ownerConfig(name: string, configArg: string | undefined, io: OwnerIo): { config: Config; path: string } | number {
  const where = configPathFrom(configArg !== undefined ? ['--config', configArg] : [], io.env);
  if (!where.ok) {
    io.err.write(`hcalcs-agent ${name}: ${where.error}\n`);
    return EXIT.USAGE;
  }
  const loaded = loadAgentConfig(where.path);
  if (!loaded.ok) return reportConfigProblems(loaded.problems, (l) => io.err.write(l));
  return { config: loaded.config, path: where.path };
}

/** Queues the command if an agent runs (or --queue); returns the exit code. */
export function leaveCommand(
  name: string,
  config: Config,
  command: { name: string; args: Record<string, unknown> },
  what: string,
  queue: boolean,
  io: OwnerIo,
): number {
  const path = config.eventLog.path;
  let log;
  try {
    log = openEventLogStore(path);
  } catch (err) {
    if (isPermissionError(err, path) || isPermissionError((err as Error).cause, path)) {
      io.err.write(`hcalcs-agent ${name}: ${permissionHint(path)}\n`);
      return EXIT.NOPERM;
    }
    io.err.write(`hcalcs-agent ${name}: ${(err as Error).message}\n`);
    return EXIT.NOINPUT;
  }
  try {
    const running = agentRunning(path, log.loadState<RunningSnapshot>(STATE_KEY_RUNTIME), Date.now());
    if (!running.running && !queue) {
      io.err.write(
        `hcalcs-agent ${name}: no agent is running on ${path}, so nothing would apply ${what} now.\n` +
          '  Start it (systemctl start hcalcs-agent), or add --queue to leave the command\n' +
          '  for its next start.\n',
      );
      return EXIT.UNAVAILABLE;
    }
    const id = log.enqueueCommand(command);
    io.out.write(
      running.running
        ? `${what} queued (command ${id}); the running agent (pid ${running.pid ?? '?'}) applies it within a second; see 'hcalcs-agent status'\n`
        : `${what} queued (command ${id}) for the agent's next start: no agent is running now\n`,
    );
    return EXIT.OK;
  } catch (err) {
    if (isPermissionError(err, path)) {
      io.err.write(`hcalcs-agent ${name}: ${permissionHint(path)}\n`);
      return EXIT.NOPERM;
    }
    throw err;
  } finally {
    log.close();
  }
}
