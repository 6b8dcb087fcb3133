// Rows as SQLite hands them over (raw arrays: no per-row object building in the driver) and
// the two shapes the store gives out: stored byte for byte, or with its data parsed.
import type { ChainRow } from '../chain.js';
import type { EventRow } from '../types.js';

export type RawRow = [number, string, number, string, number | null, string | null, string, string, string];

export const COLUMNS = 'id, at, at_ms, kind, "switch", charger, data, prev_hash, hash';

export function storedFromRaw(r: RawRow): ChainRow {
  return {
    id: r[0],
    at: r[1],
    atMs: r[2],
    kind: r[3],
    switchIdx: r[4],
    chargerId: r[5],
    dataJson: r[6],
    prevHash: r[7],
    hash: r[8],
  };
}

export function parseData(json: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(json);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    return { value: v };
  } catch {
    // Only reachable if someone wrote the file by hand; show it rather than fail the query.
    return { unparseable: json };
  }
}

export function rowFromRaw(r: RawRow): EventRow {
  return {
    id: r[0],
    at: r[1],
    atMs: r[2],
    kind: r[3],
    switchIdx: r[4],
    chargerId: r[5],
    data: parseData(r[6]),
    hash: r[8],
  };
}
