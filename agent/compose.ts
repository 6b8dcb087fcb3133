// Wires the real parts together for `run` and `demo`: config -> event log, HAN link, one
// supervisor per charger (sharing one bus per line), the core's config, the runtime and the
// scheduled READ. Nothing else in the project constructs these.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import cron from 'node-cron';
import type { Logger } from 'pino';
import { loadConfig, type LoadResult } from '../config/load.js';
import { configPathFrom } from '../config/config-path.js';
import { toCoreConfig, type ProfileLimits } from '../config/core-config.js';
import type { ChargerConfig, Config } from '../config/types.js';
import { HanLink } from '../drivers/han/link.js';
import { BusRegistry } from '../drivers/charger/bus.js';
import { resolveFromCatalogue } from '../drivers/charger/profile-catalogue.js';
import { catalogueFor, limitsOf, profileViewFactory } from './profile-view.js';
import { knownIds } from '../drivers/charger/profile-catalogue.js';
import { createCharger } from '../drivers/charger/profile-driver.js';
import { ChargerSupervisor } from '../drivers/charger/supervisor.js';
import type { ChargerEventKind, ChargerEventSink } from '../drivers/charger/events.js';
import { openResilientEventLog, type ResilientEventLog } from './event-log/resilient.js';
import { removeHealthFiles, writeHealthFiles } from './event-log/health-file.js';
import type { EventInput } from './event-log/types.js';
import { Runtime, systemClock, type ChargerPort, type Clock, type HanPort } from './runtime.js';
import { startUplink, type Uplink } from './uplink/start.js';
import { HistorySampler, SAMPLE_KIND } from './history/sampler.js';
import { schedulePruning } from './event-log/prune.js';
import { EXIT, reportConfigProblems } from './cli/shared/exit-codes.js';

/** Profile ids and the current range each can signal, for a config with this profilesDir. */
export function profileFacts(profilesDir?: string): { ids: string[]; limits: ProfileLimits } {
  const cat = catalogueFor(profilesDir);
  return { ids: knownIds(cat), limits: limitsOf(cat) };
}

/**
 * Loads the config with every charger's merged profile checked. A charger whose profile
 * file is broken is a warning here (run disables it and keeps the others); check-config
 * makes it an error.
 */
export function loadAgentConfig(path: string, brokenFiles: 'error' | 'warning' = 'warning'): LoadResult {
  return loadConfig(path, { profiles: profileViewFactory({ brokenFiles }) });
}

export type CommandConfig = { ok: true; config: Config; path: string; rest: string[]; warnings: string[] } | { ok: false; code: number };

/**
 * What every command that needs the config does first: take --config out of argv, load and
 * check the file. Problems go to stderr, one `path: message` a line; the caller exits with
 * `code` (78 for a bad config, 64 for bad arguments).
 */
export function configForCommand(command: string, argv: string[]): CommandConfig {
  const where = configPathFrom(argv, process.env);
  if (!where.ok) {
    process.stderr.write(`${command}: ${where.error}\n`);
    return { ok: false, code: EXIT.USAGE };
  }
  const loaded = loadAgentConfig(where.path);
  if (!loaded.ok) return { ok: false, code: reportConfigProblems(loaded.problems, (l) => process.stderr.write(l)) };
  return { ok: true, config: loaded.config, path: where.path, rest: where.rest, warnings: loaded.warnings };
}

/**
 * A charger without its own failsafe current gets the lowest reduced current of the bindings
 * it is in: an agent that dies while a DNO holds the switch open must leave the charger at
 * the DNO-safe level, never at its maximum.
 */
export function withDnoSafeFailsafe(charger: ChargerConfig, config: Config): ChargerConfig {
  if (charger.failsafeCurrentA !== undefined) return charger;
  const reduced = config.bindings.filter((b) => b.chargers.includes(charger.id)).map((b) => b.reducedCurrentA);
  if (reduced.length === 0) return charger;
  return { ...charger, failsafeCurrentA: Math.min(...reduced) };
}

/** A charger the agent cannot drive: raises the alarm once at start and writes nothing. */
function disabledPort(id: string, problems: string[], record: ChargerEventSink): ChargerPort {
  const reason = 'profile invalid: charger disabled';
  return {
    id,
    start: () => record('charger.alarm', id, { reason, problems }),
    setLimit: () => undefined,
    state: () => ({ id, connected: false, disabled: true, lastError: `${reason}: ${problems.join('; ')}` }),
    close: () => Promise.resolve(),
  };
}

export interface Agent {
  runtime: Runtime;
  eventLog: ResilientEventLog;
  link: HanLink;
  supervisors: ChargerSupervisor[];
  /** The fleet uplink, when config.mqtt is enabled. */
  uplink: Uplink | undefined;
  stop(reason: string): Promise<void>;
}

export interface BuildOptions {
  logger: Logger;
  dryRun: boolean;
  clock?: Clock;
  seed?: number;
  onEvent?: (event: EventInput) => void;
  /** Verification window etc. for the demo's fast simulated car. */
  verification?: ConstructorParameters<typeof ChargerSupervisor>[1]['verification'];
  /** Event-log upkeep period (file checks, retries); default agent/event-log/resilient.ts. */
  eventLogCheckMs?: number;
}

/**
 * The event log for a running agent: never a reason not to control (see resilient.ts). Its
 * health goes to the health files `status` reads, since a broken log cannot carry it.
 */
export function openAgentEventLog(path: string, logger: Logger, checkMs?: number): ResilientEventLog {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (err) {
    // A directory that cannot be made is one more way the log fails; the wrapper copes.
    logger.error({ err, dir: dirname(path) }, 'cannot create the event-log directory');
  }
  return openResilientEventLog(path, {
    logger,
    ...(checkMs !== undefined ? { checkMs } : {}),
    onHealth: (eventLog) => writeHealthFiles({ pid: process.pid, eventLogPath: path, updatedAtMs: Date.now(), eventLog }),
  });
}

/** The HAN link as the runtime's port: it carries lines both ways and says when it is up or
 *  down; what to send (the READ after every connect included) is the core's to decide. */
export function hanPortOf(link: HanLink): HanPort {
  return {
    start: () => link.start(),
    close: () => link.close(),
    send: (line) => {
      link.send(line);
    },
    onLine: (h) => link.on('line', h),
    onUp: (h) => link.on('up', h),
    onDown: (h) => link.on('down', h),
  };
}

export function buildAgent(config: Config, o: BuildOptions): Agent {
  const log = o.logger;
  const eventLog = openAgentEventLog(config.eventLog.path, log, o.eventLogCheckMs);
  const clock = o.clock ?? systemClock;

  const link = new HanLink({
    port: config.han.port,
    serial: config.han.serial,
    requireChecksum: config.han.requireChecksum,
    sendChecksum: config.han.sendChecksum,
    reconnect: config.han.reconnect,
    logger: log,
  });
  const han = hanPortOf(link);

  // The runtime records the supervisors' events; it is made after them, so they report
  // through this indirection.
  let record: ChargerEventSink = () => undefined;
  const registry = new BusRegistry(log);
  const catalogue = catalogueFor(config.profilesDir);
  const supervisors: ChargerSupervisor[] = [];
  const ports: ChargerPort[] = config.chargers.map((cc, i) => {
    const charger = withDnoSafeFailsafe(cc, config);
    const resolved = resolveFromCatalogue(charger, catalogue, `chargers[${i}]`);
    // A charger whose profile file is broken is left alone (its own failsafe covers it);
    // the others run. loadAgentConfig already rejected every other profile problem.
    if (!resolved.ok) return disabledPort(charger.id, resolved.problems, (kind, id, data) => record(kind, id, data));
    const bus = registry.acquire(charger.transport);
    const driver = createCharger(charger, resolved.profile, bus, log, { dryRun: o.dryRun });
    const s = new ChargerSupervisor(driver, {
      logger: log,
      dryRun: o.dryRun,
      ...(o.verification ? { verification: o.verification } : {}),
      onEvent: (kind, id, data) => record(kind, id, data),
    });
    supervisors.push(s);
    return {
      id: s.id,
      start: () => s.start(),
      setLimit: (limitA, explanation) => {
        s.setLimit(limitA, explanation).catch((err: unknown) => log.error({ err, chargerId: s.id }, 'setLimit failed'));
      },
      state: () => s.state(),
      close: () => s.close(),
    };
  });

  const coreConfig = toCoreConfig(config, limitsOf(catalogue));
  // Off the control path: it reads the log on its own connection and timers (agent/uplink/).
  const uplink = startUplink(config, { eventLog, coreConfig, logger: log });
  const runtime = new Runtime({
    coreConfig,
    han,
    chargers: ports,
    eventLog,
    clock,
    logger: log,
    seed: o.seed ?? Math.floor(Math.random() * 2 ** 32),
    dryRun: o.dryRun,
    ...(o.onEvent || uplink
      ? {
          onEvent: (e: EventInput) => {
            o.onEvent?.(e);
            uplink?.nudge();
          },
        }
      : {}),
  });
  record = (kind, id, data) => runtime.recordChargerEvent<ChargerEventKind>(kind, id, data);

  const readJob = cron.schedule(config.han.readSchedule, () => runtime.requestFullState(), { name: 'han-read' });
  // History rows go through the runtime's recorder, in order with everything else.
  const sampler = new HistorySampler({
    chargers: supervisors,
    intervalMs: config.history.sampleIntervalS * 1000,
    clock,
    record: (id, data) => runtime.recordChargerEvent(SAMPLE_KIND, id, { ...data }),
  });
  sampler.start();
  const stopPruning = schedulePruning({
    path: config.eventLog.path,
    retentionDays: config.eventLog.retentionDays,
    schedule: config.eventLog.pruneSchedule,
    logger: log,
  });

  let stopped = false;
  return {
    runtime,
    eventLog,
    link,
    supervisors,
    uplink,
    async stop(reason) {
      if (stopped) return;
      stopped = true;
      await readJob.destroy();
      sampler.stop();
      await stopPruning();
      await runtime.stop(reason);
      await registry.closeAll();
      await uplink?.stop();
      eventLog.close();
      removeHealthFiles(config.eventLog.path);
    },
  };
}
