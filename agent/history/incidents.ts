// Reductions as records a field engineer (and a DNO) can read: "garage reduced 22:03-23:41,
// 98 min at 6 A, cause dno on switch 2, ended by reset, restored after a 212 s random delay,
// 1.4 kWh delivered meanwhile". Derived from the event log's rows alone (pure: rows in, records
// out), so the same answer comes from the gateway, an export or an evidence bundle.
//
// A reduction starts when a charger's limit drops below its normal maximum and lasts until the
// limit is back at that maximum. Its cause is the claim that set the first reduced limit; what
// ended it is the last row that lifted a claim before the restore was scheduled (or applied at
// once, when exempt): the switch closing (reset, or another cause), a boost, the link fallback,
// the owner, or the lease running out.

export interface IncidentRow {
  id: number;
  atMs: number;
  kind: string;
  switchIdx: number | null;
  chargerId: string | null;
  data: Record<string, unknown>;
}

export interface Incident {
  chargerId: string;
  switchIdx: number | null;
  /** dno, calendar, link-fallback, label, owner, site-cap, ... */
  cause: string;
  /** The explanation of the first reduced limit. */
  reason: string;
  startMs: number;
  startId: number;
  /** When what held the limit down went away (the restore was scheduled); null while it holds. */
  endMs: number | null;
  endedBy: string | null;
  /** The random restore delay drawn (Reg 11), or 0 when the increase was exempt. */
  restoreDelayMs: number | null;
  maxRestoreDelayMs: number | null;
  exemptReason: string | null;
  /** When the limit was back at the normal maximum; null if not (yet) in these rows. */
  restoredMs: number | null;
  normalA: number | null;
  fromA: number | null;
  lowestA: number;
  /** Time at each limit while reduced. */
  atLimits: Array<{ limitA: number; ms: number }>;
  /** From charger.sample rows inside the reduction; null when there were none. */
  energyWh: number | null;
  samples: number;
}

interface Open {
  inc: Incident;
  limitA: number;
  sinceMs: number;
}

interface Claim {
  source?: unknown;
  capA?: unknown;
  text?: unknown;
}

function claimsOf(data: Record<string, unknown>): Claim[] {
  return Array.isArray(data.claims) ? (data.claims as Claim[]) : [];
}

function normalOf(data: Record<string, unknown>): number | null {
  const c = claimsOf(data).find((x) => x.source === 'charger' && typeof x.capA === 'number');
  return c ? (c.capA as number) : null;
}

/** The claim that set the limit: the lowest cap other than the charger's own maximum. */
function decisive(data: Record<string, unknown>): Claim | null {
  let best: Claim | null = null;
  for (const c of claimsOf(data)) {
    if (c.source === 'charger' || typeof c.capA !== 'number') continue;
    if (best === null || (c.capA as number) < (best.capA as number)) best = c;
  }
  return best;
}

function causeOf(c: Claim | null): { cause: string; switchIdx: number | null } {
  if (c === null) return { cause: 'unknown', switchIdx: null };
  const text = typeof c.text === 'string' ? c.text : '';
  const sw = /\bswitch (\d+)\b/.exec(text);
  const switchIdx = sw ? Number(sw[1]) : null;
  if (c.source === 'switch') {
    const m = /, cause ([^,;]+)/.exec(text);
    return { cause: m ? (m[1] as string) : 'switch', switchIdx };
  }
  return { cause: typeof c.source === 'string' ? c.source : 'unknown', switchIdx };
}

/** A row that lifts a claim, as "what ended it" text, or null if the row lifts nothing. */
function lifter(r: IncidentRow): { text: string; switchIdx: number | null; chargerId: string | null } | null {
  const d = r.data;
  switch (r.kind) {
    case 'switch.state': {
      // switch.state carries its signal as text (agent/core/events.ts): `closed`, `open`, or a
      // level `at N %`; there is no `percent` field, so a full level is read from the text.
      const level = typeof d.state === 'string' ? /^at (\d+(?:\.\d+)?) %$/.exec(d.state) : null;
      if (d.state === 'closed' || (level !== null && Number(level[1]) >= 100)) {
        return { text: d.cause === 'reset' ? 'reset' : `close (${String(d.cause)})`, switchIdx: r.switchIdx, chargerId: null };
      }
      return null;
    }
    case 'boost.granted':
      return { text: 'boost', switchIdx: r.switchIdx, chargerId: null };
    case 'link.fallback':
      return { text: `fallback (${String(d.fallback)})`, switchIdx: null, chargerId: null };
    case 'lease.expired':
      return { text: 'lease expired', switchIdx: r.switchIdx, chargerId: null };
    case 'owner.restore-now':
      return { text: 'owner (restore-now)', switchIdx: null, chargerId: null };
    case 'owner.manual-limit':
      return { text: 'owner (manual limit)', switchIdx: null, chargerId: r.chargerId };
    case 'link.fresh':
      return { text: 'link back', switchIdx: null, chargerId: null };
    default:
      return null;
  }
}

export function findIncidents(rows: Iterable<IncidentRow>, o: { nowMs?: number } = {}): Incident[] {
  const open = new Map<string, Open>();
  const normal = new Map<string, number>();
  const done: Incident[] = [];
  let lastLift: (ReturnType<typeof lifter> & { atMs: number }) | null = null;
  const lastScheduled = new Map<string, IncidentRow>();

  const closeSegment = (s: Open, atMs: number) => {
    const ms = Math.max(0, atMs - s.sinceMs);
    const seg = s.inc.atLimits.find((x) => x.limitA === s.limitA);
    if (seg) seg.ms += ms;
    else s.inc.atLimits.push({ limitA: s.limitA, ms });
    s.sinceMs = atMs;
  };

  for (const r of rows) {
    const lift = lifter(r);
    if (lift !== null) lastLift = { ...lift, atMs: r.atMs };
    const c = r.chargerId;
    if (c === null) continue;
    const s = open.get(c);
    if (r.kind === 'charger.sample' && s) {
      const wh = r.data.wh;
      if (typeof wh === 'number' && r.atMs > s.inc.startMs) {
        s.inc.energyWh = (s.inc.energyWh ?? 0) + wh;
        s.inc.samples++;
      }
      continue;
    }
    if (r.kind === 'restore.scheduled') lastScheduled.set(c, r);
    if ((r.kind === 'restore.scheduled' || r.kind === 'restore.exempt') && s && s.inc.endMs === null) {
      s.inc.endMs = r.atMs;
      const relevant =
        lastLift !== null &&
        lastLift.atMs >= s.inc.startMs &&
        (lastLift.switchIdx === null || s.inc.switchIdx === null || lastLift.switchIdx === s.inc.switchIdx) &&
        (lastLift.chargerId === null || lastLift.chargerId === c);
      s.inc.endedBy = relevant && lastLift !== null ? lastLift.text : 'target raised';
      if (r.kind === 'restore.scheduled') {
        s.inc.restoreDelayMs = typeof r.data.delayMs === 'number' ? r.data.delayMs : null;
        s.inc.maxRestoreDelayMs = typeof r.data.maxDelayMs === 'number' ? r.data.maxDelayMs : null;
      } else {
        s.inc.restoreDelayMs = 0;
        s.inc.exemptReason = typeof r.data.reason === 'string' ? r.data.reason : null;
        if (r.data.reason === 'boost' || /boost/.test(String(r.data.reason))) s.inc.endedBy = 'boost';
        else if (/owner/.test(String(r.data.reason))) s.inc.endedBy = s.inc.endedBy?.startsWith('owner') ? s.inc.endedBy : 'owner';
      }
      continue;
    }
    if (r.kind === 'restore.cancelled' && s && r.data.reason === 'reduced again') {
      // Reduced again before the delay ran out: the same reduction goes on.
      s.inc.endMs = null;
      s.inc.endedBy = null;
      s.inc.restoreDelayMs = null;
      continue;
    }
    if (r.kind !== 'limit.changed' && r.kind !== 'limit.reapplied') continue;
    const n = normalOf(r.data);
    if (n !== null) normal.set(c, n);
    const max = normal.get(c) ?? null;
    const toA = r.kind === 'limit.changed' ? r.data.toA : r.data.limitA;
    if (typeof toA !== 'number') continue;
    if (s) {
      closeSegment(s, r.atMs);
      if (max !== null && toA >= max) {
        s.inc.restoredMs = r.atMs;
        done.push(s.inc);
        open.delete(c);
      } else {
        s.limitA = toA;
        s.inc.lowestA = Math.min(s.inc.lowestA, toA);
      }
      continue;
    }
    if (max === null || toA >= max) continue;
    const d = decisive(r.data);
    const { cause, switchIdx } = causeOf(d);
    const fromA = r.data.fromA;
    // The first limit after a start with no claim below the maximum: the charger is held at its
    // reduced current until the cold-load rule's random delay, drawn in the same step, runs out.
    const scheduled = lastScheduled.get(c);
    const startHold = d === null && r.data.reason === 'initial' && scheduled !== undefined && scheduled.atMs === r.atMs;
    open.set(c, {
      limitA: toA,
      sinceMs: r.atMs,
      inc: {
        chargerId: c,
        switchIdx,
        cause: startHold ? 'agent start' : cause,
        reason: typeof r.data.explanation === 'string' ? r.data.explanation : '',
        startMs: r.atMs,
        startId: r.id,
        endMs: startHold ? r.atMs : null,
        endedBy: startHold ? 'meter confirm' : null,
        restoreDelayMs: startHold && typeof scheduled.data.delayMs === 'number' ? scheduled.data.delayMs : null,
        maxRestoreDelayMs: startHold && typeof scheduled.data.maxDelayMs === 'number' ? scheduled.data.maxDelayMs : null,
        exemptReason: null,
        restoredMs: null,
        normalA: max,
        fromA: typeof fromA === 'number' ? fromA : null,
        lowestA: toA,
        atLimits: [],
        energyWh: null,
        samples: 0,
      },
    });
  }
  // Still reduced at the end of the rows: count the time up to now (or the last row).
  for (const s of open.values()) {
    if (o.nowMs !== undefined) closeSegment(s, Math.max(s.sinceMs, o.nowMs));
    done.push(s.inc);
  }
  return done.sort((a, b) => a.startMs - b.startMs || a.chargerId.localeCompare(b.chargerId));
}
