// `hcalcs-agent incidents`: every reduction as one record (when, why, how long at which
// limit, what ended it, the random restore delay, when the current came back, the energy
// delivered meanwhile), in 80 columns and local time, or JSON for tools.
import type { CliContext } from '../event-log/cli-support.js';
import { findIncidents, type Incident } from '../history/incidents.js';
import { EXIT } from './shared/exit-codes.js';
import { durationText, timeText, type TimeText } from './shared/time-text.js';
import { overlaps, runWindowReport, windowRows } from './shared/window.js';
import type { Clock } from '../../drivers/clock.js';

export const INCIDENTS_USAGE = `usage: hcalcs-agent incidents [--since T] [--until T] [--charger ID] [--utc] [--json]
                               [--db FILE | --config PATH]
  Every reduction of a charger's limit as one record: when, why (cause and switch),
  minutes at each limit, what ended it, the random restore delay (Reg 11), when the
  current came back and the energy delivered meanwhile (from the history samples).
  T as for log (local time unless --utc). Exit 0 also when there were none.
`;

const kwh = (wh: number | null) => (wh === null ? 'no samples' : `${(wh / 1000).toFixed(2)} kWh`);

/** Same day as `ref`: the time alone; else the date too. */
function when(tt: TimeText, ms: number, refMs: number): string {
  return tt.day(ms) === tt.day(refMs) ? tt.time(ms) : tt.dayTime(ms);
}

export function formatIncident(i: Incident, tt: TimeText, nowMs: number): string {
  const lines: string[] = [];
  const end = i.restoredMs ?? nowMs;
  const sw = i.switchIdx === null ? '' : `, switch ${i.switchIdx}`;
  lines.push(
    `${i.chargerId}: reduced ${tt.dayTime(i.startMs)} - ${i.restoredMs === null ? 'STILL REDUCED' : when(tt, i.restoredMs, i.startMs)} (${durationText(end - i.startMs)})`,
  );
  lines.push(`  cause     ${i.cause}${sw}`);
  const limits = i.atLimits.map((l) => `${durationText(l.ms)} at ${l.limitA} A`).join(', ');
  lines.push(`  limits    ${limits || `${i.lowestA} A`}${i.normalA !== null ? ` (normal ${i.normalA} A)` : ''}`);
  if (i.endMs === null) lines.push('  ended     not yet');
  else {
    const delay =
      i.restoreDelayMs === null
        ? ''
        : i.restoreDelayMs === 0
          ? `; restored at once (${i.exemptReason ?? 'exempt'})`
          : `; random delay ${Math.round(i.restoreDelayMs / 1000)} s${i.maxRestoreDelayMs !== null ? ` of max ${Math.round(i.maxRestoreDelayMs / 1000)} s` : ''}`;
    lines.push(`  ended     by ${i.endedBy ?? '?'} at ${when(tt, i.endMs, i.startMs)}${delay}`);
  }
  lines.push(`  back      ${i.restoredMs === null ? '-' : `${i.normalA ?? '?'} A at ${when(tt, i.restoredMs, i.startMs)}`}`);
  lines.push(`  energy    ${kwh(i.energyWh)} delivered while reduced`);
  return lines.join('\n') + '\n';
}

export function incidentJson(i: Incident) {
  return {
    ...i,
    start: new Date(i.startMs).toISOString(),
    end: i.endMs === null ? null : new Date(i.endMs).toISOString(),
    restored: i.restoredMs === null ? null : new Date(i.restoredMs).toISOString(),
    minutesAtLimit: i.atLimits.map((l) => ({ limitA: l.limitA, minutes: Math.round(l.ms / 6000) / 10 })),
    energyKWh: i.energyWh === null ? null : Math.round(i.energyWh) / 1000,
  };
}

export interface ReportContext extends CliContext {
  /** The program's one Clock (drivers/clock.ts); tests pass a fake. */
  clock?: Clock;
}

export function incidentsCommand(argv: string[], ctx: ReportContext): Promise<number> {
  return runWindowReport('incidents', INCIDENTS_USAGE, argv, ctx, ({ v, nowMs, w, log }) => {
    const all = findIncidents(windowRows(log, w), { nowMs: w.untilMs ?? nowMs });
    const list = all.filter((i) => overlaps(w, i.startMs, i.restoredMs) && (v.charger === undefined || i.chargerId === v.charger));
    if (v.json === true) {
      ctx.out.write(list.map((i) => JSON.stringify(incidentJson(i))).join('\n') + (list.length ? '\n' : ''));
      return EXIT.OK;
    }
    const tt = timeText(v.utc === true);
    ctx.out.write(incidentsText(list, tt, nowMs));
    return EXIT.OK;
  });
}

export function incidentsText(list: Incident[], tt: TimeText, nowMs: number): string {
  if (list.length === 0) return 'no reductions in this window\n';
  const zone = tt.zone(list[0]!.startMs);
  return `${list.length} reduction${list.length === 1 ? '' : 's'} (times ${zone})\n\n` + list.map((i) => formatIncident(i, tt, nowMs)).join('\n');
}
