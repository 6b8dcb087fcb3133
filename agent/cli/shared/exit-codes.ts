// The one exit-code table for the command line (sysexits.h), so a field engineer's scripts
// can tell "you typed it wrong" from "the file is missing" from "the agent is not running".
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';

export const EXIT = {
  OK: 0,
  /** A check failed (verify-log: chain broken; doctor: a check failed) or the run failed. */
  FAIL: 1,
  /** The command was used incorrectly (unknown option, bad number, out-of-range limit). */
  USAGE: 64,
  /** Input data was wrong (an event log that is not one). */
  DATAERR: 65,
  /** An input file did not exist. */
  NOINPUT: 66,
  /** A service the command needs is not there (owner command without a running agent). */
  UNAVAILABLE: 69,
  /** An internal error. */
  SOFTWARE: 70,
  /** An output file cannot be created. */
  CANTCREAT: 73,
  /** Try again later: another agent holds this config's instance lock (the service retries). */
  TEMPFAIL: 75,
  /** Input/output error (write failed, disk full). */
  IOERR: 74,
  /** Permission denied (run it as the service user). */
  NOPERM: 77,
  /** The config is invalid or unreadable. */
  CONFIG: 78,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** `charger failsafe-test` reports its verdict in the exit status (a script's if/else). */
export const FAILSAFE_TEST_EXIT = {
  PASS: 0,
  FAIL: 1,
  /** The profile has no failsafe registers to test. */
  NOT_APPLICABLE: 2,
  INCONCLUSIVE: 3,
} as const;

/** What each code means to someone reading `--help`, in a few words. Keyed like EXIT, so a
 *  code added there does not compile until it is described here. */
const MEANING: Record<keyof typeof EXIT, string> = {
  OK: 'ok',
  FAIL: 'a check failed',
  USAGE: 'bad usage',
  DATAERR: 'not an event log',
  NOINPUT: 'file missing',
  UNAVAILABLE: 'agent not running',
  SOFTWARE: 'internal error',
  CANTCREAT: 'cannot create output',
  IOERR: 'I/O error',
  TEMPFAIL: 'another agent holds the lock, try later',
  NOPERM: 'permission denied (sudo -u hcalcs)',
  CONFIG: 'config invalid',
};

/** The usage text's "Exit status:" paragraph, made from EXIT so the two cannot drift; each
 *  line at most `width` columns, a code never parted from its meaning. */
export function exitStatusText(width = 80): string {
  const items = (Object.keys(EXIT) as (keyof typeof EXIT)[])
    .sort((a, b) => EXIT[a] - EXIT[b])
    .map((k, i, all) => `${EXIT[k]} ${MEANING[k]}${i === all.length - 1 ? '.' : ';'}`);
  const lines: string[] = [];
  let line = 'Exit status:';
  for (const item of items) {
    if (line.length + 1 + item.length > width) {
      lines.push(line);
      line = item;
    } else line += ` ${item}`;
  }
  lines.push(line);
  return lines.join('\n') + '\n';
}

const PERMISSION_CODES = new Set(['EACCES', 'EPERM', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PERM', 'SQLITE_AUTH']);

/** Is this error a permission problem (not "missing", not "broken")? */
export function isPermissionError(err: unknown, path?: string): boolean {
  const code = (err as { code?: string } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return true;
  const msg = err instanceof Error ? err.message : String(err);
  if (/permission denied|EACCES|EPERM|attempt to write a readonly database/i.test(msg)) return true;
  // better-sqlite3 says only "unable to open database file" whether the file is missing or
  // out of reach: the file system's own answer for the path tells which.
  if (code !== undefined && PERMISSION_CODES.has(code) && path !== undefined) return deniedAt(path);
  return false;
}

function deniedAt(path: string): boolean {
  const why = accessError(path, constants.R_OK);
  if (why === 'EACCES' || why === 'EPERM') return true;
  // A missing file is a permission problem only where it could not have been created: its
  // directory is there but not writable by us. A missing directory is just missing.
  if (why === 'ENOENT') {
    const dir = accessError(dirname(path), constants.W_OK | constants.X_OK);
    return dir === 'EACCES' || dir === 'EPERM';
  }
  return false;
}

/** The errno code access(2) gives for path, or null when it is allowed. */
function accessError(path: string, mode: number): string | null {
  try {
    accessSync(path, mode);
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
  }
}

/** The hint printed with every permission problem. */
export function permissionHint(what: string): string {
  return `permission denied on ${what}; the event log and config belong to the service user: run it as sudo -u hcalcs hcalcs-agent ...`;
}

/**
 * Prints config problems one a line and returns the exit code: 77 with the hint when the file
 * could not be read for lack of permission, else 78.
 */
export function reportConfigProblems(problems: readonly string[], write: (line: string) => void): number {
  for (const p of problems) write(`${p}\n`);
  if (problems.some((p) => /permission denied/.test(p))) {
    write('hint: the config belongs to the service user: run it as sudo -u hcalcs hcalcs-agent ...\n');
    return EXIT.NOPERM;
  }
  return EXIT.CONFIG;
}
