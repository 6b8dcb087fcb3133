// Charging sessions from the history samples (charger.sample rows): when a car charged, how
// much energy it took, and how long of it the charger was held below its normal maximum and
// by whom (the reductions from incidents.ts). Pure: rows in, records out.
import type { Incident, IncidentRow } from './incidents.js';

export interface Session {
  chargerId: string;
  startMs: number;
  endMs: number;
  energyWh: number;
  samples: number;
  /** Time inside the session during which the charger was reduced. */
  limitedMs: number;
  /** Causes of those reductions, e.g. "dno (switch 2)". */
  limitedBy: string[];
  peakA: number;
}

/** A charging pause longer than this ends the session. */
export const SESSION_GAP_MS = 15 * 60_000;
const CHARGING_A = 0.5;

function charging(d: Record<string, unknown>): boolean {
  if (d.ch === true) return true;
  if (d.ch === false) return false;
  return Array.isArray(d.a) && (d.a as number[]).some((x) => x > CHARGING_A);
}

export function findSessions(rows: Iterable<IncidentRow>, incidents: Incident[], o: { nowMs?: number } = {}): Session[] {
  const open = new Map<string, Session & { lastChargingMs: number }>();
  const done: Session[] = [];
  const finish = (s: Session & { lastChargingMs: number }) => {
    const { lastChargingMs, ...rest } = s;
    rest.endMs = lastChargingMs;
    done.push(rest);
  };
  for (const r of rows) {
    if (r.kind !== 'charger.sample' || r.chargerId === null) continue;
    const c = r.chargerId;
    const s = open.get(c);
    const on = charging(r.data);
    const wh = typeof r.data.wh === 'number' ? r.data.wh : 0;
    const a = Array.isArray(r.data.a) ? Math.max(0, ...(r.data.a as number[])) : 0;
    if (s && r.atMs - s.lastChargingMs > SESSION_GAP_MS) {
      finish(s);
      open.delete(c);
    }
    const cur = open.get(c);
    if (on) {
      if (cur) {
        cur.energyWh += wh;
        cur.samples++;
        cur.lastChargingMs = r.atMs;
        cur.peakA = Math.max(cur.peakA, a);
      } else {
        open.set(c, { chargerId: c, startMs: r.atMs, endMs: r.atMs, energyWh: 0, samples: 1, limitedMs: 0, limitedBy: [], peakA: a, lastChargingMs: r.atMs });
      }
    } else if (cur) {
      // The energy of the interval in which charging stopped still belongs to the session.
      cur.energyWh += wh;
    }
  }
  for (const s of open.values()) finish(s);
  for (const s of done) {
    for (const inc of incidents) {
      if (inc.chargerId !== s.chargerId) continue;
      const end = inc.restoredMs ?? o.nowMs ?? s.endMs;
      const overlap = Math.min(end, s.endMs) - Math.max(inc.startMs, s.startMs);
      if (overlap <= 0) continue;
      s.limitedMs += overlap;
      const by = `${inc.cause}${inc.switchIdx !== null ? ` (switch ${inc.switchIdx})` : ''}`;
      if (!s.limitedBy.includes(by)) s.limitedBy.push(by);
    }
  }
  return done.sort((x, y) => x.startMs - y.startMs);
}
