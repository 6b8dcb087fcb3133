// The one place the wire meets the core: a parsed HAN line (drivers/han/messages.ts) becomes
// a core input (agent/core/inputs.ts), and a core read request becomes a HAN line. Fields are
// copied one by one, so a field the parser adds later reaches the core only when this file
// says so, and a change on either side fails to compile here rather than somewhere inside
// the core.

import type { HanMessage, ParseOutcome } from '../drivers/han/messages.js';
import { readLine } from '../drivers/han/read.js';
import type { Input, MeterError, MeterReport, ReadWhat, SwitchReport } from './core/types.js';

/** The core's words for one parsed message. */
export function meterReport(m: HanMessage): MeterReport {
  switch (m.verb) {
    case 'SWITCH': {
      const r: SwitchReport = { verb: 'SWITCH', idx: m.idx, type: m.type, state: m.state, cause: m.cause };
      if (m.dev !== undefined) r.dev = m.dev;
      if (m.durMin !== undefined) r.durMin = m.durMin;
      if (m.seq !== undefined) r.seq = m.seq;
      return r;
    }
    case 'LABEL':
      return withSeq({ verb: 'LABEL', idx: m.idx, text: m.text }, m.seq);
    case 'BOOSTCFG':
      return withSeq({ verb: 'BOOSTCFG', loads: m.loads, periodMin: m.periodMin }, m.seq);
    case 'BOOST':
      return withSeq({ verb: 'BOOST', action: m.action }, m.seq);
    case 'HB':
      return withSeq({ verb: 'HB' }, m.seq);
    case 'END':
      return withSeq({ verb: 'END', what: m.what }, m.seq);
    case 'ERR': {
      const r: MeterError = { verb: 'ERR', code: m.code };
      if (m.text !== undefined) r.text = m.text;
      return withSeq(r, m.seq);
    }
  }
}

function withSeq<T extends MeterReport>(r: T, seq: number | undefined): T {
  if (seq !== undefined) r.seq = seq;
  return r;
}

/** The core input for one received line; null for an empty line (nothing to tell). */
export function hanInput(raw: string, outcome: ParseOutcome): Input | null {
  switch (outcome.kind) {
    case 'empty':
      return null;
    case 'message':
      return { type: 'han', message: meterReport(outcome.message) };
    case 'rejected':
      return { type: 'han-rejected', reason: outcome.reason, line: printable(raw) };
    case 'ignored':
      return { type: 'han-ignored', verb: outcome.verb };
  }
}

/** The line that carries a core read request. */
export function readRequestLine(what: ReadWhat): string {
  return readLine(what);
}

/** Keeps a rejected line loggable: non-printable bytes shown as \xHH, at most 300 chars. */
export function printable(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length && out.length < 300; i++) {
    const c = raw.charCodeAt(i);
    out += c >= 0x20 && c <= 0x7e ? raw[i] : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}
