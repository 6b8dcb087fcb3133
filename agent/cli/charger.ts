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
import { systemClock, sleep, type Clock } from '../../drivers/charger/clock.js';
import { createCharger, type ProfileCharger } from '../../drivers/charger/profile-driver.js';
import { resolveProfile, ProfileError, type Profile } from '../../drivers/charger/profile.js';

const EX_OK = 0;
const EX_FAIL = 1;
/** The test does not apply to this charger (no failsafe). */
const EX_NOT_APPLICABLE = 2;
const EX_USAGE = 64;

export interface ChargerCommandContext {
  config: Config;
  logger: Logger;
  eventLog: EventLog;
  clock?: Clock;
  out?: Writable;
  err?: Writable;
}

const USAGE = `usage: hcalcs-agent charger probe|read|set|failsafe-test --charger ID [options]
  probe           identify: profile, connection, status, failsafe settings (reads only)
  read            status and measurements (reads only)
  set --limit A   write a limit by hand (recorded as owner.manual-set)
  failsafe-test   write the failsafe settings, stop the keep-alive, watch the charger fall back
    [--limit A]       the limit to hold before the stop (default: the charger's maximum)
    [--poll-ms N]     how often to read while watching (default 1000)
    [--window-s N]    how long after the timeout to wait for the fallback (default 20)
  --json          one JSON object instead of text
`;

interface Args {
  sub: string | undefined;
  chargerId?: string;
  limitA?: number;
  json: boolean;
  pollMs: number;
  windowS: number;
  error?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { sub: argv[0], json: false, pollMs: 1000, windowS: 20 };
  for (let i = 1; i < argv.length; i++) {
    const k = argv[i]!;
    const [flag, inline] = k.includes('=') ? [k.slice(0, k.indexOf('=')), k.slice(k.indexOf('=') + 1)] : [k, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    const num = (name: string): number | undefined => {
      const v = value();
      const n = Number(v);
      if (v === undefined || v === '' || !Number.isFinite(n) || n < 0) {
        a.error = `${name} needs a non-negative number`;
        return undefined;
      }
      return n;
    };
    if (flag === '--json') a.json = true;
    else if (flag === '--charger') a.chargerId = value();
    else if (flag === '--limit') a.limitA = num('--limit');
    else if (flag === '--poll-ms') a.pollMs = num('--poll-ms') ?? a.pollMs;
    else if (flag === '--window-s') a.windowS = num('--window-s') ?? a.windowS;
    else a.error = `unknown option ${JSON.stringify(k)}`;
  }
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
  const args = parseArgs(argv);
  const subs = ['probe', 'read', 'set', 'failsafe-test'];
  if (args.error || !args.sub || !subs.includes(args.sub) || !args.chargerId) {
    errOut.write(`${args.error ? `${args.error}\n` : ''}${!args.chargerId && args.sub ? '--charger ID is required\n' : ''}${USAGE}`);
    return EX_USAGE;
  }
  const cfg = ctx.config.chargers.find((c) => c.id === args.chargerId);
  if (!cfg) {
    errOut.write(`no charger "${args.chargerId}" in the config (known: ${ctx.config.chargers.map((c) => c.id).join(', ') || 'none'})\n`);
    return EX_USAGE;
  }
  if (args.sub === 'set' && args.limitA === undefined) {
    errOut.write(`set needs --limit A\n${USAGE}`);
    return EX_USAGE;
  }
  let profile: Profile;
  try {
    profile = resolveProfile(cfg);
  } catch (err) {
    errOut.write(`${err instanceof ProfileError ? err.errors.join('\n') : (err as Error).message}\n`);
    return EX_USAGE;
  }
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
        return EX_OK;
      }
      case 'set':
        return await manualSet(cfg, charger, args.limitA!, ctx.eventLog, report);
      default:
        return await failsafeTest(cfg, profile, charger, args, clock, ctx.eventLog, report);
    }
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    if (args.json) out.write(`${JSON.stringify({ chargerId: cfg.id, ok: false, error: msg })}\n`);
    else errOut.write(`${cfg.id}: ${msg}\n`);
    return EX_FAIL;
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
      chargerId: cfg.id, ok: true, profile: { id: profile.id, name: profile.name, confidence: profile.confidence, source: profile.source, unverified: profile.unverified ?? [] },
      where: where(cfg, charger), reading, limit, failsafe: fs, keepAlive: { kind: profile.keepAlive.kind, periodMs: charger.keepAlivePeriodMs },
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
  return EX_OK;
}

async function manualSet(cfg: ChargerConfig, charger: ProfileCharger, limitA: number, eventLog: EventLog, report: Report): Promise<number> {
  await charger.connect();
  const outcome = await charger.setCurrentLimitA(limitA);
  eventLog.append({
    kind: 'owner.manual-set', chargerId: cfg.id,
    data: { limitA, ok: outcome.ok, readBackA: outcome.readBackA ?? null, durationMs: outcome.durationMs, error: outcome.error ?? null, via: 'cli' },
  });
  report({ chargerId: cfg.id, ...outcome }, [
    outcome.ok
      ? `${cfg.id}: wrote ${limitA} A${outcome.readBackA !== undefined ? `, reads back ${outcome.readBackA} A` : ''} in ${outcome.durationMs} ms`
      : `${cfg.id}: not written: ${outcome.error}`,
    ...(outcome.ok && charger.keepAlivePeriodMs !== null
      ? [`  note: nothing keeps this charger alive now; unless the agent runs, it falls back to its failsafe current after ${charger.failsafe?.timeoutS ?? '?'} s`]
      : []),
  ]);
  return outcome.ok ? EX_OK : EX_FAIL;
}

async function failsafeTest(
  cfg: ChargerConfig, profile: Profile, charger: ProfileCharger, args: Args, clock: Clock, eventLog: EventLog, report: Report,
): Promise<number> {
  if (!profile.failsafe || profile.keepAlive.kind === 'none') {
    report({ chargerId: cfg.id, ok: false, applicable: false, reason: 'the profile has no failsafe' }, [`${cfg.id}: ${profile.name} has no failsafe to test`]);
    return EX_NOT_APPLICABLE;
  }
  await charger.connect();
  const fs = charger.failsafe!;
  const failsafeA = fs.readBack.currentA ?? fs.wrote.currentA ?? cfg.failsafeCurrentA;
  const timeoutS = fs.timeoutS;
  if (failsafeA === undefined || timeoutS === null) {
    const reason = failsafeA === undefined ? 'the failsafe current is unknown (set failsafeCurrentA)' : 'the failsafe timeout is unknown (set failsafeTimeoutS)';
    report({ chargerId: cfg.id, ok: false, reason, failsafe: fs }, [`${cfg.id}: cannot test: ${reason}`]);
    return EX_FAIL;
  }
  const tolA = (a: number): number => Math.max(1, a * 0.1);
  const limitA = args.limitA ?? charger.rangeA.maxA;
  if (limitA <= failsafeA + tolA(failsafeA)) {
    const reason = `hold limit ${limitA} A is too close to the failsafe current ${failsafeA} A to see a fallback`;
    report({ chargerId: cfg.id, ok: false, reason }, [`${cfg.id}: ${reason}; give --limit higher`]);
    return EX_FAIL;
  }
  const set = await charger.setCurrentLimitA(limitA);
  if (!set.ok) throw new Error(`could not write the hold limit ${limitA} A: ${set.error}`);
  const byApplied = profile.appliedLimit !== undefined;
  const thresholdA = failsafeA + tolA(failsafeA);
  const windowMs = args.windowS * 1000;
  // Without an applied-limit register the fallback shows only in the measured current, so
  // the car must first be seen drawing more than the failsafe current (keep-alive running).
  if (!byApplied) {
    const until = clock.now() + windowMs;
    let drawing = false;
    while (clock.now() < until) {
      await charger.keepAlive();
      const r = await charger.read();
      if (r.currentsA && Math.max(...r.currentsA) > thresholdA) {
        drawing = true;
        break;
      }
      await sleep(clock, Math.min(args.pollMs, charger.keepAlivePeriodMs ?? args.pollMs));
    }
    if (!drawing) {
      const reason = profile.measurements?.currentsA
        ? `the car did not draw more than ${thresholdA} A within ${args.windowS} s; a fallback could not be seen`
        : 'the charger reports neither its applied limit nor a measured current';
      report({ chargerId: cfg.id, ok: false, inconclusive: true, reason }, [`${cfg.id}: inconclusive: ${reason}`]);
      return EX_FAIL;
    }
  }
  await charger.keepAlive();
  const stoppedAt = clock.now();
  const timeoutMs = timeoutS * 1000;
  // For chargers whose keep-alive is any request, watching would itself feed the watchdog:
  // stay silent past the timeout first.
  if (profile.keepAlive.kind === 'poll') await sleep(clock, timeoutMs + Math.max(500, timeoutMs * 0.1));
  const deadline = stoppedAt + timeoutMs + windowMs;
  let observed: { atMs: number; reading: ChargerReading; valueA: number } | null = null;
  let last: ChargerReading | null = null;
  while (clock.now() <= deadline) {
    try {
      last = await charger.read();
      const valueA = byApplied ? last.appliedLimitA : last.currentsA ? Math.max(...last.currentsA) : undefined;
      if (valueA !== undefined && valueA <= thresholdA) {
        observed = { atMs: clock.now(), reading: last, valueA };
        break;
      }
    } catch {
      // A charger busy falling back may miss a poll; the deadline still bounds the test.
    }
    await sleep(clock, args.pollMs);
  }
  const pass = observed !== null;
  const fallbackMs = observed ? observed.atMs - stoppedAt : null;
  const result = {
    chargerId: cfg.id, ok: pass, pass, failsafeA, timeoutS, holdLimitA: limitA, fallbackMs,
    observedBy: byApplied ? 'applied-limit' : 'measured-current', observedA: observed?.valueA ?? null,
    upperBound: profile.keepAlive.kind === 'poll', failsafe: fs, lastReading: last,
  };
  eventLog.append({ kind: 'charger.failsafe-test', chargerId: cfg.id, data: { ...result, failsafe: { wrote: fs.wrote, readBack: fs.readBack, ok: fs.ok } } });
  report(result, [
    pass
      ? `${cfg.id}: PASS: fell back to ${observed!.valueA.toFixed(2)} A (failsafe ${failsafeA} A) ${result.upperBound ? 'within' : 'after'} ${fallbackMs} ms without keep-alive (timeout ${timeoutS} s)`
      : `${cfg.id}: FAIL: no fallback to ${failsafeA} A within ${timeoutS} s + ${args.windowS} s${last ? `; last: ${fmtReading(last)}` : ''}`,
    `  observed by ${result.observedBy}; the charger now runs on its failsafe current until the agent writes again`,
  ]);
  return pass ? EX_OK : EX_FAIL;
}
