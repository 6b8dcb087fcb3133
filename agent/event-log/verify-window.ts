// Checks an exported window on its own, as a third party would with the recipe in README.md:
// every row's hash from its own columns, every prev_hash equal to the hash of the row before,
// the first one equal to the anchor's (or the checkpoint's) hash. Used by `evidence` to state
// in the bundle that the bundle's own events pass.
import { GENESIS_HASH, chainHash, type ChainRow } from './chain.js';

export type WindowVerify =
  | {
      ok: true;
      rows: number;
      firstId: number | null;
      lastId: number | null;
      headHash: string | null;
      anchoredBy: 'genesis' | 'anchor row' | 'checkpoint' | 'none';
    }
  | { ok: false; rows: number; badId: number; reason: string };

interface JsonlRow {
  id: number;
  at: string;
  at_ms: number;
  kind: string;
  switch: number | null;
  charger: string | null;
  data: string;
  prev_hash: string;
  hash: string;
  anchor?: boolean;
  checkpoint?: boolean;
}

export function verifyJsonlWindow(text: string): WindowVerify {
  let prev: { id: number; hash: string } | null = null;
  let anchoredBy: 'genesis' | 'anchor row' | 'checkpoint' | 'none' = 'none';
  let rows = 0;
  let firstId: number | null = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const r = JSON.parse(line) as JsonlRow;
    if (r.checkpoint === true) {
      prev = { id: r.id, hash: r.hash };
      anchoredBy = 'checkpoint';
      continue;
    }
    const row: ChainRow = {
      id: r.id,
      at: r.at,
      atMs: r.at_ms,
      kind: r.kind,
      switchIdx: r.switch,
      chargerId: r.charger,
      dataJson: r.data,
      prevHash: r.prev_hash,
      hash: r.hash,
    };
    if (chainHash(row.prevHash, row) !== row.hash) return { ok: false, rows, badId: row.id, reason: 'the row does not match its hash' };
    if (r.anchor === true) {
      prev = { id: row.id, hash: row.hash };
      anchoredBy = 'anchor row';
      continue;
    }
    if (prev === null) {
      if (row.prevHash === GENESIS_HASH && row.id === 1) anchoredBy = 'genesis';
      else return { ok: false, rows, badId: row.id, reason: 'the first row has no anchor and does not start the chain' };
    } else if (row.id !== prev.id + 1 || row.prevHash !== prev.hash) {
      return { ok: false, rows, badId: row.id, reason: `does not follow row ${prev.id}` };
    }
    firstId ??= row.id;
    prev = { id: row.id, hash: row.hash };
    rows++;
  }
  return { ok: true, rows, firstId, lastId: rows > 0 ? (prev?.id ?? null) : null, headHash: rows > 0 ? (prev?.hash ?? null) : null, anchoredBy };
}
