// What the event-log CLI commands (log, verify-log, export) share: option parsing with the
// sysexits codes a field engineer's scripts can test, the common filters, and opening the log
// readonly with an error that says what is wrong rather than creating an empty file.
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT, isPermissionError, permissionHint } from '../cli/shared/exit-codes.js';
import { openEventLogStore, type EventLogStore } from './store.js';
import type { EventQuery } from './types.js';
import { parseUtcInstant } from './utc.js';

export interface CliContext {
  eventLogPath: string;
  out: NodeJS.WritableStream;
  /** Diagnostics; standard error if absent. */
  err?: NodeJS.WritableStream;
  /** For NO_COLOR and TERM; the process environment if absent. */
  env?: NodeJS.ProcessEnv;
}

export class UsageError extends Error {}

export function errStream(ctx: CliContext): NodeJS.WritableStream {
  return ctx.err ?? process.stderr;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses argv strictly (unknown options and stray arguments are errors). Returns the values, or
 * an exit code after printing the problem (64) or the usage for --help (0).
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  usage: string,
  ctx: CliContext,
): ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'] | number {
  if (argv.includes('--help') || argv.includes('-h')) {
    ctx.out.write(usage);
    return 0;
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    errStream(ctx).write(`hcalcs-agent ${command}: ${(err as Error).message}\n${usage}`);
    return EXIT.USAGE;
  }
}

export function usageFail(command: string, message: string, usage: string, ctx: CliContext): number {
  errStream(ctx).write(`hcalcs-agent ${command}: ${message}\n${usage}`);
  return EXIT.USAGE;
}

export function parsePositiveInt(name: string, text: string, max: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number, got "${text}"`);
  const n = Number(text);
  if (n < 1 || n > max) throw new UsageError(`--${name} must be between 1 and ${max}, got ${text}`);
  return n;
}

export function parseSince(text: string): number {
  try {
    return parseUtcInstant(text);
  } catch (err) {
    throw new UsageError(`--since: ${(err as Error).message}`);
  }
}

/** The filters log and export share, from parsed option values. */
export function queryFromOptions(v: {
  kind?: string | undefined;
  'kind-prefix'?: string | undefined;
  charger?: string | undefined;
  switch?: string | undefined;
  since?: string | undefined;
}): Omit<EventQuery, 'limit'> {
  const q: Omit<EventQuery, 'limit'> = {};
  if (v.kind !== undefined && v['kind-prefix'] !== undefined) throw new UsageError('use --kind or --kind-prefix, not both');
  if (v.kind !== undefined) q.kind = v.kind;
  if (v['kind-prefix'] !== undefined) {
    if (v['kind-prefix'] === '') throw new UsageError('--kind-prefix must not be empty');
    q.kindPrefix = v['kind-prefix'];
  }
  if (v.charger !== undefined) q.chargerId = v.charger;
  if (v.switch !== undefined) {
    if (!/^\d+$/.test(v.switch)) throw new UsageError(`--switch must be a switch number, got "${v.switch}"`);
    q.switchIdx = Number(v.switch);
  }
  if (v.since !== undefined) q.sinceMs = parseSince(v.since);
  return q;
}

/** Opens the log readonly for a CLI reader; on failure prints why and returns the exit code. */
export function openForReading(command: string, ctx: CliContext): EventLogStore | number {
  try {
    return openEventLogStore(ctx.eventLogPath, { readonly: true });
  } catch (err) {
    if (isPermissionError(err, ctx.eventLogPath) || isPermissionError((err as Error).cause, ctx.eventLogPath)) {
      errStream(ctx).write(`hcalcs-agent ${command}: ${permissionHint(ctx.eventLogPath)}\n`);
      return EXIT.NOPERM;
    }
    errStream(ctx).write(`hcalcs-agent ${command}: ${(err as Error).message}\n`);
    return existsSync(ctx.eventLogPath) ? EXIT.DATAERR : EXIT.NOINPUT;
  }
}

/**
 * Makes text safe for one console line: control characters (newlines, ESC sequences a crafted
 * HAN label or charger reply could carry) become spaces, so a row can neither break the table
 * nor drive the engineer's terminal.
 */
export function oneLine(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, ' ');
}
