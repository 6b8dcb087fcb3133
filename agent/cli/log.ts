// `hcalcs-agent log`: recent events for a field engineer, readable on an 80-column serial
// console (times in UTC, a date line when the day changes, one line per event), or JSON Lines
// for scripts.
import {
  UsageError,
  errStream,
  oneLine,
  openForReading,
  parseCommandArgs,
  parsePositiveInt,
  queryFromOptions,
  usageFail,
  type CliContext,
} from '../event-log/cli-support.js';
import type { EventRow } from '../event-log/types.js';

const USAGE = `usage: hcalcs-agent log [--limit N] [--kind K | --kind-prefix P] [--charger ID] [--switch N]
                         [--since ISO] [--json] [--wide]
  Prints the newest N events (default 50), oldest first. Times are UTC.
  --since takes 2026-11-28, 2026-11-28T12:03Z or with an offset; without a zone it means UTC.
  --json prints one JSON object a line; --wide does not shorten lines to the terminal width.
`;

const OPTIONS = {
  limit: { type: 'string' },
  kind: { type: 'string' },
  'kind-prefix': { type: 'string' },
  charger: { type: 'string' },
  switch: { type: 'string' },
  since: { type: 'string' },
  json: { type: 'boolean' },
  wide: { type: 'boolean' },
} as const;

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1_000_000;
const CONSOLE_WIDTH = 80;
const MAX_KIND_WIDTH = 24;
const MAX_CHARGER_WIDTH = 12;

/** The one-line gist of an event's data: its explanation or reason if it has one, else key=value pairs. */
export function summarizeData(data: Record<string, unknown>): string {
  for (const key of ['explanation', 'reason']) {
    const v = data[key];
    if (typeof v === 'string' && v.length > 0) return oneLine(v);
  }
  const parts: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    let text: string;
    if (typeof v === 'string') text = /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
    else if (typeof v === 'object' && v !== null) text = JSON.stringify(v);
    else text = String(v);
    parts.push(`${k}=${text}`);
  }
  return oneLine(parts.join(' '));
}

/** Cuts to at most width code points (never splitting a surrogate pair), marking the cut. */
function fit(s: string, width: number, marker: string): string {
  const cps = Array.from(s);
  if (cps.length <= width) return s;
  if (width <= marker.length) return cps.slice(0, width).join('');
  return cps.slice(0, width - marker.length).join('') + marker;
}

function padEnd(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - Array.from(s).length));
}

interface Style {
  colour: boolean;
}

const SGR = { reset: '\x1b[0m', dim: '\x1b[2m', bold: '\x1b[1m', red: '\x1b[31m', yellow: '\x1b[33m' };

function paint(style: Style, code: string, s: string): string {
  return style.colour ? `${code}${s}${SGR.reset}` : s;
}

function kindColour(kind: string): string | null {
  if (/alarm|error|fail|refus|reject/i.test(kind)) return SGR.red;
  if (/warn|stale|fallback|lost/i.test(kind)) return SGR.yellow;
  return null;
}

export function formatTable(rows: EventRow[], opts: { width: number | null; colour: boolean }): string {
  const style: Style = { colour: opts.colour };
  const kinds = rows.map((r) => oneLine(r.kind));
  const chargers = rows.map((r) => (r.chargerId === null ? '-' : oneLine(r.chargerId)));
  const switches = rows.map((r) => (r.switchIdx === null ? '-' : String(r.switchIdx)));
  const longest = (xs: string[], min: number) => xs.reduce((m, x) => Math.max(m, Array.from(x).length), min);
  const wide = opts.width === null;
  const kindW = wide ? longest(kinds, 4) : Math.min(longest(kinds, 4), MAX_KIND_WIDTH);
  const chargerW = wide ? longest(chargers, 7) : Math.min(longest(chargers, 7), MAX_CHARGER_WIDTH);
  const swW = longest(switches, 2);
  const timeW = 'HH:MM:SS.mmm'.length;
  const fixedW = timeW + 1 + kindW + 1 + swW + 1 + chargerW + 1;
  // Always leave the summary some room, even if that wraps on a very narrow terminal.
  const summaryW = wide ? Infinity : Math.max(16, (opts.width ?? CONSOLE_WIDTH) - fixedW);

  const lines: string[] = [];
  const header =
    padEnd('TIME UTC', timeW) + ' ' + padEnd('KIND', kindW) + ' ' + 'SW'.padStart(swW) + ' ' + padEnd('CHARGER', chargerW) + ' SUMMARY';
  lines.push(paint(style, SGR.bold, header));
  let day = '';
  rows.forEach((r, i) => {
    const rowDay = r.at.slice(0, 10);
    if (rowDay !== day) {
      day = rowDay;
      lines.push(paint(style, SGR.dim, `--- ${day} ---`));
    }
    const time = r.at.slice(11, 23);
    const kind = padEnd(fit(kinds[i] ?? '', kindW, '~'), kindW);
    const colour = kindColour(r.kind);
    const sw = (switches[i] ?? '-').padStart(swW);
    const charger = padEnd(fit(chargers[i] ?? '-', chargerW, '~'), chargerW);
    const summary = summaryW === Infinity ? summarizeData(r.data) : fit(summarizeData(r.data), summaryW, '...');
    const line = `${paint(style, SGR.dim, time)} ${colour === null ? kind : paint(style, colour, kind)} ${sw} ${charger} ${summary}`;
    lines.push(line.trimEnd());
  });
  return lines.join('\n') + '\n';
}

interface TtyLike {
  isTTY?: boolean;
  columns?: number;
}

export async function logCommand(argv: string[], ctx: CliContext): Promise<number> {
  const values = parseCommandArgs('log', argv, OPTIONS, USAGE, ctx);
  if (typeof values === 'number') return values;
  let limit = DEFAULT_LIMIT;
  let filters;
  try {
    if (values.limit !== undefined) limit = parsePositiveInt('limit', values.limit, MAX_LIMIT);
    filters = queryFromOptions(values);
  } catch (err) {
    if (err instanceof UsageError) return usageFail('log', err.message, USAGE, ctx);
    throw err;
  }
  const log = openForReading('log', ctx);
  if (typeof log === 'number') return log;
  try {
    const rows = log.query({ ...filters, limit });
    if (values.json === true) {
      if (rows.length > 0) await write(ctx.out, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      return 0;
    }
    if (rows.length === 0) {
      await write(ctx.out, 'no events match\n');
      return 0;
    }
    const tty = ctx.out as TtyLike;
    const isTty = tty.isTTY === true;
    const width = values.wide === true ? null : isTty && typeof tty.columns === 'number' && tty.columns > 0 ? tty.columns : CONSOLE_WIDTH;
    // NO_COLOR (no-color.org) is what people set on consoles that show escapes literally.
    const env = ctx.env ?? process.env;
    const colour = isTty && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
    await write(ctx.out, formatTable(rows, { width, colour }));
    return 0;
  } catch (err) {
    errStream(ctx).write(`hcalcs-agent log: ${(err as Error).message}\n`);
    return 1;
  } finally {
    log.close();
  }
}

function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
