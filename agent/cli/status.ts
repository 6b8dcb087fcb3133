// `hcalcs-agent status [--json]`: what the running agent knows and why, for a field engineer
// on a serial console. It reads only what the agent persists in its event log (opened read
// only, WAL), so it never blocks the agent, and works just as well when the agent is down.

import { toCoreConfig } from '../../config/core-config.js';
import { describe, type CoreState, type StatusView } from '../core/index.js';
import { openEventLog } from '../event-log/store.js';
import { describeHealth, readHealth, writerAlive } from '../event-log/health-file.js';
import { STATE_KEY_CORE, STATE_KEY_RUNTIME } from '../runtime.js';
import { configForCommand, profileFacts } from '../compose.js';
import { EX_USAGE } from './check-config.js';
import { uplinkStatus } from '../uplink/status-line.js';

interface RuntimeSnapshot {
  pid: number;
  dryRun: boolean;
  startedAtMs: number;
  updatedAtMs: number;
  /** Set when the agent stopped cleanly. */
  stoppedAtMs?: number | null;
  linkUp: boolean;
  lastLineAtMs: number | null;
  chargers: Record<string, Record<string, unknown>>;
  /** Wall clock minus the agent's timeline (the core's times): non-zero after a clock step. */
  coreOffsetMs?: number;
}

/** The agent writes its snapshot every second; older than this, it is not running. */
const RUNNING_WITHIN_MS = 5000;

const hhmmss = (ms: number | null | undefined) => (ms == null ? '-' : new Date(ms).toISOString().slice(11, 19) + 'Z');
const ago = (now: number, ms: number | null | undefined) => (ms == null ? '' : ` (${Math.round((now - ms) / 1000)} s ago)`);
const until = (now: number, ms: number) => `${hhmmss(ms)} (in ${Math.max(0, Math.round((ms - now) / 1000))} s)`;

/** logAlarms: the event log's own trouble (agent/event-log/health-file.ts), shown with the alarms. */
export function formatStatus(view: StatusView, agent: RuntimeSnapshot | undefined, now: number, logAlarms: string[] = []): string {
  const lines: string[] = [];
  const push = (s: string) => lines.push(s);
  push(`hcalcs-agent status at ${new Date(now).toISOString().slice(0, 19)}Z`);
  if (agent === undefined) push('agent     never ran with this event log');
  else {
    const running = !agent.stoppedAtMs && now - agent.updatedAtMs < RUNNING_WITHIN_MS;
    const gone = agent.stoppedAtMs ? `stopped at ${hhmmss(agent.stoppedAtMs)}` : `last seen ${hhmmss(agent.updatedAtMs)}`;
    push(
      `agent     ${running ? `running, pid ${agent.pid}` : `NOT RUNNING (${gone}; below is what it last saved)`}` +
        `, started ${hhmmss(agent.startedAtMs)}${agent.dryRun ? ', DRY RUN (writes nothing)' : ''}`,
    );
  }
  const l = view.link;
  push(
    `link      ${l.transport}, ${l.state}; last line ${hhmmss(l.lastLineMs)}${ago(now, l.lastLineMs)}` +
      `${l.lastSeq !== null ? `, seq ${l.lastSeq}` : ''}${l.state === 'stale' && l.holdEndMs ? `; fallback (${l.fallback}) at ${until(now, l.holdEndMs)}` : ''}`,
  );
  push('switches');
  if (view.switches.length === 0) push('  none reported yet');
  for (const s of view.switches) {
    const label = s.label === null ? 'no label' : `label "${s.label}"${s.labelOk === false ? ' (DOES NOT MATCH)' : ''}`;
    const lease = s.leaseEndMs ? `, lease until ${hhmmss(s.leaseEndMs)}${s.leaseExpired ? ' (expired)' : ''}` : '';
    const bound = s.bound ? ` -> ${s.chargerIds.join(', ')}` : ' (not bound)';
    push(`  #${s.idx} ${s.type} ${s.state}, cause ${s.cause}, since ${hhmmss(s.sinceMs)}${lease}; ${label}${bound}`);
  }
  const b = view.boost;
  const active = b.switches.filter((s) => s.activeUntilMs !== null);
  push(
    `boost     ${b.known ? `button drives ${b.loads.length ? b.loads.join(',') : 'no switch'}, period ${b.periodMin} min` : 'details not read yet'}` +
      `; active: ${active.length ? active.map((s) => `#${s.idx} until ${hhmmss(s.activeUntilMs)}`).join(', ') : 'none'}` +
      `; may lift a DNO open: ${b.liftsDnoOpen ? 'yes' : 'no'}`,
  );
  for (const s of b.switches) if (s.lastDenial) push(`          #${s.idx} last press denied ${hhmmss(s.lastDenial.atMs)}: ${s.lastDenial.reason}`);
  push('chargers');
  for (const c of view.chargers) {
    push(`  ${c.id}  ${c.appliedA === null ? '-' : `${c.appliedA} A`}   ${c.explanation}`);
    if (c.restore) push(`          restore to ${c.restore.toA} A at ${until(now, c.restore.dueMs)}`);
    const live = agent?.chargers[c.id];
    if (live) {
      const lw = live.lastWrite as { limitA?: number; ok?: boolean; durationMs?: number; readBackA?: number; error?: string } | null;
      const v = live.verification as { status?: string; confirmMs?: number; measuredA?: number } | undefined;
      const parts = [live.connected ? 'connected' : `NOT CONNECTED${live.lastError ? ` (${String(live.lastError)})` : ''}`];
      if (lw) parts.push(`last write ${lw.limitA} A ${lw.ok ? 'ok' : `FAILED ${lw.error ?? ''}`} in ${lw.durationMs} ms${lw.readBackA !== undefined ? `, read back ${lw.readBackA} A` : ''}`);
      if (v?.status) parts.push(`verification ${v.status}${v.confirmMs !== undefined ? ` in ${(v.confirmMs / 1000).toFixed(1)} s` : ''}${v.measuredA !== undefined ? `, measured ${v.measuredA.toFixed(1)} A` : ''}`);
      if (live.wouldWriteA !== null && live.wouldWriteA !== undefined) parts.push(`would write ${String(live.wouldWriteA)} A`);
      push(`          ${parts.join('; ')}`);
    }
  }
  push(`pending   ${view.pending.length ? '' : 'nothing'}`);
  for (const p of view.pending) push(`  ${p.kind}${p.switchIdx ? ` switch ${p.switchIdx}` : ''}${p.chargerId ? ` ${p.chargerId}` : ''} at ${until(now, p.atMs)}`);
  push(`alarms    ${view.alarms.length || logAlarms.length ? '' : 'none'}`);
  for (const a of view.alarms) push(`  ${a.kind}: ${a.text}${a.sinceMs ? ` (since ${hhmmss(a.sinceMs)})` : ''}`);
  for (const a of logAlarms) push(`  ${a}`);
  const k = view.counters;
  const reasons = Object.entries(k.rejectedByReason).map(([r, n]) => `${r} ${n}`).join(', ');
  push(`lines     ok ${k.linesOk}, rejected ${k.linesRejected}${reasons ? ` (${reasons})` : ''}, ignored ${k.linesIgnored}, sequence gaps ${k.seqGaps}`);
  return lines.join('\n') + '\n';
}

export async function statusCommand(argv: string[]): Promise<number> {
  const loaded = configForCommand('status', argv);
  if (!loaded.ok) return loaded.code;
  if (loaded.rest.some((a) => a !== '--json')) {
    process.stderr.write('usage: hcalcs-agent status [--config PATH] [--json]\n');
    return EX_USAGE;
  }
  const json = loaded.rest.includes('--json');
  // The health file speaks for a running agent whose log cannot (full or read-only disk).
  const health = readHealth(loaded.config.eventLog.path);
  const logAlarms = describeHealth(health);
  const healthLive = health !== null && writerAlive(health) ? health : null;
  const healthOnly = (why: string): number => {
    process.stderr.write(`status: ${why}\n`);
    if (healthLive === null) return 1;
    if (json) process.stdout.write(JSON.stringify({ agent: { pid: healthLive.pid }, eventLog: healthLive.eventLog }) + '\n');
    else process.stdout.write(`agent     running, pid ${healthLive.pid}; its saved state cannot be read\nalarms\n${logAlarms.map((a) => `  ${a}\n`).join('')}`);
    return 1;
  };
  let log;
  try {
    log = openEventLog(loaded.config.eventLog.path, { readonly: true });
  } catch (err) {
    return healthOnly(`cannot open the event log ${loaded.config.eventLog.path}: ${(err as Error).message}`);
  }
  try {
    const now = Date.now();
    const core = log.loadState<CoreState>(STATE_KEY_CORE);
    let agent = log.loadState<RuntimeSnapshot>(STATE_KEY_RUNTIME);
    if (agent !== undefined && healthLive !== null && healthLive.eventLog.status === 'degraded' && healthLive.updatedAtMs > agent.updatedAtMs) {
      // The snapshot in the log is stale because the log cannot be written, not because the
      // agent is gone: the health file is the fresher word on that.
      agent = { ...agent, pid: healthLive.pid, updatedAtMs: healthLive.updatedAtMs, stoppedAtMs: null };
    }
    if (core === undefined) return healthOnly('the agent has not saved any state in this event log yet');
    // The core's times are on the agent's timeline, which a wall-clock step does not move.
    const view = describe(toCoreConfig(loaded.config, profileFacts(loaded.config.profilesDir).limits), core, now - (agent?.coreOffsetMs ?? 0));
    const uplink = uplinkStatus(loaded.config.mqtt, log, now);
    if (json) process.stdout.write(JSON.stringify({ agent: agent ?? null, ...view, eventLog: healthLive?.eventLog ?? null, uplink: uplink.json }) + '\n');
    else process.stdout.write(formatStatus(view, agent, now, logAlarms) + uplink.line + '\n');
    return 0;
  } finally {
    log.close();
  }
}
