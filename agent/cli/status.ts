// `hcalcs-agent status`: what the agent knows and why, in 80 columns (--verbose for every
// detail, --json for tools). Whether the agent runs comes from the instance lock, not from its
// last snapshot: a stopped agent is said to be stopped, with since when, and what follows is
// labelled as what it last saved. --db reads an event log without a config (then the core's
// view, which needs the config, is replaced by the chargers' last saved limits).
import { toCoreConfig } from '../../config/core-config.js';
import type { Config } from '../../config/types.js';
import { describe, type CoreState, type StatusView } from '../core/index.js';
import { openEventLogStore } from '../event-log/store.js';
import { describeHealth, readHealth, writerAlive } from '../event-log/health-file.js';
import { STATE_KEY_CORE } from '../runtime.js';
import { STATE_KEY_RUNTIME, type ChargerStatus, type RuntimeSnapshot } from '../status-snapshot.js';
import { loadAgentConfig, profileFacts } from '../compose.js';
import { configPathFrom } from '../../config/config-path.js';
import { parseOptions } from './shared/args.js';
import { EXIT, isPermissionError, permissionHint, reportConfigProblems } from './shared/exit-codes.js';
import { agentRunning, type AgentRunning } from './shared/agent-running.js';
import { localiseClockTexts } from './shared/event-text.js';
import { durationText, timeText, type TimeText } from './shared/time-text.js';
import { uplinkStatus } from '../uplink/status-line.js';
import { systemClock, type Clock } from '../../drivers/clock.js';

export const STATUS_USAGE = `usage: hcalcs-agent status [--verbose] [--json] [--utc] [--db FILE | --config PATH]
  Whether the agent runs (from its instance lock), the link, switches, boost, each
  charger's limit and why, pending restores and alarms, in 80 columns, local time.
  --verbose  every detail (claims, last write, verification, counters), lines not cut
`;

const OPTIONS = {
  verbose: { type: 'boolean', short: 'v' },
  json: { type: 'boolean' },
  utc: { type: 'boolean' },
  db: { type: 'string' },
  config: { type: 'string', short: 'c' },
} as const;

const WIDTH = 80;

function cut(s: string, verbose: boolean): string {
  if (verbose || s.length <= WIDTH) return s;
  return s.slice(0, WIDTH - 3) + '...';
}

function ago(now: number, ms: number): string {
  return `${durationText(Math.max(0, now - ms))} ago`;
}

function agentLine(a: AgentRunning, snap: RuntimeSnapshot | undefined, tt: TimeText, now: number): string {
  if (a.running) {
    const since = snap?.startedAtMs ? `, since ${tt.dayTime(snap.startedAtMs)}` : '';
    const how = a.by === 'snapshot' ? ' (by its snapshot: no lock)' : '';
    return `agent     running, pid ${a.pid ?? '?'}${since}${snap?.dryRun ? ', DRY RUN' : ''}${how}`;
  }
  if (a.how === 'never') return 'agent     NOT RUNNING; it never ran with this event log';
  const when = a.sinceMs === null ? '' : ` since ${tt.dayTime(a.sinceMs)} (${ago(now, a.sinceMs)})`;
  return `agent     NOT RUNNING${when}${a.how === 'gone' ? ', it did not stop cleanly' : ''}`;
}

export function formatStatus(
  view: StatusView | null,
  snap: RuntimeSnapshot | undefined,
  a: AgentRunning,
  o: { now: number; tt: TimeText; verbose: boolean; logAlarms?: string[] },
): string {
  const { now, tt, verbose } = o;
  const lines: string[] = [];
  const push = (s: string) => lines.push(cut(verbose ? s : localiseClockTexts(s, now, tt), verbose));
  const t = (ms: number | null | undefined) => (ms == null ? '-' : tt.day(ms) === tt.day(now) ? tt.time(ms) : tt.dayTime(ms));
  push(`hcalcs-agent status at ${tt.dayTime(now)} (${tt.zone(now)})`);
  push(agentLine(a, snap, tt, now));
  if (!a.running && snap !== undefined) push('          below: what it last saved, not live');
  // A stopped agent's deadlines are what it saved: one already past was missed, one still
  // ahead will pass with nobody to act on it unless the agent is started.
  const due = (ms: number) =>
    a.running
      ? `${t(ms)} (in ${durationText(Math.max(0, ms - now))})`
      : ms <= now
        ? `${t(ms)} (was due; not running)`
        : `${t(ms)} (due in ${durationText(ms - now)} if the agent were running)`;
  if (view !== null) {
    const l = view.link;
    push(`link      ${l.transport}, ${l.state}; last line ${t(l.lastLineMs)}${l.lastLineMs !== null ? ` (${ago(now, l.lastLineMs)})` : ''}`);
    if (l.state === 'stale' && l.holdEndMs) push(`          fallback ${l.fallback} at ${due(l.holdEndMs)}`);
    if (view.switches.length === 0) push('switches  none reported yet');
    for (const s of view.switches) {
      const to = s.bound ? ` -> ${s.chargerIds.join(', ')}` : ' (not bound)';
      push(`switch ${s.idx}  ${s.state}, cause ${s.cause}, since ${t(s.sinceMs)}${s.leaseEndMs ? `, until ${t(s.leaseEndMs)}` : ''}${to}`);
      if (s.labelOk === false) push(`          LABEL DOES NOT MATCH: "${s.label ?? ''}"`);
      else if (verbose) push(`          ${s.label === null ? 'no label' : `label "${s.label}"`}, type ${s.type}${s.dev ? `, dev ${s.dev}` : ''}`);
    }
    const b = view.boost;
    const active = b.switches.filter((s) => s.activeUntilMs !== null);
    push(`boost     ${active.length ? active.map((s) => `switch ${s.idx} until ${t(s.activeUntilMs)}`).join(', ') : 'none active'}`);
    if (verbose)
      push(
        `          button drives ${b.loads.length ? b.loads.join(',') : 'no switch'}, period ${b.periodMin} min; may lift a DNO open: ${b.liftsDnoOpen ? 'yes' : 'no'}`,
      );
    for (const c of view.chargers) {
      push(`${c.id.padEnd(9)} ${c.appliedA === null ? '-' : `${c.appliedA} A`} <- ${c.explanation.replace(/^[\d.]+ A <- /, '')}`);
      if (c.restore) push(`          restore to ${c.restore.toA} A at ${due(c.restore.dueMs)}`);
      const live = snap?.chargers[c.id];
      if (live) push(`          ${chargerLine(live, verbose)}`);
      if (verbose) for (const cl of c.claims) push(`          claim ${cl.source}: ${cl.capA === null ? 'no cap' : `${cl.capA} A`} (${cl.text})`);
    }
    if (view.pending.length || verbose) push(`pending   ${view.pending.length ? '' : 'nothing'}`);
    for (const p of view.pending) push(`  ${p.kind}${p.switchIdx ? ` switch ${p.switchIdx}` : ''}${p.chargerId ? ` ${p.chargerId}` : ''} at ${due(p.atMs)}`);
    const logAlarms = o.logAlarms ?? [];
    push(`alarms    ${view.alarms.length || logAlarms.length ? '' : 'none'}`);
    // Alarms are wrapped, never cut: each is read whole.
    const wrapped = (text: string) => {
      if (verbose) return lines.push(`  ${text}`);
      let rest = text;
      let lead = '  ';
      while (lead.length + rest.length > WIDTH) {
        const at = rest.lastIndexOf(' ', WIDTH - lead.length);
        const cutAt = at > 20 ? at : WIDTH - lead.length;
        lines.push(lead + rest.slice(0, cutAt));
        rest = rest.slice(cutAt).trimStart();
        lead = '    ';
      }
      lines.push(lead + rest);
    };
    for (const al of view.alarms) wrapped(`${al.kind}: ${al.text}${al.sinceMs ? ` (since ${t(al.sinceMs)})` : ''}`);
    // The event log's own alarm stays one line (scripts grep it); the terminal wraps it.
    for (const al of logAlarms) lines.push(`  ${al}`);
    if (verbose) {
      const k = view.counters;
      push(`lines     ok ${k.linesOk}, rejected ${k.linesRejected}, ignored ${k.linesIgnored}, sequence gaps ${k.seqGaps}`);
    }
  } else if (snap !== undefined) {
    push('(no config given: switches and reasons need it; showing the chargers as saved)');
    for (const [id, live] of Object.entries(snap.chargers)) {
      const applied = 'disabled' in live ? null : live.appliedLimitA;
      const explanation = 'disabled' in live ? '' : (live.explanation ?? '');
      push(`${id.padEnd(9)} ${applied !== null ? `${applied} A` : '-'} <- ${explanation.replace(/^[\d.]+ A <- /, '')}`);
      push(`          ${chargerLine(live, verbose)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function chargerLine(live: ChargerStatus, verbose: boolean): string {
  const parts = [live.connected ? 'connected' : `NOT CONNECTED${live.lastError ? ` (${live.lastError})` : ''}`];
  if ('disabled' in live) return parts.join('; ');
  const lw = live.lastWrite;
  const v = live.verification;
  if (lw) parts.push(`wrote ${lw.limitA} A ${lw.ok ? 'ok' : `FAILED ${lw.error ?? ''}`}${verbose ? ` in ${lw.durationMs} ms` : ''}`);
  if (v.measuredA !== undefined) parts.push(`measured ${v.measuredA.toFixed(1)} A`);
  if (verbose && v.status) parts.push(`verification ${v.status}`);
  if (live.wouldWriteA !== null) parts.push(`would write ${live.wouldWriteA} A`);
  return parts.join('; ');
}

export interface StatusIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** The program's one Clock (drivers/clock.ts); tests pass a fake. */
  clock?: Clock;
}

export async function statusCommand(argv: string[], io: StatusIo = { out: process.stdout, err: process.stderr, env: process.env }): Promise<number> {
  const parsed = parseOptions(argv, OPTIONS);
  if (parsed.kind === 'help') {
    io.out.write(STATUS_USAGE);
    return EXIT.OK;
  }
  if (parsed.kind === 'error') {
    io.err.write(`hcalcs-agent status: ${parsed.message}\n${STATUS_USAGE}`);
    return EXIT.USAGE;
  }
  const v = parsed.values;
  let config: Config | null = null;
  let path: string;
  if (v.db !== undefined) path = v.db;
  if (v.db === undefined || v.config !== undefined) {
    const where = configPathFrom(v.config !== undefined ? ['--config', v.config] : [], io.env);
    if (!where.ok) {
      io.err.write(`hcalcs-agent status: ${where.error}\n`);
      return EXIT.USAGE;
    }
    const loaded = loadAgentConfig(where.path);
    if (!loaded.ok) return reportConfigProblems(loaded.problems, (l) => io.err.write(l));
    config = loaded.config;
  }
  path = v.db ?? config!.eventLog.path;
  // The health file speaks for a running agent whose log cannot (full or read-only disk).
  const health = readHealth(path, io.env);
  const logAlarms = describeHealth(health);
  const healthLive = health !== null && writerAlive(health) ? health : null;
  let log;
  try {
    log = openEventLogStore(path, { readonly: true });
  } catch (err) {
    if (isPermissionError(err, path) || isPermissionError((err as Error).cause, path)) {
      io.err.write(`hcalcs-agent status: ${permissionHint(path)}\n`);
      return EXIT.NOPERM;
    }
    io.err.write(`hcalcs-agent status: cannot open the event log ${path}: ${(err as Error).message}\n`);
    if (healthLive !== null) {
      io.out.write(`agent     running, pid ${healthLive.pid}; its saved state cannot be read\nalarms\n${logAlarms.map((a) => `  ${a}\n`).join('')}`);
    }
    return EXIT.NOINPUT;
  }
  try {
    const now = (io.clock ?? systemClock).now();
    const core = log.loadState<CoreState>(STATE_KEY_CORE);
    let snap = log.loadState<RuntimeSnapshot>(STATE_KEY_RUNTIME);
    if (snap !== undefined && healthLive !== null && healthLive.eventLog.status === 'degraded' && healthLive.updatedAtMs > snap.updatedAtMs) {
      // The snapshot in the log is stale because the log cannot be written, not because the
      // agent is gone: the health file is the fresher word on that.
      snap = { ...snap, pid: healthLive.pid, updatedAtMs: healthLive.updatedAtMs, stoppedAtMs: null };
    }
    // The core's times are on the agent's timeline, which a wall-clock step does not move.
    const a = agentRunning(path, snap, now);
    const view =
      core !== undefined && config !== null
        ? describe(toCoreConfig(config, profileFacts(config.profilesDir).limits), core, now - (snap?.coreOffsetMs ?? 0))
        : null;
    const uplink = uplinkStatus(config?.mqtt, log, now);
    if (v.json === true)
      io.out.write(JSON.stringify({ running: a, agent: snap ?? null, ...(view ?? {}), eventLog: healthLive?.eventLog ?? null, uplink: uplink.json }) + '\n');
    else
      io.out.write(
        formatStatus(view, snap, a, { now, tt: timeText(v.utc === true), verbose: v.verbose === true, logAlarms }) +
          cut(uplink.line, v.verbose === true) +
          '\n',
      );
    return EXIT.OK;
  } finally {
    log.close();
  }
}
