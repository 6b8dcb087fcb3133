// `hcalcs-agent history`: charging sessions from the sampled measurements (Reg 9): start,
// end, energy, and how long of it the charger was held down, by whom. Tells a DNO cap apart
// from a car that simply drew little.
import { findIncidents } from '../history/incidents.js';
import { findSessions, type Session } from '../history/sessions.js';
import type { ReportContext } from './incidents.js';
import { EXIT } from './shared/exit-codes.js';
import { durationText, timeText, type TimeText } from './shared/time-text.js';
import { overlaps, runWindowReport, windowRows } from './shared/window.js';

export const HISTORY_USAGE = `usage: hcalcs-agent history [--since T] [--until T] [--charger ID] [--utc] [--json]
                             [--db FILE | --config PATH]
  Charging sessions from the measurements the agent samples every
  history.sampleIntervalS: start, end, energy (kWh), time limited and by whom.
`;

export function sessionsText(list: Session[], tt: TimeText): string {
  if (list.length === 0) return 'no charging sessions in this window (are history samples on? history.sampleIntervalS)\n';
  const lines = [`charging sessions (times ${tt.zone(list[0]!.startMs)})`, 'CHARGER    START                END         kWh  LIMITED     BY'];
  for (const s of list) {
    const end = tt.day(s.endMs) === tt.day(s.startMs) ? tt.time(s.endMs) : `+${tt.time(s.endMs)}`;
    const limited = s.limitedMs > 0 ? durationText(s.limitedMs) : '-';
    const by = s.limitedBy.join(', ') || '-';
    const row = `${s.chargerId.slice(0, 10).padEnd(10)} ${tt.dayTime(s.startMs)}  ${end.padEnd(9)} ${(s.energyWh / 1000).toFixed(2).padStart(6)}  ${limited.padEnd(11)} ${by}`;
    lines.push(row.length > 80 ? `${row.slice(0, 77)}...` : row);
  }
  return lines.join('\n') + '\n';
}

export function historyCommand(argv: string[], ctx: ReportContext): Promise<number> {
  return runWindowReport('history', HISTORY_USAGE, argv, ctx, ({ v, nowMs, w, log }) => {
    const rows = [...windowRows(log, w)];
    const incidents = findIncidents(rows, { nowMs: w.untilMs ?? nowMs });
    const list = findSessions(rows, incidents, { nowMs }).filter(
      (s) => overlaps(w, s.startMs, s.endMs) && (v.charger === undefined || s.chargerId === v.charger),
    );
    if (v.json === true) {
      for (const s of list)
        ctx.out.write(
          JSON.stringify({ ...s, start: new Date(s.startMs).toISOString(), end: new Date(s.endMs).toISOString(), energyKWh: Math.round(s.energyWh) / 1000 }) +
            '\n',
        );
    } else ctx.out.write(sessionsText(list, timeText(v.utc === true)));
    return EXIT.OK;
  });
}
