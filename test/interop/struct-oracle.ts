// Expected register words computed by Python's struct and fractions modules, not by our
// register-map.ts: the interop suite checks what our driver put on the wire against these.
// One python run answers a whole batch.
import { execFileSync } from 'node:child_process';
import { DEBIAN_PYTHON } from '../helpers/peers.js';

export type OracleType = 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

export interface EncodeAsk {
  type: OracleType;
  wordOrder?: 'BE' | 'LE';
  scale?: number;
  /** The value in its unit, e.g. amps. */
  value: number;
  /**
   * 'limit': integers floor (value / scale, exact decimal arithmetic), float32 takes the float
   * at or below: what a limit written to a charger must be (never above what was asked).
   * 'exact': nearest representation: what a charger would hold for a measurement.
   */
  mode: 'limit' | 'exact';
}

export interface StringAsk {
  type: 'string';
  text: string;
  /** Registers (two ASCII characters each, high byte first, NUL padded). */
  length: number;
}

const PROGRAM = String.raw`
import json, math, struct, sys
from fractions import Fraction

FMT = {"uint16": ">H", "int16": ">h", "uint32": ">I", "int32": ">i", "float32": ">f", "float64": ">d"}

def words(packed, order):
    w = list(struct.unpack(">%dH" % (len(packed) // 2), packed))
    return w[::-1] if order == "LE" else w

def float32_at_or_below(q):
    packed = struct.pack(">f", float(q))
    if Fraction(struct.unpack(">f", packed)[0]) > q:
        bits = struct.unpack(">I", packed)[0]
        bits = bits - 1 if q > 0 else (0x80000001 if q == 0 else bits + 1)
        packed = struct.pack(">I", bits)
    return packed

out = []
for ask in json.load(sys.stdin):
    if ask["type"] == "string":
        raw = ask["text"].encode("ascii").ljust(2 * ask["length"], b"\0")[: 2 * ask["length"]]
        out.append(list(struct.unpack(">%dH" % ask["length"], raw)))
        continue
    # repr of the JS number is its shortest decimal: Fraction of it is the decimal the user meant.
    q = Fraction(ask["value"]) / Fraction(ask.get("scale", 1))
    t = ask["type"]
    if t in ("float32", "float64"):
        if t == "float32" and ask["mode"] == "limit":
            packed = float32_at_or_below(q)
        else:
            packed = struct.pack(FMT[t], float(q))
    else:
        n = math.floor(q) if ask["mode"] == "limit" else round(q)
        packed = struct.pack(FMT[t], n)
    out.append(words(packed, ask.get("wordOrder", "BE")))
json.dump(out, sys.stdout)
`;

const cache = new Map<string, number[]>();

function keyOf(a: EncodeAsk | StringAsk): string {
  return a.type === 'string'
    ? JSON.stringify(['s', a.text, a.length])
    : JSON.stringify([a.type, a.wordOrder ?? 'BE', String(a.scale ?? 1), String(a.value), a.mode]);
}

/**
 * Register words for each ask, in order. Throws (struct.error) for a value the type cannot
 * hold. Answers are cached, so a suite can ask for everything it will need in one python run.
 */
export function oracleWords(asks: Array<EncodeAsk | StringAsk>): number[][] {
  const missing = [...new Map(asks.filter((a) => !cache.has(keyOf(a))).map((a) => [keyOf(a), a])).values()];
  if (missing.length > 0) {
    // Values travel as decimal strings so python's Fraction sees the shortest decimal, not a binary double.
    const payload = JSON.stringify(missing.map((a) => (a.type === 'string' ? a : { ...a, value: String(a.value), scale: String(a.scale ?? 1) })));
    const out = JSON.parse(execFileSync(DEBIAN_PYTHON, ['-c', PROGRAM], { input: payload, encoding: 'utf8', timeout: 10_000 })) as number[][];
    missing.forEach((a, i) => cache.set(keyOf(a), out[i]!));
  }
  return asks.map((a) => [...cache.get(keyOf(a))!]);
}
