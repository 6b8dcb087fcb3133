// One agent per config. Two agents on one set of chargers fight (one writes the DNO's 6 A, the
// other, stale on a HAN port it cannot open, writes full current), and a field tool writing
// a setpoint under a running agent lifts a DNO reduction for seconds. So `run` holds an
// exclusive lock beside the event log for as long as it lives, and the field tools ask for it.
//
// The lock is SQLite's own file lock (POSIX fcntl, through better-sqlite3) on a small file:
// the kernel drops it when the holder dies, kill -9 included, so a crash never leaves a stale
// lock behind, and no PID guessing is needed to tell a live holder from a dead one. The
// holder's pid is written in a sidecar file for the message a second instance prints.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';

export const LOCK_FILE = 'agent.lock';
export const PID_FILE = 'agent.pid';

export interface InstanceLock {
  /** The lock file actually used (the state directory's, or the fallback in the temp dir). */
  readonly path: string;
  release(): void;
}

export class LockHeldError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holderPid: number | null,
  ) {
    super(`another agent holds ${lockPath}${holderPid !== null ? ` (pid ${holderPid})` : ''}`);
    this.name = 'LockHeldError';
  }
}

/** The state directory of a config: the event log's directory. */
export function stateDirOf(eventLogPath: string): string {
  return dirname(resolve(eventLogPath));
}

/**
 * Where the lock for a state directory lives. When the directory cannot hold files (read-only,
 * missing and not creatable), the lock moves to the temp directory under a name derived from
 * the state directory, so it still keys on the same config and still excludes a second agent.
 */
function lockPaths(stateDir: string): { primary: string; fallback: string } {
  const key = createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 16);
  return { primary: join(stateDir, LOCK_FILE), fallback: join(tmpdir(), `hcalcs-agent-${key}.lock`) };
}

function openLockDb(path: string, busyTimeoutMs: number): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: busyTimeoutMs });
  return db;
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function readPid(lockPath: string): number | null {
  try {
    const text = readFileSync(pidPathFor(lockPath), 'utf8');
    const pid = Number.parseInt(text.trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function pidPathFor(lockPath: string): string {
  return lockPath.endsWith(`/${LOCK_FILE}`) ? join(dirname(lockPath), PID_FILE) : `${lockPath}.pid`;
}

function tryAcquire(path: string, busyTimeoutMs: number): InstanceLock {
  const db = openLockDb(path, busyTimeoutMs);
  try {
    // Exclusive locking mode keeps the lock after the write transaction until the connection
    // closes (or the process dies).
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec(
      'BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS holder (pid INTEGER); DELETE FROM holder; INSERT INTO holder VALUES (' + String(process.pid) + '); COMMIT;',
    );
  } catch (err) {
    db.close();
    if (isBusy(err)) throw new LockHeldError(path, readPid(path));
    throw err;
  }
  try {
    writeFileSync(pidPathFor(path), `${process.pid}\n`, { mode: 0o640 });
  } catch {
    // The pid only improves a second instance's message; the lock itself is held.
  }
  const lock: InstanceLock = {
    path,
    release() {
      if (!held.delete(lock)) return;
      db.close();
    },
  };
  held.add(lock);
  return lock;
}

// The locks this process holds. better-sqlite3 closes a connection its object is collected
// with, and closing it drops the file lock: were the caller's reference the only one, a
// garbage collection could let a second agent in while this one still runs. Held here until
// released, a lock lives as long as the process.
const held = new Set<InstanceLock>();

/**
 * Takes the lock for a state directory or throws LockHeldError naming the holder. Waits at
 * most busyTimeoutMs (a probe by a field tool holds the file for microseconds).
 */
export function acquireInstanceLock(stateDir: string, busyTimeoutMs = 300): InstanceLock {
  const { primary, fallback } = lockPaths(stateDir);
  try {
    return tryAcquire(primary, busyTimeoutMs);
  } catch (err) {
    if (err instanceof LockHeldError) throw err;
    // The state directory cannot hold the lock (read-only disk, no permission): a lock in the
    // temp directory still keeps a second agent out. A holder of the primary lock is still
    // noticed, since the probe below looks at both.
    const held = probeFile(primary);
    if (held.held) throw new LockHeldError(primary, held.pid);
    return tryAcquire(fallback, busyTimeoutMs);
  }
}

function probeFile(path: string): { held: boolean; pid: number | null } {
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true, readonly: true, timeout: 0 });
  } catch {
    return { held: false, pid: null };
  }
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return { held: false, pid: null };
  } catch (err) {
    if (isBusy(err)) return { held: true, pid: readPid(path) };
    return { held: false, pid: null };
  } finally {
    db.close();
  }
}

/** Is an agent running on this state directory, and with which pid? Never takes the lock. */
export function probeInstanceLock(stateDir: string): { held: boolean; pid: number | null; path: string } {
  const { primary, fallback } = lockPaths(stateDir);
  for (const path of [primary, fallback]) {
    const r = probeFile(path);
    if (r.held) return { ...r, path };
  }
  return { held: false, pid: null, path: primary };
}
