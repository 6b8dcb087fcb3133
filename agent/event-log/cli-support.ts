// What the event-log CLI commands (log, verify-log, export) share: a usage failure with the
// sysexits code a field engineer's scripts can test, and opening the log readonly with an
// error that says what is wrong rather than creating an empty file. Options are parsed by the
// command line's one parser (agent/cli/shared/args.ts).
import { existsSync } from 'node:fs';
import { EXIT, isPermissionError, permissionHint } from '../cli/shared/exit-codes.js';
import { openEventLogStore, type EventLogStore } from './store.js';

export interface CliContext {
  eventLogPath: string;
  out: NodeJS.WritableStream;
  /** Diagnostics; standard error if absent. */
  err?: NodeJS.WritableStream;
  /** For NO_COLOR and TERM; the process environment if absent. */
  env?: NodeJS.ProcessEnv;
}

export function errStream(ctx: CliContext): NodeJS.WritableStream {
  return ctx.err ?? process.stderr;
}

export function usageFail(command: string, message: string, usage: string, ctx: CliContext): number {
  errStream(ctx).write(`hcalcs-agent ${command}: ${message}\n${usage}`);
  return EXIT.USAGE;
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
