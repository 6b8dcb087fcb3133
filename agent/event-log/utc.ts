// Instants in the event log are always UTC: a field engineer's laptop, the gateway and the
// DNO's analyst may sit in different zones (and BST), and evidence must not depend on which.

/** Latest instant whose ISO form still has a four-digit year (9999-12-31T23:59:59.999Z). */
export const MAX_UTC_MS = 253402300799999;

/** UTC, ISO 8601 with milliseconds and Z, e.g. 2026-11-28T12:03:01.123Z. */
export function toUtcIso(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_UTC_MS) {
    throw new RangeError(`instant out of range for the event log: ${String(ms)} ms`);
  }
  return new Date(ms).toISOString();
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses an instant typed by a person on the command line: a date (midnight UTC) or a date and
 * time with optional seconds and milliseconds, with Z or an offset. Without a zone the time is
 * taken as UTC, not as the machine's local time (which Date.parse would use), because the log
 * itself shows UTC and the gateway's zone setting is whatever the image shipped with.
 */
export function parseUtcInstant(text: string): number {
  const m = INSTANT.exec(text.trim());
  if (m === null) {
    throw new Error(`not an ISO 8601 instant: "${text}" (e.g. 2026-11-28, 2026-11-28T12:03Z, 2026-11-28T12:03:01.5+01:00)`);
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const ms = Number(frac.padEnd(3, '0'));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new Error(`not a valid date and time: "${text}"`);
  }
  let offsetMin = 0;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2));
    if (oh > 23 || om > 59) throw new Error(`not a valid UTC offset: "${zone}" in "${text}"`);
    offsetMin = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  return local - offsetMin * 60_000;
}
