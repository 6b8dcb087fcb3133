// The one exit-code table for the command line (sysexits.h), so a field engineer's scripts
// can tell "you typed it wrong" from "the file is missing" from "the agent is not running".
import { accessSync, constants } from 'node:fs';

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

/** For the README and `--help`: what each code means, one line each. */
export const EXIT_TABLE = `Exit status: 0 ok; 1 a check failed; 64 bad usage; 65 not an event log;
66 file missing; 69 agent not running; 73 cannot create output; 74 I/O error;
77 permission denied (try sudo -u hcalcs); 78 config invalid.
`;

const PERMISSION_CODES = new Set(['EACCES', 'EPERM', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PERM', 'SQLITE_AUTH']);

/** Is this error a permission problem (not "missing", not "broken")? */
export function isPermissionError(err: unknown, path?: string): boolean {
  const code = (err as { code?: string } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return true;
  const msg = err instanceof Error ? err.message : String(err);
  if (/permission denied|EACCES|EPERM|attempt to write a readonly database/i.test(msg)) return true;
  // better-sqlite3 says only "unable to open database file" when the directory or file is
  // unreadable: look at the file itself to tell which.
  if (code !== undefined && PERMISSION_CODES.has(code) && path !== undefined) return !readable(path);
  return false;
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
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
