// Pure codecs between a value in its unit (A, W, V ...) and the 16-bit registers a charger
// holds. No I/O here: the bus moves registers, this file gives them meaning.
//
// Rounding rules (the agent writes limits for a distribution network operator, so a limit
// written must never exceed the limit asked for):
// - encode() of an integer type FLOORS toward minus infinity after scaling (6.09 A at 0.1 A
//   -> 60, never 61). A quotient within 1e-9 of an integer counts as that integer, so binary
//   fractions (6.1 / 0.1 = 60.999...) do not lose a whole step.
// - encode() of float32 takes the nearest float32 at or below the value (Math.fround may round
//   up by half an ulp; then the next float32 down is used).
// - decode() is exact for integers (raw * scale) and returns the float as stored.
// - A value outside the type's range after scaling is a RangeError, never a wrap-around.

export type RegisterType = 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64' | 'string';
/** 'BE': high word first (Modbus's usual order); 'LE': low word first (LSW-first, word-swapped). */
export type WordOrder = 'BE' | 'LE';
export type RegisterTable = 'holding' | 'input';

export interface RegisterSpec {
  /** 0-based PDU address of the first register. */
  address: number;
  table: RegisterTable;
  type: RegisterType;
  /** Word order of 32/64-bit values; default 'BE'. */
  wordOrder?: WordOrder;
  /** Value in unit = raw * scale (0.1 for 0.1 A, 0.001 for mA); default 1. Not for strings. */
  scale?: number;
  /** Registers of a string (two ASCII characters each, high byte first). */
  length?: number;
  /** For integer reads: take (raw >> shift) & mask before scaling (status bit fields). */
  shift?: number;
  mask?: number;
  /** A raw (unsigned) pattern that means "no value", decoded as NaN (Bender: 0xFFFFFFFF without a meter). */
  missing?: number;
}

export function registerCount(spec: Pick<RegisterSpec, 'type' | 'length'>): number {
  switch (spec.type) {
    case 'uint16':
    case 'int16':
      return 1;
    case 'uint32':
    case 'int32':
    case 'float32':
      return 2;
    case 'float64':
      return 4;
    case 'string':
      return spec.length ?? 1;
  }
}

export function isWritableType(type: RegisterType): boolean {
  return type !== 'float64' && type !== 'string';
}

const RANGES: Record<'uint16' | 'int16' | 'uint32' | 'int32', [number, number]> = {
  uint16: [0, 0xffff],
  int16: [-0x8000, 0x7fff],
  uint32: [0, 0xffffffff],
  int32: [-0x80000000, 0x7fffffff],
};

/** The largest integer n with n <= value / scale, treating a near-integer quotient as exact. */
export function floorScaled(value: number, scale: number): number {
  const q = value / scale;
  const n = Math.round(q);
  if (Math.abs(q - n) <= 1e-9 * Math.max(1, Math.abs(q))) return n;
  return Math.floor(q);
}

/** The largest float32 that is <= value. */
export function float32AtOrBelow(value: number): number {
  const f = Math.fround(value);
  if (f <= value) return f;
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, f);
  const bits = buf.getUint32(0);
  // Stepping the bit pattern moves one ulp: down for positive numbers, up (in magnitude,
  // i.e. further below zero) for negative ones.
  buf.setUint32(0, f > 0 ? bits - 1 : f === 0 ? 0x80000001 : bits + 1);
  return buf.getFloat32(0);
}

function wordsOf(bytes: DataView, words: number, order: WordOrder): number[] {
  const out: number[] = [];
  for (let i = 0; i < words; i++) out.push(bytes.getUint16(i * 2));
  return order === 'LE' ? out.reverse() : out;
}

function bytesOf(registers: readonly number[], order: WordOrder): DataView {
  const regs = order === 'LE' ? [...registers].reverse() : [...registers];
  const view = new DataView(new ArrayBuffer(regs.length * 2));
  regs.forEach((r, i) => view.setUint16(i * 2, r & 0xffff));
  return view;
}

/**
 * Registers for a value in the spec's unit. Integers floor (see the header); float32 takes
 * the float at or below. Throws RangeError for a value the type cannot hold.
 */
export function encode(spec: RegisterSpec, valueInUnit: number): number[] {
  if (!Number.isFinite(valueInUnit)) throw new RangeError(`cannot encode ${valueInUnit}`);
  const scale = spec.scale ?? 1;
  const order = spec.wordOrder ?? 'BE';
  switch (spec.type) {
    case 'uint16':
    case 'int16':
    case 'uint32':
    case 'int32': {
      const raw = floorScaled(valueInUnit, scale);
      const [lo, hi] = RANGES[spec.type];
      if (raw < lo || raw > hi) {
        throw new RangeError(`${valueInUnit} (raw ${raw}) out of ${spec.type} range ${lo}..${hi}`);
      }
      if (spec.type === 'uint16' || spec.type === 'int16') return [raw & 0xffff];
      const view = new DataView(new ArrayBuffer(4));
      if (spec.type === 'uint32') view.setUint32(0, raw);
      else view.setInt32(0, raw);
      return wordsOf(view, 2, order);
    }
    case 'float32': {
      const raw = float32AtOrBelow(valueInUnit / scale);
      if (!Number.isFinite(raw)) throw new RangeError(`${valueInUnit} out of float32 range`);
      const view = new DataView(new ArrayBuffer(4));
      view.setFloat32(0, raw);
      return wordsOf(view, 2, order);
    }
    case 'float64':
    case 'string':
      throw new RangeError(`${spec.type} registers are read-only here`);
  }
}

/** The value in the spec's unit, or a string for string registers. */
export function decode(spec: RegisterSpec, registers: readonly number[]): number | string {
  const count = registerCount(spec);
  if (registers.length < count) {
    throw new RangeError(`${spec.type} at ${spec.address} needs ${count} registers, got ${registers.length}`);
  }
  const regs = registers.slice(0, count);
  const scale = spec.scale ?? 1;
  const order = spec.wordOrder ?? 'BE';
  if (spec.type === 'string') {
    let s = '';
    for (const r of regs) s += String.fromCharCode((r >> 8) & 0xff, r & 0xff);
    // Unused characters are NUL or space padding.
    return s.replace(/[\0 ]+$/u, '').replace(/^[\0 ]+/u, '');
  }
  const view = bytesOf(regs, order);
  let raw: number;
  switch (spec.type) {
    case 'uint16':
      raw = view.getUint16(0);
      break;
    case 'int16':
      raw = view.getInt16(0);
      break;
    case 'uint32':
      raw = view.getUint32(0);
      break;
    case 'int32':
      raw = view.getInt32(0);
      break;
    case 'float32':
      return view.getFloat32(0) * scale;
    case 'float64':
      return view.getFloat64(0) * scale;
  }
  if (spec.missing !== undefined) {
    const unsigned = count === 1 ? view.getUint16(0) : view.getUint32(0);
    if (unsigned === spec.missing) return Number.NaN;
  }
  if (spec.shift !== undefined || spec.mask !== undefined) {
    // Bit fields are taken from the unsigned pattern; >>> keeps 32-bit values positive.
    raw = Math.floor(raw / 2 ** (spec.shift ?? 0)) >>> 0;
    if (spec.mask !== undefined) raw = (raw & spec.mask) >>> 0;
  }
  // Multiplying by 0.1 gives 6.1000000000000005; dividing by the inverse keeps decimals tidy.
  return scale < 1 && Number.isInteger(1 / scale) ? raw / (1 / scale) : raw * scale;
}

/** Decodes a number, throwing when the spec is a string register. */
export function decodeNumber(spec: RegisterSpec, registers: readonly number[]): number {
  const v = decode(spec, registers);
  if (typeof v !== 'number') throw new TypeError(`register ${spec.address} holds a string`);
  return v;
}

/** Registers holding an ASCII string (for simulators and tests), NUL padded. */
export function encodeString(text: string, lengthRegisters: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < lengthRegisters; i++) {
    const a = text.charCodeAt(i * 2) || 0;
    const b = text.charCodeAt(i * 2 + 1) || 0;
    out.push(((a & 0xff) << 8) | (b & 0xff));
  }
  return out;
}

/**
 * Registers holding a value as stored, without the floor rule: for simulators and for read-
 * only types (float64) whose values the agent never writes.
 */
export function encodeExact(spec: RegisterSpec, valueInUnit: number): number[] {
  if (spec.type === 'float64') {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, valueInUnit / (spec.scale ?? 1));
    return wordsOf(view, 4, spec.wordOrder ?? 'BE');
  }
  if (spec.type === 'string') return encodeString(String(valueInUnit), spec.length ?? 1);
  if (spec.type === 'float32') {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, valueInUnit / (spec.scale ?? 1));
    return wordsOf(view, 2, spec.wordOrder ?? 'BE');
  }
  return encode(spec, Math.round(valueInUnit / (spec.scale ?? 1)) * (spec.scale ?? 1));
}
