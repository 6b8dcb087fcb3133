// The time window the reporting commands (incidents, history, evidence) share: --since and
// --until as typed (local unless --utc), and the rows needed to tell the story inside it.
import type { EventLogStore } from '../../event-log/store.js';
import type { IncidentRow } from '../../history/incidents.js';
import { parseInstant } from './time-text.js';
import { errStream, openForReading, type CliContext } from '../../event-log/cli-support.js';
import { parseOptions } from './args.js';
import { EXIT } from './exit-codes.js';
import { systemClock, type Clock } from '../../../drivers/clock.js';

/** A reduction that began up to this long before --since still shows (it overlaps the window). */
export const LOOKBACK_MS = 7 * 86_400_000;

export interface Window {
  sinceMs: number | null;
  untilMs: number | null;
}

export function parseWindow(v: { since?: string; until?: string; utc?: boolean }, nowMs: number): Window {
  const utc = v.utc === true;
  const sinceMs = v.since === undefined ? null : parseInstant(v.since, { utc, nowMs, name: 'since' });
  const untilMs = v.until === undefined ? null : parseInstant(v.until, { utc, nowMs, name: 'until' });
  if (sinceMs !== null && untilMs !== null && untilMs <= sinceMs) throw new Error('--until must be after --since');
  return { sinceMs, untilMs };
}

/** Rows from a week before the window up to its end, oldest first (as IncidentRow). */
export function* windowRows(log: EventLogStore, w: Window): Generator<IncidentRow> {
  const q: { sinceMs?: number; untilMs?: number } = {};
  if (w.sinceMs !== null) q.sinceMs = w.sinceMs - LOOKBACK_MS;
  if (w.untilMs !== null) q.untilMs = w.untilMs;
  for (const r of log.scan(q)) {
    let data: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(r.dataJson);
      data = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
    } catch {
      data = {};
    }
    yield { id: r.id, atMs: r.atMs, kind: r.kind, switchIdx: r.switchIdx, chargerId: r.chargerId, data };
  }
}

/** Does [startMs, endMs] (endMs null: still going) overlap the window? */
export function overlaps(w: Window, startMs: number, endMs: number | null): boolean {
  if (w.untilMs !== null && startMs >= w.untilMs) return false;
  if (w.sinceMs !== null && endMs !== null && endMs < w.sinceMs) return false;
  return true;
}

/** The options every windowed report takes (incidents, history). */
export const WINDOW_REPORT_OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
  charger: { type: 'string' },
  utc: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export interface WindowReport {
  v: { since?: string; until?: string; charger?: string; utc?: boolean; json?: boolean };
  nowMs: number;
  w: Window;
  log: EventLogStore;
}

/**
 * The frame of a windowed report: arguments (help, usage errors), the window, the event log
 * opened for reading, and the log closed whatever the body does. The body returns the exit
 * code; what it throws is reported as `hcalcs-agent NAME: message`, exit 1.
 */
export async function runWindowReport(
  name: string,
  usage: string,
  argv: string[],
  ctx: CliContext & { clock?: Clock },
  body: (r: WindowReport) => number,
): Promise<number> {
  const err = errStream(ctx);
  const parsed = parseOptions(argv, WINDOW_REPORT_OPTIONS);
  if (parsed.kind === 'help') {
    ctx.out.write(usage);
    return EXIT.OK;
  }
  if (parsed.kind === 'error') {
    err.write(`hcalcs-agent ${name}: ${parsed.message}\n${usage}`);
    return EXIT.USAGE;
  }
  const v = parsed.values;
  const nowMs = (ctx.clock ?? systemClock).now();
  let w: Window;
  try {
    w = parseWindow(v, nowMs);
  } catch (e) {
    err.write(`hcalcs-agent ${name}: ${(e as Error).message}\n${usage}`);
    return EXIT.USAGE;
  }
  const log = openForReading(name, ctx);
  if (typeof log === 'number') return log;
  try {
    return body({ v, nowMs, w, log });
  } catch (e) {
    err.write(`hcalcs-agent ${name}: ${(e as Error).message}\n`);
    return EXIT.FAIL;
  } finally {
    log.close();
  }
}
