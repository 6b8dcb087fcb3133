// `hcalcs-agent charger probe|read|set|failsafe-test --charger ID`: field tools for one
// charger, run beside (not through) the agent. probe and read only read; set writes a limit
// as the owner's action; failsafe-test proves that the charger falls back to its failsafe
// current when the keep-alive stops, and how long that took.

import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Config, ChargerConfig } from '../../config/types.js';
import type { EventLog } from '../event-log/types.js';
import type { ChargerReading } from '../../drivers/charger/charger.js';
import { BusRegistry } from '../../drivers/charger/bus.js';
import { systemClock, type Clock } from '../../drivers/clock.js';
import { createCharger, type ProfileCharger } from '../../drivers/charger/profile-driver.js';
import type { Profile } from '../../drivers/charger/profile.js';
import { loadCatalogue, profileSearchPath, resolveFromCatalogue, type ProfileCatalogue } from '../../drivers/charger/profile-catalogue.js';
import { probeInstanceLock, stateDirOf } from '../instance-lock.js';
import { failsafeTest } from './failsafe-test.js';
import { listProfiles } from './charger-profiles.js';
import { EXIT } from './shared/exit-codes.js';
import { parseOptions, type OptionsSpec } from './shared/args.js';

export interface ChargerCommandContext {
  config: Config;
  logger: Logger;
  eventLog: EventLog;
  clock?: Clock;
  out?: Writable;
  err?: Writable;
  /** The profiles the config sees; default: the search path with the config's profilesDir. */
  catalogue?: ProfileCatalogue;
  /** Whether an agent holds this config's state directory; default probes the instance lock. */
  agentRunning?: () => { held: boolean; pid: number | null; path: string };
}

const USAGE = `usage: hcalcs-agent charger probe|read|set|failsafe-test --charger ID [options]
       hcalcs-agent charger profiles [--json]
  profiles        every profile found, where from (shipped, /etc/hcalcs-agent/profiles, profilesDir), and broken files
  probe           identify: profile, connection, status, failsafe settings (reads only)
  read            status and measurements (reads only)
  set --limit A   write a limit by hand (recorded as owner.manual-set)
  failsafe-test   hold a limit, stop the keep-alive, and time the fall back to the failsafe current:
                  PASS only when it falls back between timeout - tolerance and timeout + step time
    [--limit A]       the limit to hold before the stop (default: the charger's maximum)
    [--poll-ms N]     how often to read while watching (default 1000)
    [--window-s N]    how long the car may take to draw the hold limit (measured current only; default 20)
  --force         set and failsafe-test refuse while an agent runs on this config: it would fight them
  --json          one JSON object instead of text
Exit status of failsafe-test: 0 PASS, 1 FAIL, 2 not applicable, 3 INCONCLUSIVE.
`;

const NON_NEGATIVE = 'needs a non-negative number';

const OPTIONS = {
  charger: { type: 'string' },
  limit: { type: 'decimal', min: 0, invalid: NON_NEGATIVE },
  'poll-ms': { type: 'decimal', min: 0, invalid: NON_NEGATIVE },
  'window-s': { type: 'decimal', min: 0, invalid: NON_NEGATIVE },
  json: { type: 'boolean' },
  force: { type: 'boolean' },
} as const satisfies OptionsSpec;

interface Args {
  sub: string | undefined;
  chargerId?: string | undefined;
  limitA?: number | undefined;
  json: boolean;
  force: boolean;
  pollMs: number;
  windowS: number;
  error?: string;
}

function parseChargerArgs(argv: string[]): Args | 'help' {
  const parsed = parseOptions(argv, OPTIONS, { positionals: true });
  if (parsed.kind === 'help') return 'help';
  if (parsed.kind === 'error') return { sub: argv[0], json: false, force: false, pollMs: 1000, windowS: 20, error: parsed.message };
  const v = parsed.values;
  const [sub, extra] = parsed.positionals;
  const a: Args = { sub, json: v.json ?? false, force: v.force ?? false, pollMs: v['poll-ms'] ?? 1000, windowS: v['window-s'] ?? 20 };
  if (v.charger !== undefined) a.chargerId = v.charger;
  if (v.limit !== undefined) a.limitA = v.limit;
  if (extra !== undefined) a.error = `unknown option ${JSON.stringify(extra)}`;
  return a;
}

function fmtReading(r: ChargerReading): string {
  const parts = [`state ${r.vehicleState}${r.charging ? ' (charging)' : ''}`];
  if (r.currentsA) parts.push(`currents ${r.currentsA.map((c) => c.toFixed(2)).join('/')} A`);
  if (r.powerW !== undefined) parts.push(`power ${Math.round(r.powerW)} W`);
  if (r.appliedLimitA !== undefined) parts.push(`limit ${r.appliedLimitA} A`);
  return parts.join(', ');
}

export async function chargerCommand(argv: string[], ctx: ChargerCommandContext): Promise<number> {
  const out = ctx.out ?? process.stdout;
  const errOut = ctx.err ?? process.stderr;
  const clock = ctx.clock ?? systemClock;
  const args = parseChargerArgs(argv);
  if (args === 'help') {
    out.write(USAGE);
    return EXIT.OK;
  }
  const catalogue = ctx.catalogue ?? loadCatalogue(profileSearchPath(ctx.config.profilesDir));
  if (args.sub === 'profiles' && !args.error) return listProfiles(catalogue, { json: args.json, out });
  const subs = ['probe', 'read', 'set', 'failsafe-test'];
  if (args.error || !args.sub || !subs.includes(args.sub) || !args.chargerId) {
    errOut.write(`${args.error ? `${args.error}\n` : ''}${!args.chargerId && args.sub ? '--charger ID is required\n' : ''}${USAGE}`);
    return EXIT.USAGE;
  }
  const cfg = ctx.config.chargers.find((c) => c.id === args.chargerId);
  if (!cfg) {
    errOut.write(`no charger "${args.chargerId}" in the config (known: ${ctx.config.chargers.map((c) => c.id).join(', ') || 'none'})\n`);
    return EXIT.USAGE;
  }
  if (args.sub === 'set' && args.limitA === undefined) {
    errOut.write(`set needs --limit A\n${USAGE}`);
    return EXIT.USAGE;
  }
  if ((args.sub === 'set' || args.sub === 'failsafe-test') && !args.force) {
    const lock = (ctx.agentRunning ?? (() => probeInstanceLock(stateDirOf(ctx.config.eventLog.path))))();
    if (lock.held) {
      errOut.write(
        `${args.sub}: an agent runs on this config (${lock.pid !== null ? `pid ${lock.pid}` : 'pid unknown'}, lock ${lock.path}); ` +
          `it keeps the charger alive and rewrites its limit, which would spoil this. Stop it (systemctl stop hcalcs-agent) or pass --force.\n`,
      );
      return EXIT.TEMPFAIL;
    }
  }
  const at = `chargers[${ctx.config.chargers.indexOf(cfg)}]`;
  const resolved = resolveFromCatalogue(cfg, catalogue, at);
  if (!resolved.ok) {
    errOut.write(`${resolved.problems.join('\n')}\n`);
    return EXIT.USAGE;
  }
  const profile: Profile = resolved.profile;
  const logger = ctx.logger.child({ module: 'cli-charger' });
  const registry = new BusRegistry(logger, { clock });
  const readOnly = args.sub === 'probe' || args.sub === 'read';
  const charger = createCharger(cfg, profile, registry.acquire(cfg.transport), logger, { dryRun: readOnly, clock });
  const report = (json: Record<string, unknown>, text: string[]): void => {
    out.write(args.json ? `${JSON.stringify(json)}\n` : `${text.join('\n')}\n`);
  };
  try {
    switch (args.sub) {
      case 'probe':
        return await probe(cfg, profile, charger, report);
      case 'read': {
        await charger.connect();
        const r = await charger.read();
        report({ chargerId: cfg.id, reading: r }, [`${cfg.id}: ${fmtReading(r)}`]);
        return EXIT.OK;
      }
      case 'set':
        return await manualSet(cfg, charger, args.limitA!, ctx.eventLog, report);
      default: {
        const progress = (line: string): void => {
          (args.json ? errOut : out).write(`${line}\n`);
        };
        const fsArgs = { pollMs: args.pollMs, windowS: args.windowS, ...(args.limitA !== undefined ? { limitA: args.limitA } : {}) };
        return await failsafeTest({ cfg, profile, charger, args: fsArgs, clock, eventLog: ctx.eventLog, progress, report });
      }
    }
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    if (args.json) out.write(`${JSON.stringify({ chargerId: cfg.id, ok: false, error: msg })}\n`);
    else errOut.write(`${cfg.id}: ${msg}\n`);
    return EXIT.FAIL;
  } finally {
    await charger.close();
    await registry.closeAll();
  }
}

type Report = (json: Record<string, unknown>, text: string[]) => void;

function where(cfg: ChargerConfig, charger: ProfileCharger): string {
  const t = cfg.transport;
  const unit = cfg.unitId ?? charger.profile.transport.defaultUnitId;
  return t.type === 'tcp' ? `tcp ${t.host}:${t.port} unit ${unit}` : `rtu ${t.path} unit ${unit}`;
}

async function probe(cfg: ChargerConfig, profile: Profile, charger: ProfileCharger, report: Report): Promise<number> {
  await charger.connect();
  const reading = await charger.read();
  const limit = await charger.readLimitA().catch(() => null);
  const fs = charger.failsafe;
  report(
    {
      chargerId: cfg.id,
      ok: true,
      profile: { id: profile.id, name: profile.name, confidence: profile.confidence, source: profile.source, unverified: profile.unverified ?? [] },
      where: where(cfg, charger),
      reading,
      limit,
      failsafe: fs,
      keepAlive: { kind: profile.keepAlive.kind, periodMs: charger.keepAlivePeriodMs },
    },
    [
      `${cfg.id}: ${profile.name} (profile ${profile.id}, confidence ${profile.confidence})`,
      `  source: ${profile.source.join('; ')}`,
      `  at ${where(cfg, charger)}: answered`,
      `  ${fmtReading(reading)}`,
      `  limit read back: ${limit ? `${limit.valueA} A (${limit.kind})` : 'not readable'}`,
      `  failsafe: current ${fs?.readBack.currentA ?? '?'} A, timeout ${fs?.timeoutS ?? '?'} s (${fs?.timeoutSource ?? 'none'})${fs?.notes.length ? `; ${fs.notes.join('; ')}` : ''}`,
      `  keep-alive: ${profile.keepAlive.kind}${charger.keepAlivePeriodMs !== null ? ` every ${charger.keepAlivePeriodMs} ms` : ''}`,
      ...(profile.unverified?.length ? [`  unverified: ${profile.unverified.join('; ')}`] : []),
    ],
  );
  return EXIT.OK;
}

async function manualSet(cfg: ChargerConfig, charger: ProfileCharger, limitA: number, eventLog: EventLog, report: Report): Promise<number> {
  await charger.connect();
  const outcome = await charger.setCurrentLimitA(limitA);
  eventLog.append({
    kind: 'owner.manual-set',
    chargerId: cfg.id,
    data: { limitA, ok: outcome.ok, readBackA: outcome.readBackA ?? null, durationMs: outcome.durationMs, error: outcome.error ?? null, via: 'cli' },
  });
  report({ chargerId: cfg.id, ...outcome }, [
    outcome.ok
      ? `${cfg.id}: wrote ${limitA} A${outcome.readBackA !== undefined ? `, reads back ${outcome.readBackA} A` : ''} in ${outcome.durationMs} ms`
      : `${cfg.id}: not written: ${outcome.error}`,
    ...(outcome.ok && charger.keepAlivePeriodMs !== null
      ? [
          `  note: nothing keeps this charger alive now; unless the agent runs, it falls back to its failsafe current after ${charger.failsafe?.timeoutS ?? '?'} s`,
        ]
      : []),
  ]);
  return outcome.ok ? EXIT.OK : EXIT.FAIL;
}
