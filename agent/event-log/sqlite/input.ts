// What an appended event must be before it touches the file: every append passes here, so a
// bad event refuses its whole batch and nothing half-valid reaches the chain.
import type { RowInput } from '../types.js';
import { MAX_UTC_MS, toUtcIso } from '../utc.js';

// Kinds are dotted identifiers ("switch.open", "charger.write"); printable ASCII without
// spaces keeps them safe on a serial console and in CSV, and makes prefix ranges exact.
const KIND = /^[\x21-\x7e]{1,64}$/;
// A charger id is shown on consoles and written to CSV: no control characters.
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface Prepared {
  atMs: number;
  at: string;
  kind: string;
  switchIdx: number | null;
  chargerId: string | null;
  dataJson: string;
}

export function prepareInput(e: RowInput, index: number, clock: () => number): Prepared {
  // Built only on the error path: this runs for every event appended.
  const where = { toString: () => `event ${index}${typeof e?.kind === 'string' ? ` (${e.kind})` : ''}` };
  if (e === null || typeof e !== 'object') throw new TypeError(`${where}: not an object`);
  if (typeof e.kind !== 'string' || !KIND.test(e.kind)) {
    throw new TypeError(`${where}: kind must be 1-64 printable ASCII characters without spaces, got ${JSON.stringify(e.kind)}`);
  }
  const rawMs = e.atMs ?? clock();
  if (typeof rawMs !== 'number' || !Number.isFinite(rawMs)) {
    throw new TypeError(`${where}: atMs must be a finite number of milliseconds, got ${String(rawMs)}`);
  }
  // The log keeps millisecond precision; a fractional clock (performance-based) is floored.
  const atMs = Math.floor(rawMs);
  if (atMs < 0 || atMs > MAX_UTC_MS) throw new RangeError(`${where}: atMs ${atMs} is outside 1970..9999`);
  const switchIdx = e.switchIdx ?? null;
  if (switchIdx !== null && (!Number.isSafeInteger(switchIdx) || switchIdx < 0)) {
    throw new TypeError(`${where}: switchIdx must be a non-negative integer or null, got ${String(switchIdx)}`);
  }
  const chargerId = e.chargerId ?? null;
  if (chargerId !== null) {
    if (typeof chargerId !== 'string' || chargerId.length === 0 || chargerId.length > 200) {
      throw new TypeError(`${where}: chargerId must be a non-empty string of at most 200 characters or null`);
    }
    if (CONTROL.test(chargerId) || LONE_SURROGATE.test(chargerId)) {
      throw new TypeError(`${where}: chargerId ${JSON.stringify(chargerId)} contains control characters or broken UTF-16`);
    }
  }
  const data = e.data ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TypeError(`${where}: data must be a plain object`);
  }
  let dataJson: string;
  try {
    dataJson = JSON.stringify(data);
  } catch (err) {
    throw new TypeError(`${where}: data cannot be stored as JSON: ${(err as Error).message}`, { cause: err });
  }
  return { atMs, at: toUtcIso(atMs), kind: e.kind, switchIdx, chargerId, dataJson };
}
