// Rejected lines and lines with unknown verbs cost O(1) each, in memory and on disk, however
// many arrive: the first of a window is recorded in full (the engineer sees it at once), the
// rest of the window are counted by reason (or verb) with a few samples, and one summary row
// closes the window. A window lasts WINDOW_MS; a stream of bad lines thus makes at most two
// rows a minute. The per-reason and per-verb tallies are bounded the same way.

import type { Ms } from './types.js';
import type { BadLineWindow, CoreState } from './state.js';
import { emitEvent, type Ctx } from './ctx.js';

export const WINDOW_MS = 60_000;
export const MAX_SAMPLES = 3;
/** Distinct keys a tally keeps; the rest are counted under OTHER_KEY. */
export const MAX_KEYS = 16;
export const OTHER_KEY = '(other)';
const SAMPLE_CHARS = 120;

/** Adds one to a tally without letting its set of keys grow past MAX_KEYS. */
export function tally(by: Record<string, number>, key: string): void {
  const k = key in by || Object.keys(by).length < MAX_KEYS - 1 ? key : OTHER_KEY;
  by[k] = (by[k] ?? 0) + 1;
}

type Kind = 'rejected' | 'ignored';

/** One bad line. Returns true if it was recorded in full (the first of a window). */
function onBadLine(state: CoreState, kind: Kind, key: string, sample: string, ctx: Ctx): boolean {
  const w = state.badLines[kind];
  if (w.sinceMs === null) {
    w.sinceMs = ctx.nowMs;
    return true;
  }
  w.count += 1;
  tally(w.by, key);
  if (w.samples.length < MAX_SAMPLES) w.samples.push(sample.slice(0, SAMPLE_CHARS));
  return false;
}

export function onRejected(state: CoreState, reason: string, line: string, ctx: Ctx): void {
  const c = state.counters;
  c.linesRejected += 1;
  tally(c.rejectedByReason, reason);
  if (onBadLine(state, 'rejected', reason, line, ctx)) emitEvent(ctx, 'han.rejected', { reason, line: line.slice(0, 256) });
}

export function onIgnored(state: CoreState, verb: string, ctx: Ctx): void {
  const c = state.counters;
  c.linesIgnored += 1;
  tally(c.ignoredByVerb, verb);
  if (onBadLine(state, 'ignored', verb, verb, ctx)) emitEvent(ctx, 'han.ignored', { verb: verb.slice(0, 64) });
}

/** Closes windows that have run their time: a summary if more lines came, else quietly. */
export function advanceBadLines(state: CoreState, ctx: Ctx): void {
  const rejected = state.badLines.rejected;
  close(rejected, ctx, (fromMs) =>
    emitEvent(ctx, 'han.rejected-summary', { fromMs, toMs: ctx.nowMs, count: rejected.count, byReason: rejected.by, samples: rejected.samples }),
  );
  const ignored = state.badLines.ignored;
  close(ignored, ctx, (fromMs) =>
    emitEvent(ctx, 'han.ignored-summary', { fromMs, toMs: ctx.nowMs, count: ignored.count, byVerb: ignored.by, samples: ignored.samples }),
  );
}

function close(w: BadLineWindow, ctx: Ctx, summarise: (fromMs: Ms) => void): void {
  if (w.sinceMs === null || ctx.nowMs < w.sinceMs + WINDOW_MS) return;
  if (w.count > 0) {
    summarise(w.sinceMs);
    // A stream that goes on keeps one window open after another: only summaries, no more firsts.
    w.sinceMs = ctx.nowMs;
  } else {
    w.sinceMs = null;
  }
  w.count = 0;
  w.by = {};
  w.samples = [];
}

export function nextBadLinesWakeMs(state: CoreState): Ms | null {
  let at: Ms | null = null;
  for (const w of [state.badLines.rejected, state.badLines.ignored]) {
    if (w.sinceMs === null) continue;
    const t = w.sinceMs + WINDOW_MS;
    if (at === null || t < at) at = t;
  }
  return at;
}
