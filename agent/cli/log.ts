// `hcalcs-agent log`: events for a field engineer, readable on an 80-column serial console
// (local time by default, hh:mm:ss with a date line when the day changes, one line per event
// with what matters first), full lines when piped (grep sees everything), or JSON Lines.
import { errStream, oneLine, openForReading, type CliContext } from '../event-log/cli-support.js';
import type { EventQuery, EventRow } from '../event-log/types.js';
import { parseOptions } from './shared/args.js';
import { EXIT } from './shared/exit-codes.js';
import { genericText, summarize } from './shared/event-text.js';
import { parseInstant, timeText, type TimeText } from './shared/time-text.js';
import { systemClock, type Clock } from '../../drivers/clock.js';

export const LOG_USAGE = `usage: hcalcs-agent log [--since T] [--until T] [--limit N] [--kind K | --kind-prefix P]
                         [--charger ID] [--switch N] [--utc] [--json] [--wide] [--follow] [--samples]
                         [--db FILE | --config PATH]
  Without --since/--until: the newest N events (default 50), oldest first.
  With --since and/or --until: the window from its start, oldest first; a note on
  stderr says when --limit cut it. T is 2026-07-14, "2026-07-14 22:00", with Z or
  +01:00, or now, -90m, -12h, -7d. Times are local unless --utc (or a zone given).
  --switch N   the switch's rows and the rows it caused (its chargers' limits,
               writes, restores); --follow  keep printing new events as they come
  --samples    include the periodic charger.sample rows (hidden unless asked for)
  Lines are cut to the terminal's width on a terminal only; --wide never cuts.
`;

const OPTIONS = {
  limit: { type: 'int', min: 1, max: 1_000_000 },
  kind: { type: 'string' },
  'kind-prefix': { type: 'string' },
  charger: { type: 'string' },
  switch: { type: 'int', min: 0, max: 65535 },
  since: { type: 'string' },
  until: { type: 'string' },
  json: { type: 'boolean' },
  wide: { type: 'boolean' },
  utc: { type: 'boolean' },
  follow: { type: 'boolean', short: 'f' },
  samples: { type: 'boolean' },
} as const;

const DEFAULT_LIMIT = 50;
const CONSOLE_WIDTH = 80;
const MAX_KIND_WIDTH = 17;
const MAX_WHO_WIDTH = 10;
/** How often --follow looks for new rows: well inside the promised second. */
export const FOLLOW_POLL_MS = 200;

/** The one-line gist of an event's data (kept for callers without a kind). */
export function summarizeData(data: Record<string, unknown>, tt: TimeText = timeText(true)): string {
  return oneLine(genericText(data, tt));
}

function fit(s: string, width: number, marker: string): string {
  const cps = Array.from(s);
  if (cps.length <= width) return s;
  if (width <= marker.length) return cps.slice(0, width).join('');
  return cps.slice(0, width - marker.length).join('') + marker;
}

function padEnd(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - Array.from(s).length));
}

const SGR = { reset: '\x1b[0m', dim: '\x1b[2m', bold: '\x1b[1m', red: '\x1b[31m', yellow: '\x1b[33m' };

function kindColour(kind: string): string | null {
  if (/alarm|error|fail|refus|reject/i.test(kind)) return SGR.red;
  if (/warn|stale|fallback|lost/i.test(kind)) return SGR.yellow;
  return null;
}

/** Who a row is about: the charger, else the switch. */
function who(r: EventRow): string {
  if (r.chargerId !== null) return oneLine(r.chargerId);
  if (r.switchIdx !== null) return `sw ${r.switchIdx}`;
  return '-';
}

export interface TableFormat {
  /** null: never cut. */
  width: number | null;
  colour: boolean;
  tt: TimeText;
}

/** Formats rows; `day` carries the last date line across calls (--follow). */
export class TableWriter {
  private day = '';
  private readonly kindW: number;
  private readonly whoW: number;
  constructor(private readonly f: TableFormat) {
    this.kindW = MAX_KIND_WIDTH;
    this.whoW = MAX_WHO_WIDTH;
  }

  header(firstMs: number): string {
    const h = `${padEnd('TIME', 8)} ${padEnd('KIND', this.kindW)} ${padEnd('WHO', this.whoW)} SUMMARY (${this.f.tt.zone(firstMs)})`;
    return this.paint(SGR.bold, h) + '\n';
  }

  rows(rows: EventRow[]): string {
    const lines: string[] = [];
    const wide = this.f.width === null;
    const fixed = 8 + 1 + this.kindW + 1 + this.whoW + 1;
    const summaryW = wide ? Infinity : Math.max(16, (this.f.width ?? CONSOLE_WIDTH) - fixed);
    for (const r of rows) {
      const day = this.f.tt.day(r.atMs);
      if (day !== this.day) {
        this.day = day;
        lines.push(this.paint(SGR.dim, `--- ${day} (${this.f.tt.zone(r.atMs)}) ---`));
      }
      const kindText = oneLine(r.kind);
      const kind = wide ? padEnd(kindText, this.kindW) : padEnd(fit(kindText, this.kindW, '~'), this.kindW);
      const whoText = wide ? padEnd(who(r), this.whoW) : padEnd(fit(who(r), this.whoW, '~'), this.whoW);
      const text = summarize(r.kind, r.data, this.f.tt, r.atMs);
      const summary = summaryW === Infinity ? text : fit(text, summaryW, '...');
      const colour = kindColour(r.kind);
      const line = `${this.paint(SGR.dim, this.f.tt.time(r.atMs))} ${colour === null ? kind : this.paint(colour, kind)} ${whoText} ${summary}`;
      lines.push(line.trimEnd());
    }
    return lines.length === 0 ? '' : lines.join('\n') + '\n';
  }

  private paint(code: string, s: string): string {
    return this.f.colour ? `${code}${s}${SGR.reset}` : s;
  }
}

export function formatTable(rows: EventRow[], f: { width: number | null; colour: boolean; tt?: TimeText }): string {
  const w = new TableWriter({ width: f.width, colour: f.colour, tt: f.tt ?? timeText(true) });
  return rows.length === 0 ? '' : w.header(rows[0]!.atMs) + w.rows(rows);
}

interface TtyLike {
  isTTY?: boolean;
  columns?: number;
}

export interface LogContext extends CliContext {
  /** Ends --follow (Ctrl-C in the real command). */
  signal?: AbortSignal;
  /** The program's one Clock (drivers/clock.ts); tests pass a fake. */
  clock?: Clock;
}

export async function logCommand(argv: string[], ctx: LogContext): Promise<number> {
  const err = errStream(ctx);
  const usage = (msg: string) => {
    err.write(`hcalcs-agent log: ${msg}\n${LOG_USAGE}`);
    return EXIT.USAGE;
  };
  const parsed = parseOptions(argv, OPTIONS);
  if (parsed.kind === 'help') {
    ctx.out.write(LOG_USAGE);
    return EXIT.OK;
  }
  if (parsed.kind === 'error') return usage(parsed.message);
  const v = parsed.values;
  const utc = v.utc === true;
  const nowMs = (ctx.clock ?? systemClock).now();
  const q: Omit<EventQuery, 'limit'> = {};
  try {
    if (v.kind !== undefined && v['kind-prefix'] !== undefined) throw new Error('use --kind or --kind-prefix, not both');
    if (v.kind !== undefined) q.kind = v.kind;
    if (v['kind-prefix'] !== undefined) q.kindPrefix = v['kind-prefix'];
    if (v.charger !== undefined) q.chargerId = v.charger;
    // A sample a minute per charger would drown the story; asked for by name, they show.
    const askedForSamples = v.samples === true || v.kind === 'charger.sample';
    if (!askedForSamples) q.excludeKinds = ['charger.sample'];
    if (v.since !== undefined) q.sinceMs = parseInstant(v.since, { utc, nowMs, name: 'since' });
    if (v.until !== undefined) q.untilMs = parseInstant(v.until, { utc, nowMs, name: 'until' });
    if (q.sinceMs !== undefined && q.untilMs !== undefined && q.untilMs <= q.sinceMs) throw new Error('--until must be after --since');
  } catch (e) {
    return usage((e as Error).message);
  }
  const limit = v.limit ?? DEFAULT_LIMIT;
  const log = openForReading('log', ctx);
  if (typeof log === 'number') return log;
  try {
    if (v.switch !== undefined) q.switchCaused = { switchIdx: v.switch, chargerIds: log.chargersOfSwitch(v.switch) };
    const window = q.sinceMs !== undefined || q.untilMs !== undefined;
    const rows = log.query({ ...q, limit, oldestFirst: window });
    const total = log.count(q);
    const tty = ctx.out as TtyLike;
    const isTty = tty.isTTY === true;
    const width = v.wide === true || !isTty ? null : typeof tty.columns === 'number' && tty.columns > 0 ? tty.columns : CONSOLE_WIDTH;
    // NO_COLOR (no-color.org) is what people set on consoles that show escapes literally.
    const env = ctx.env ?? process.env;
    const colour = isTty && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
    const tt = timeText(utc);
    const table = new TableWriter({ width, colour, tt });
    const print = async (batch: EventRow[], first: boolean) => {
      if (batch.length === 0) return;
      if (v.json === true) await write(ctx.out, batch.map((r) => JSON.stringify(r)).join('\n') + '\n');
      else await write(ctx.out, (first ? table.header(batch[0]!.atMs) : '') + table.rows(batch));
    };
    if (rows.length === 0 && v.json !== true && v.follow !== true) await write(ctx.out, 'no events match\n');
    await print(rows, true);
    if (total > rows.length) {
      const last = rows.at(-1);
      err.write(
        window
          ? `note: ${total} events in the window; shown the first ${rows.length}` +
              `${last ? `, to ${tt.dayTime(last.atMs)}` : ''}.\n      For more: --limit N, or --since later.\n`
          : `note: the newest ${rows.length} of ${total} events; --since/--until for a window.\n`,
      );
    }
    if (v.follow === true) await follow(log, q, rows.at(-1)?.id ?? log.head()?.id ?? 0, rows.length > 0, print, ctx.signal);
    return EXIT.OK;
  } catch (e) {
    err.write(`hcalcs-agent log: ${(e as Error).message}\n`);
    return EXIT.FAIL;
  } finally {
    log.close();
  }
}

async function follow(
  log: Exclude<ReturnType<typeof openForReading>, number>,
  q: Omit<EventQuery, 'limit'>,
  afterId: number,
  headerShown: boolean,
  print: (rows: EventRow[], first: boolean) => Promise<void>,
  external?: AbortSignal,
): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (external) external.addEventListener('abort', onSignal, { once: true });
  else process.once('SIGINT', onSignal);
  let last = afterId;
  let first = !headerShown;
  try {
    while (!stop.signal.aborted) {
      // A new WAL snapshot each query: rows the agent committed since are visible at once.
      const batch = log.query({ ...q, afterId: last, limit: 10_000, oldestFirst: true });
      if (batch.length > 0) {
        await print(batch, first);
        first = false;
        last = batch.at(-1)!.id;
        // A switch's rows can name a charger first seen now: widen the filter.
        if (q.switchCaused !== undefined) q.switchCaused = { ...q.switchCaused, chargerIds: log.chargersOfSwitch(q.switchCaused.switchIdx) };
        continue;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          stop.signal.removeEventListener('abort', wake);
          resolve();
        }, FOLLOW_POLL_MS);
        stop.signal.addEventListener('abort', wake, { once: true });
      });
    }
  } finally {
    if (external) external.removeEventListener('abort', onSignal);
    else process.removeListener('SIGINT', onSignal);
  }
}

function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
