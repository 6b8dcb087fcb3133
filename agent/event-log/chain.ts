// The hash chain that makes the event log tamper-evident. Each row's hash covers the previous
// row's hash and the row's own columns, so editing, removing or reordering a row breaks the
// chain at (or right after) that row. The encoding below is the whole definition: anyone with
// the exported rows and a SHA-256 can re-verify the chain without this code.
//
// Canonical encoding (version 1)
// ------------------------------
//   preimage = "hcalcs-event-log/1" LF prev_hash LF
//              F(id) F(at) F(at_ms) F(kind) F(switch) F(charger) F(data)
//   hash     = SHA-256(preimage as bytes), written as 64 lowercase hex digits
// where LF is the byte 0x0A, prev_hash is the previous row's hash as 64 lowercase hex ASCII
// digits (for the first row: 64 ASCII "0"), and each column is encoded by its type as
//   F(NULL)    = "n"
//   F(integer) = "i" <the integer in decimal ASCII, "-" if negative, no "+", no leading zeros> ";"
//   F(text)    = "s" <byte length of the text in UTF-8, decimal ASCII> ":" <the UTF-8 bytes>
// Column types are fixed: id, at_ms are integers; at, kind, data are text; switch is an integer
// or NULL; charger is text or NULL. `data` is the column's stored JSON text byte for byte (not
// a re-serialisation), so a verifier never has to agree with us on JSON formatting.
// Length prefixes (rather than separators) make the encoding injective: no choice of field
// contents can make two different rows produce the same preimage.
import * as crypto from 'node:crypto';

export const CHAIN_VERSION_TAG = 'hcalcs-event-log/1';
export const GENESIS_HASH = '0'.repeat(64);

/** The columns the hash covers, as stored. */
export interface ChainFields {
  id: number;
  at: string;
  atMs: number;
  kind: string;
  switchIdx: number | null;
  chargerId: string | null;
  dataJson: string;
}

/** A row as stored: the columns the chain covers plus both hashes. */
export interface ChainRow extends ChainFields {
  prevHash: string;
  hash: string;
}

function int(n: number): string {
  return `i${n};`;
}

function text(s: string): string {
  return `s${Buffer.byteLength(s, 'utf8')}:${s}`;
}

export function canonicalPreimage(prevHash: string, f: ChainFields): string {
  return (
    `${CHAIN_VERSION_TAG}\n${prevHash}\n` +
    int(f.id) +
    text(f.at) +
    int(f.atMs) +
    text(f.kind) +
    (f.switchIdx === null ? 'n' : int(f.switchIdx)) +
    (f.chargerId === null ? 'n' : text(f.chargerId)) +
    text(f.dataJson)
  );
}

// crypto.hash (Node >= 20.12) skips the Hash object and is about twice as fast on rows this
// small, which is most of what verify() spends; older Node 20 falls back to createHash.
const sha256Hex: (s: string) => string =
  typeof crypto.hash === 'function' ? (s) => crypto.hash('sha256', s, 'hex') : (s) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');

export function chainHash(prevHash: string, f: ChainFields): string {
  return sha256Hex(canonicalPreimage(prevHash, f));
}

export interface ChainBreak {
  firstBadId: number;
  reason: string;
}

/**
 * Checks rows one at a time in id order; returns the first break found, or null while the
 * chain holds. A gap in ids is reported before the hashes are looked at because it names what
 * happened (rows removed) more plainly than the prev_hash mismatch that follows from it.
 */
export class ChainChecker {
  private prevId: number;
  private prevHash: string;
  count = 0;

  /** Starts after the row `after` (default: before the first row), e.g. mid-chain for one slice. */
  constructor(after: { id: number; hash: string } = { id: 0, hash: GENESIS_HASH }) {
    this.prevId = after.id;
    this.prevHash = after.hash;
  }

  /** The last row that checked out (id 0 and the genesis hash before any). */
  get head(): { id: number; hash: string } {
    return { id: this.prevId, hash: this.prevHash };
  }

  check(row: ChainRow): ChainBreak | null {
    this.count++;
    if (row.id !== this.prevId + 1) {
      const missing = row.id > this.prevId + 1 ? `rows ${this.prevId + 1}..${row.id - 1} are missing` : `ids out of order (id ${row.id} after ${this.prevId})`;
      return { firstBadId: row.id, reason: `id ${row.id} does not follow ${this.prevId}: ${missing}` };
    }
    if (row.prevHash !== this.prevHash) {
      const before = this.prevId === 0 ? 'the chain start' : `row ${this.prevId}`;
      return {
        firstBadId: row.id,
        reason: `prev_hash does not match the hash of ${before} (a row before it was removed, reordered or rewritten)`,
      };
    }
    const expected = chainHash(this.prevHash, row);
    if (row.hash !== expected) {
      return { firstBadId: row.id, reason: 'the row does not match its hash (its content or hash was edited)' };
    }
    this.prevId = row.id;
    this.prevHash = row.hash;
    return null;
  }
}
