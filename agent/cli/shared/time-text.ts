// Times as a field engineer reads them: local time by default (GB is UTC+1 in summer, and the
// customer says "last night at ten"), UTC with --utc. Whichever is shown is named, so a
// screenshot or a pasted line is never ambiguous. The log itself stores UTC (event-log/utc.ts).
import { parseUtcInstant } from '../../event-log/utc.js';

export interface TimeText {
  utc: boolean;
  /** YYYY-MM-DD */
  day(ms: number): string;
  /** HH:MM:SS */
  time(ms: number): string;
  /** YYYY-MM-DD HH:MM:SS */
  dayTime(ms: number): string;
  /** "UTC" or the local offset, e.g. "UTC+01:00". */
  zone(ms: number): string;
}

const two = (n: number) => String(n).padStart(2, '0');

function offsetText(ms: number): string {
  const off = -new Date(ms).getTimezoneOffset();
  if (off === 0) return 'UTC';
  const a = Math.abs(off);
  return `UTC${off < 0 ? '-' : '+'}${two(Math.floor(a / 60))}:${two(a % 60)}`;
}

export function timeText(utc: boolean): TimeText {
  const parts = (ms: number) => {
    const d = new Date(ms);
    return utc
      ? { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, da: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds() }
      : { y: d.getFullYear(), mo: d.getMonth() + 1, da: d.getDate(), h: d.getHours(), mi: d.getMinutes(), s: d.getSeconds() };
  };
  const day = (ms: number) => {
    const p = parts(ms);
    return `${p.y}-${two(p.mo)}-${two(p.da)}`;
  };
  const time = (ms: number) => {
    const p = parts(ms);
    return `${two(p.h)}:${two(p.mi)}:${two(p.s)}`;
  };
  return {
    utc,
    day,
    time,
    dayTime: (ms) => `${day(ms)} ${time(ms)}`,
    zone: (ms) => (utc ? 'UTC' : offsetText(ms)),
  };
}

const HAS_ZONE = /(?:Z|[+-]\d{2}:?\d{2})\s*$/i;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;

/**
 * An instant typed on the command line. With a zone (Z, +01:00) it means that; without one it
 * means the time shown by default: local time, or UTC under --utc. Also "now", and "-90m",
 * "-12h", "-7d" relative to now.
 */
export function parseInstant(text: string, o: { utc: boolean; nowMs: number; name: string }): number {
  const s = text.trim();
  if (s === 'now') return o.nowMs;
  const rel = /^-(\d+)([smhd])$/.exec(s);
  if (rel) return o.nowMs - Number(rel[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[rel[2] as 's' | 'm' | 'h' | 'd'];
  try {
    if (o.utc || HAS_ZONE.test(s)) return parseUtcInstant(s);
    const m = LOCAL.exec(s);
    if (m === null) return parseUtcInstant(s); // for its error message
    const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '0'] = m;
    const ms = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), Number(frac.padEnd(3, '0'))).getTime();
    // parseUtcInstant checks the fields are a real date and time.
    parseUtcInstant(s);
    return ms;
  } catch (err) {
    throw new Error(`--${o.name}: ${(err as Error).message}; or now, -90m, -12h, -7d`);
  }
}

/** "98 min", "2 h 05 min", "45 s" */
export function durationText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  return `${Math.floor(min / 60)} h ${two(min % 60)} min`;
}
