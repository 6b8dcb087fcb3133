// The HAN line protocol v1 parser and formatter (drivers/han/PROTOCOL.md). Pure: no I/O,
// no clock. It sits on the hot path (HAN line -> Modbus write, p99 <= 2 ms), so it scans with
// charCodeAt instead of regular expressions and allocates only the fields and the message.
//
// A line arrives as a latin1 string (one char per byte), so `length` and every char code are
// exact byte counts and byte values: a UTF-8 multi-byte sequence shows up as bytes >= 0x80,
// which the byte check rejects.

import type {
  BoostConfigMessage,
  BoostMessage,
  EndMessage,
  ErrorMessage,
  HanMessage,
  HeartbeatMessage,
  LabelMessage,
  ParseOutcome,
  RejectReason,
  SwitchCause,
  SwitchMessage,
  SwitchState,
  SwitchType,
} from './messages.js';

/** The protocol's limit on a line, its LF terminator included. */
export const MAX_LINE_BYTES = 256;
/** The most characters a quoted value (a LABEL's text) may hold. */
export const MAX_TEXT_CHARS = 64;

export interface ParseOptions {
  /** Reject a line that does not end in a well-formed `*HH` as bad_checksum. */
  requireChecksum?: boolean;
}

const SPACE = 0x20;
const CR = 0x0d;
const STAR = 0x2a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;

// Outcomes without payload are shared: a flood of bad lines then costs no allocation.
const EMPTY: ParseOutcome = Object.freeze({ kind: 'empty' });
const rejections = new Map<string, ParseOutcome>();
function reject(reason: RejectReason): ParseOutcome {
  let outcome = rejections.get(reason);
  if (outcome === undefined) {
    outcome = Object.freeze({ kind: 'rejected', reason }) as ParseOutcome;
    // Reasons are drawn from a fixed set (verb fields are known names), so this stays small.
    rejections.set(reason, outcome);
  }
  return outcome;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function isTokenChar(c: number): boolean {
  // [A-Za-z0-9._:,+-]
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x3a ||
    c === 0x2c ||
    c === 0x2b ||
    c === 0x2d
  );
}

const HEX_DIGITS = '0123456789ABCDEF';

/** The protocol checksum of `s`: XOR of its bytes (latin1 char codes), two upper-case hex digits. */
export function checksumOf(s: string): string {
  let x = 0;
  for (let i = 0; i < s.length; i++) x ^= s.charCodeAt(i) & 0xff;
  return HEX_DIGITS.charAt(x >> 4) + HEX_DIGITS.charAt(x & 0x0f);
}

/**
 * Parses one line: the bytes before its LF as a latin1 string. Never throws. The checks run in
 * the protocol's order (length, bytes, checksum, syntax, fields) and the first failure names the
 * reason. `fields` in the outcome holds every key=value as received (unknown keys too); the
 * message holds only the verb's known fields, converted.
 */
export function parseLine(line: string, options?: ParseOptions): ParseOutcome {
  // Length first, counted as received: the CR of a CRLF terminator counts toward the limit.
  if (line.length > MAX_LINE_BYTES - 1) return reject('line_too_long');

  let end = line.length;
  if (end > 0 && line.charCodeAt(end - 1) === CR) end--;
  // The byte check also XORs every byte, so the checksum needs no second pass over the line.
  let xorAll = 0;
  for (let i = 0; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return reject('bad_byte');
    xorAll ^= c;
  }
  const bodyEnd = end;

  let start = 0;
  while (start < end && line.charCodeAt(start) === SPACE) start++;
  while (end > start && line.charCodeAt(end - 1) === SPACE) end--;
  if (start === end) return EMPTY;

  // The checksum is the last three bytes `*HH`. A `*` anywhere else is only legal inside a
  // quoted string, so it is left to the syntax check; `*5g` (not hex) is bad_syntax there.
  if (end - start >= 3 && line.charCodeAt(end - 3) === STAR) {
    const hi = hexValue(line.charCodeAt(end - 2));
    const lo = hexValue(line.charCodeAt(end - 1));
    if (hi >= 0 && lo >= 0) {
      // "every byte before the *": the whole line up to the star, leading spaces included.
      let x = xorAll;
      for (let i = end - 3; i < bodyEnd; i++) x ^= line.charCodeAt(i);
      if (x !== ((hi << 4) | lo)) return reject('bad_checksum');
      end -= 3;
      while (end > start && line.charCodeAt(end - 1) === SPACE) end--;
    } else if (options?.requireChecksum) {
      return reject('bad_checksum');
    }
  } else if (options?.requireChecksum) {
    return reject('bad_checksum');
  }

  // VERB: [A-Z][A-Z0-9_]*
  let i = start;
  let c = line.charCodeAt(i);
  if (!(c >= 0x41 && c <= 0x5a)) return reject('bad_syntax');
  i++;
  while (i < end) {
    c = line.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f) i++;
    else break;
  }
  if (i < end && line.charCodeAt(i) !== SPACE) return reject('bad_syntax');
  const verb = line.slice(start, i);

  const fields: Record<string, string> = {};
  while (i < end) {
    // One or more spaces, then key=value.
    while (i < end && line.charCodeAt(i) === SPACE) i++;
    if (i === end) break;
    const keyStart = i;
    while (i < end) {
      c = line.charCodeAt(i);
      if (c >= 0x61 && c <= 0x7a) i++;
      else break;
    }
    if (i === keyStart || i >= end || line.charCodeAt(i) !== EQUALS) return reject('bad_syntax');
    const key = line.slice(keyStart, i);
    i++;
    if (i >= end) return reject('bad_syntax');
    let value: string;
    if (line.charCodeAt(i) === QUOTE) {
      i++;
      let segStart = i;
      let closed = false;
      value = '';
      while (i < end) {
        c = line.charCodeAt(i);
        if (c === QUOTE) {
          closed = true;
          break;
        }
        if (c === BACKSLASH) {
          const next = i + 1 < end ? line.charCodeAt(i + 1) : -1;
          if (next !== QUOTE && next !== BACKSLASH) return reject('bad_syntax');
          value += line.slice(segStart, i) + (next === QUOTE ? '"' : '\\');
          i += 2;
          segStart = i;
        } else {
          i++;
        }
      }
      if (!closed) return reject('bad_syntax');
      value += line.slice(segStart, i);
      i++; // the closing quote
    } else {
      const valueStart = i;
      while (i < end && isTokenChar(line.charCodeAt(i))) i++;
      if (i === valueStart) return reject('bad_syntax');
      value = line.slice(valueStart, i);
    }
    if (i < end && line.charCodeAt(i) !== SPACE) return reject('bad_syntax');
    // hasOwn, not a lookup: keys are [a-z]+, and "constructor" is one of those.
    if (Object.hasOwn(fields, key)) return reject('bad_syntax');
    fields[key] = value;
  }

  return interpret(verb, fields);
}

// ---- field checks -------------------------------------------------------------------------

/** A decimal integer in [min, max], digits only; -1 when it is not one. */
function intIn(s: string, min: number, max: number): number {
  const n = s.length;
  if (n === 0 || n > 6) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v >= min && v <= max ? v : -1;
}

const SWITCH_STATES: ReadonlySet<string> = new Set<SwitchState>(['open', 'closed']);
const SWITCH_CAUSES: ReadonlySet<string> = new Set<SwitchCause>(['dno', 'supplier', 'calendar', 'boost', 'reset', 'unknown']);
const SWITCH_TYPES: ReadonlySet<string> = new Set<SwitchType>(['HCALCS', 'ALCS']);

/** EUI-64 as XX-XX-XX-XX-XX-XX-XX-XX, hex either case; upper case, or null when malformed. */
function eui64(s: string): string | null {
  if (s.length !== 23) return null;
  for (let i = 0; i < 23; i++) {
    const c = s.charCodeAt(i);
    if (i % 3 === 2) {
      if (c !== 0x2d) return null;
    } else if (hexValue(c) < 0) {
      return null;
    }
  }
  return s.toUpperCase();
}

/** "-" for none, else a comma list of distinct switch numbers 1-5; null when malformed. */
function loadList(s: string): number[] | null {
  if (s === '-') return [];
  const loads: number[] = [];
  let seen = 0;
  // Exactly "d(,d)*" with each d a single digit 1-5: anything longer is malformed anyway.
  if (s.length % 2 === 0) return null;
  for (let i = 0; i < s.length; i += 2) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 1 || d > 5) return null;
    if (i + 1 < s.length && s.charCodeAt(i + 1) !== 0x2c) return null;
    if (seen & (1 << d)) return null;
    seen |= 1 << d;
    loads.push(d);
  }
  return loads;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** seq on any meter-side line: absent (undefined), valid (a number) or bad (-1). */
function seqOf(fields: Record<string, string>): number | undefined {
  const s = fields.seq;
  if (s === undefined) return undefined;
  return intIn(s, 0, 65535);
}

function interpret(verb: string, fields: Record<string, string>): ParseOutcome {
  let message: HanMessage;
  switch (verb) {
    case 'SWITCH': {
      const idxS = fields.idx;
      if (idxS === undefined) return reject('missing_field:idx');
      const idx = intIn(idxS, 1, 5);
      if (idx < 0) return reject('bad_value:idx');
      const state = fields.state;
      if (state === undefined) return reject('missing_field:state');
      if (!SWITCH_STATES.has(state)) return reject('bad_value:state');
      const type = fields.type ?? 'HCALCS';
      if (!SWITCH_TYPES.has(type)) return reject('bad_value:type');
      let dev: string | undefined;
      if (fields.dev !== undefined) {
        const d = eui64(fields.dev);
        if (d === null) return reject('bad_value:dev');
        dev = d;
      }
      const cause = fields.cause ?? 'unknown';
      if (!SWITCH_CAUSES.has(cause)) return reject('bad_value:cause');
      let durMin: number | undefined;
      if (fields.dur !== undefined) {
        durMin = intIn(fields.dur, 0, 1440);
        if (durMin < 0) return reject('bad_value:dur');
      }
      const seq = seqOf(fields);
      if (seq === -1) return reject('bad_value:seq');
      const m: SwitchMessage = { verb: 'SWITCH', idx, type: type as SwitchType, state: state as SwitchState, cause: cause as SwitchCause };
      if (dev !== undefined) m.dev = dev;
      // dur=0 and no dur mean the same (until further notice): one representation downstream.
      if (durMin !== undefined && durMin > 0) m.durMin = durMin;
      if (seq !== undefined) m.seq = seq;
      message = m;
      break;
    }
    case 'LABEL': {
      const idxS = fields.idx;
      if (idxS === undefined) return reject('missing_field:idx');
      const idx = intIn(idxS, 1, 5);
      if (idx < 0) return reject('bad_value:idx');
      const text = fields.text;
      if (text === undefined) return reject('missing_field:text');
      if (text.length > MAX_TEXT_CHARS) return reject('bad_value:text');
      const seq = seqOf(fields);
      if (seq === -1) return reject('bad_value:seq');
      const m: LabelMessage = { verb: 'LABEL', idx, text };
      if (seq !== undefined) m.seq = seq;
      message = m;
      break;
    }
    case 'BOOSTCFG': {
      const loadsS = fields.loads;
      if (loadsS === undefined) return reject('missing_field:loads');
      const loads = loadList(loadsS);
      if (loads === null) return reject('bad_value:loads');
      const periodS = fields.period;
      if (periodS === undefined) return reject('missing_field:period');
      const periodMin = intIn(periodS, 1, 1440);
      if (periodMin < 0) return reject('bad_value:period');
      const seq = seqOf(fields);
      if (seq === -1) return reject('bad_value:seq');
      const m: BoostConfigMessage = { verb: 'BOOSTCFG', loads, periodMin };
      if (seq !== undefined) m.seq = seq;
      message = m;
      break;
    }
    case 'BOOST': {
      const action = fields.action;
      if (action === undefined) return reject('missing_field:action');
      if (action !== 'press' && action !== 'cancel') return reject('bad_value:action');
      const seq = seqOf(fields);
      if (seq === -1) return reject('bad_value:seq');
      const m: BoostMessage = { verb: 'BOOST', action };
      if (seq !== undefined) m.seq = seq;
      message = m;
      break;
    }
    case 'HB': {
      const seq = seqOf(fields);
      if (seq === -1) return reject('bad_value:seq');
      const time = fields.time;
      if (time !== undefined && !ISO_UTC.test(time)) return reject('bad_value:time');
      const m: HeartbeatMessage = { verb: 'HB' };
      if (seq !== undefined) m.seq = seq;
      if (time !== undefined) m.time = time;
      message = m;
      break;
    }
    case 'END': {
      const what = fields.what;
      if (what === undefined) return reject('missing_field:what');
      if (what.length === 0 || what.length > MAX_TEXT_CHARS) return reject('bad_value:what');
      const seq = seqOf(fields);
      if (seq === -1) return reject('bad_value:seq');
      const m: EndMessage = { verb: 'END', what };
      if (seq !== undefined) m.seq = seq;
      message = m;
      break;
    }
    case 'ERR': {
      const code = fields.code;
      if (code === undefined) return reject('missing_field:code');
      if (code.length === 0 || code.length > MAX_TEXT_CHARS) return reject('bad_value:code');
      const text = fields.text;
      if (text !== undefined && text.length > MAX_TEXT_CHARS) return reject('bad_value:text');
      const seq = seqOf(fields);
      if (seq === -1) return reject('bad_value:seq');
      const m: ErrorMessage = { verb: 'ERR', code };
      if (text !== undefined) m.text = text;
      if (seq !== undefined) m.seq = seq;
      message = m;
      break;
    }
    default:
      // Forward compatibility: a verb this version does not know (the agent's own READ and
      // PING included, which the meter side reads this way) is counted, not acted on.
      return { kind: 'ignored', verb, fields };
  }
  return { kind: 'message', message, fields };
}

// ---- formatting (what the agent and the emulator send) ---------------------------------------

function isVerb(s: string): boolean {
  if (s.length === 0) return false;
  const c0 = s.charCodeAt(0);
  if (!(c0 >= 0x41 && c0 <= 0x5a)) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f)) return false;
  }
  return true;
}

function isKey(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(c >= 0x61 && c <= 0x7a)) return false;
  }
  return true;
}

function formatValue(key: string, v: string): string {
  let token = v.length > 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new RangeError(`formatLine: ${key} holds a byte outside 0x20-0x7E`);
    if (token && !isTokenChar(c)) token = false;
  }
  if (token) return v;
  return '"' + v.replace(/[\\"]/g, '\\$&') + '"';
}

/**
 * One protocol line, without its LF: `VERB key=value ...`, a value quoted (with `\"` and `\\`)
 * where it is not a plain token, and `*HH` appended when `options.checksum` is set. Throws a
 * RangeError for a verb, key or byte the protocol cannot carry or a line over the limit: those
 * are programming errors, never data from the wire.
 */
export function formatLine(verb: string, fields: Record<string, string | number> = {}, options?: { checksum?: boolean }): string {
  if (!isVerb(verb)) throw new RangeError(`formatLine: bad verb ${JSON.stringify(verb)}`);
  let line = verb;
  for (const key of Object.keys(fields)) {
    if (!isKey(key)) throw new RangeError(`formatLine: bad key ${JSON.stringify(key)}`);
    const raw = fields[key];
    if (raw === undefined) continue;
    line += ' ' + key + '=' + formatValue(key, String(raw));
  }
  if (options?.checksum) line += '*' + checksumOf(line);
  if (line.length > MAX_LINE_BYTES - 1) throw new RangeError(`formatLine: line of ${line.length} bytes exceeds ${MAX_LINE_BYTES - 1}`);
  return line;
}
