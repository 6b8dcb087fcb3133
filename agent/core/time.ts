// Times appear in explanations as the field engineer reads them on a serial console: UTC,
// seconds, with a Z so nobody mistakes them for local time.

const DAY_MS = 86_400_000;
const two = (n: number): string => (n < 10 ? '0' : '') + String(n);

/** "12:03:01Z". Arithmetic rather than Date: explanations are built on every step. */
export function clockText(ms: number): string {
  if (!Number.isFinite(ms)) return 'invalid time';
  const s = Math.floor((((ms % DAY_MS) + DAY_MS) % DAY_MS) / 1000);
  return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}Z`;
}

/** "2026-11-28T12:03:01.000Z", or "invalid time" rather than a thrown RangeError. */
export function isoText(ms: number): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return 'invalid time';
  return new Date(ms).toISOString();
}

export const MINUTE_MS = 60_000;
