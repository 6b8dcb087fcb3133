// One event as one line for a person: what matters first (a switch's state and cause, a
// limit and its reason), times inside the data shown as clock times, durations in seconds,
// so a line cut at 80 columns still answers "what happened".
import { oneLine } from '../../event-log/cli-support.js';
import type { TimeText } from './time-text.js';
import { loggedEvent } from '../../events.js';

type Data = Record<string, unknown>;

/** An instant in ms since the epoch (not a duration): after 2001-09-09. */
const isInstant = (k: string, v: unknown): v is number => typeof v === 'number' && /Ms$/.test(k) && v > 1e12;
const isDuration = (k: string, v: unknown): v is number => typeof v === 'number' && /Ms$/.test(k) && v <= 1e12;

function secs(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function amps(v: unknown): string {
  if (typeof v !== 'number') return v === null || v === undefined ? '-' : String(v);
  return `${Number.isInteger(v) ? v : v.toFixed(1)}`;
}

function value(k: string, v: unknown, tt: TimeText): string {
  if (isInstant(k, v)) return tt.time(v);
  if (isDuration(k, v)) return secs(v);
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** key=value pairs, the telling keys first, "Ms" keys renamed to their plain name. */
export function genericText(d: Data, tt: TimeText): string {
  const first = ['state', 'cause', 'limitA', 'toA', 'reason', 'explanation', 'error'];
  const keys = [...first.filter((k) => k in d), ...Object.keys(d).filter((k) => !first.includes(k))];
  return keys
    .map((k) => {
      const v = d[k];
      if (k === 'explanation' || (k === 'reason' && typeof v === 'string')) return String(v);
      const name = isInstant(k, v) || isDuration(k, v) ? k.replace(/Ms$/, '') : k;
      return `${name}=${value(k, v, tt)}`;
    })
    .join(' ');
}

/** What the explanation says after "<-": the claim that set the limit. */
function because(explanation: unknown): string {
  if (typeof explanation !== 'string') return '';
  const i = explanation.indexOf('<- ');
  return i >= 0 ? explanation.slice(i + 3) : explanation;
}

export function summarize(kind: string, d: Data, tt: TimeText, atMs?: number): string {
  const text = oneLine(summarizeRaw(kind, d, tt));
  return atMs === undefined || tt.utc ? text : localiseClockTexts(text, atMs, tt);
}

/**
 * The core's explanations name times as UTC clock texts ("since 21:03:00Z"); shown beside
 * local times they mislead, so each becomes the local clock time of the nearest such instant.
 */
export function localiseClockTexts(text: string, atMs: number, tt: TimeText): string {
  return text.replace(/\b(\d{2}):(\d{2}):(\d{2})Z\b/g, (whole, h: string, m: string, s: string) => {
    const d = new Date(atMs);
    const base = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), Number(h), Number(m), Number(s));
    const candidates = [base - 86_400_000, base, base + 86_400_000];
    const best = candidates.reduce((a, b) => (Math.abs(b - atMs) < Math.abs(a - atMs) ? b : a));
    return Number.isFinite(best) ? tt.time(best) : whole;
  });
}

function summarizeRaw(kind: string, raw: Data, tt: TimeText): string {
  const e = loggedEvent(kind, raw);
  if (e === null) return genericText(raw, tt);
  switch (e.kind) {
    case 'switch.state': {
      const d = e.data;
      const parts = [`${String(d.state)} cause ${String(d.cause)}`];
      if (typeof d.durMin === 'number') parts.push(`for ${d.durMin} min`);
      if (isInstant('leaseEndMs', d.leaseEndMs)) parts.push(`until ${tt.time(d.leaseEndMs)}`);
      if (d.changed === false) parts.push('(unchanged)');
      if (typeof d.label === 'string') parts.push(`label ${JSON.stringify(d.label)}`);
      if (typeof d.seq === 'number') parts.push(`seq ${d.seq}`);
      return parts.join(' ');
    }
    case 'limit.changed': {
      const d = e.data;
      return `${d.fromA === null || d.fromA === undefined ? '' : `${amps(d.fromA)}->`}${amps(d.toA)} A ${String(d.reason)}: ${because(d.explanation)}`;
    }
    case 'limit.reapplied': {
      const d = e.data;
      return `${amps(d.limitA)} A ${String(d.reason)}: ${because(d.explanation)}`;
    }
    case 'restore.scheduled': {
      const d = e.data;
      return `${amps(d.fromA)}->${amps(d.toA)} A at ${isInstant('dueMs', d.dueMs) ? tt.time(d.dueMs) : '?'} (random delay ${typeof d.delayMs === 'number' ? secs(d.delayMs) : '?'} of max ${typeof d.maxDelayMs === 'number' ? secs(d.maxDelayMs) : '?'})`;
    }
    case 'restore.done':
      return `${amps(e.data.fromA)}->${amps(e.data.toA)} A: delay over`;
    case 'restore.exempt': {
      const d = e.data;
      return `${amps(d.fromA)}->${amps(d.toA)} A now, no delay: ${String(d.reason)}${d.detail ? ` (${d.detail})` : ''}`;
    }
    case 'restore.ramp': {
      const d = e.data;
      return `${amps(d.fromA)}->${amps(d.toA)} A ramp step to ${amps(d.targetA)} A`;
    }
    case 'charger.write': {
      const d = e.data;
      return d.ok
        ? `${amps(d.limitA)} A ok${d.readBackA !== undefined && d.readBackA !== null ? `, read back ${amps(d.readBackA)} A` : ''}, ${String(d.durationMs)} ms (${String(d.reason)})`
        : `${amps(d.limitA)} A FAILED: ${String(d.error)} (${String(d.reason)})`;
    }
    case 'charger.verified': {
      const d = e.data;
      return `measured ${amps('measuredA' in d ? d.measuredA : undefined)} A within ${amps(d.limitA)} A after ${typeof d.confirmMs === 'number' ? secs(d.confirmMs) : '?'}`;
    }
    case 'charger.sample': {
      const d = e.data;
      const a = Array.isArray(d.a) ? d.a.map((x) => x.toFixed(1)).join('/') + ' A' : 'no current';
      const w = typeof d.w === 'number' ? ` ${(d.w / 1000).toFixed(2)} kW${d.e ? ' (est)' : ''}` : '';
      const wh = typeof d.wh === 'number' ? ` +${(d.wh / 1000).toFixed(3)} kWh` : '';
      return `${a}${w}${wh} state ${String(d.st)} limit ${amps(d.lim)} A`;
    }
    case 'boost.granted': {
      const d = e.data;
      return `switch ${String(d.idx)} until ${isInstant('untilMs', d.untilMs) ? tt.time(d.untilMs) : '?'} (${String(d.periodMin)} min), ${String(d.rule)}`;
    }
    case 'boost.denied':
      return `switch ${String(e.data.idx)}: ${String(e.data.reason)}`;
    case 'log.pruned': {
      const d = e.data;
      return `${String(d.rows)} rows before ${isInstant('cutoffMs', d.cutoffMs) ? `${tt.day(d.cutoffMs)} ${tt.time(d.cutoffMs)}` : '?'} pruned; chain continues from id ${String(d.throughId)} hash ${String(d.throughHash).slice(0, 12)}...`;
    }
    case 'owner.command':
      return `${String(e.data.name)} ${JSON.stringify(e.data.args)}`;
    default:
      return genericText(raw, tt);
  }
}
