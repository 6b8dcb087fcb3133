// Times appear in explanations as the field engineer reads them on a serial console: UTC,
// seconds, with a Z so nobody mistakes them for local time.

/** "12:03:01Z" */
export function clockText(ms: number): string {
  return isoText(ms).slice(11, 19) + 'Z';
}

/** "2026-11-28T12:03:01.000Z", or "invalid time" rather than a thrown RangeError. */
export function isoText(ms: number): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return 'invalid time';
  return new Date(ms).toISOString();
}

export const MINUTE_MS = 60_000;
