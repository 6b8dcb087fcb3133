// The event log's health where `status` can read it when the log itself cannot be written:
// a small JSON file, replaced atomically, in every place the agent can write that `status`
// knows to look. Under systemd the runtime directory (/run/hcalcs-agent, a tmpfs) takes it
// whatever state the disk is in; beside the event log and in the temp directory for a
// hand-started agent.

import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EventLogHealth } from './resilient.js';

/** The unit's RuntimeDirectory=hcalcs-agent; status looks here even without the variable. */
export const SERVICE_RUNTIME_DIR = '/run/hcalcs-agent';

export interface HealthRecord {
  pid: number;
  eventLogPath: string;
  updatedAtMs: number;
  eventLog: EventLogHealth;
}

function fileName(eventLogPath: string): string {
  const key = createHash('sha256').update(resolve(eventLogPath)).digest('hex').slice(0, 16);
  return `hcalcs-agent-${key}.health.json`;
}

/** Where the health of the agent on this event log may be, most trusted first. */
export function healthFilePaths(eventLogPath: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = [env.RUNTIME_DIRECTORY?.split(':')[0], SERVICE_RUNTIME_DIR, resolve(eventLogPath, '..'), tmpdir()];
  const name = fileName(eventLogPath);
  return [...new Set(dirs.filter((d): d is string => typeof d === 'string' && d.length > 0))].map((d) => join(d, name));
}

/** Writes the record everywhere it can; returns how many places took it. */
export function writeHealthFiles(record: HealthRecord, env: NodeJS.ProcessEnv = process.env): number {
  const text = JSON.stringify(record) + '\n';
  let written = 0;
  for (const path of healthFilePaths(record.eventLogPath, env)) {
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, text, { mode: 0o640 });
      renameSync(tmp, path);
      written++;
    } catch {
      // Not writable here (no such directory, read-only or full disk): the others may be.
    }
  }
  return written;
}

/** After a clean stop: a stopped agent has no health to report (and /tmp keeps no litter). */
export function removeHealthFiles(eventLogPath: string, env: NodeJS.ProcessEnv = process.env): void {
  for (const path of healthFilePaths(eventLogPath, env)) {
    try {
      rmSync(path, { force: true });
    } catch {
      // A read-only place: the record names a pid that is gone, which status checks.
    }
  }
}

/** The newest record for this event log, or null. */
export function readHealth(eventLogPath: string, env: NodeJS.ProcessEnv = process.env): HealthRecord | null {
  let best: HealthRecord | null = null;
  for (const path of healthFilePaths(eventLogPath, env)) {
    try {
      const r = JSON.parse(readFileSync(path, 'utf8')) as HealthRecord;
      if (r.eventLogPath !== resolve(eventLogPath) || typeof r.updatedAtMs !== 'number') continue;
      if (best === null || r.updatedAtMs > best.updatedAtMs) best = r;
    } catch {
      // Absent or half-written by an older agent: look at the next.
    }
  }
  return best;
}

/** Is the process that wrote the record still there? (EPERM: alive, another user's.) */
export function writerAlive(record: HealthRecord): boolean {
  try {
    process.kill(record.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lines `status` prints for an agent whose event log is not healthy. */
export function describeHealth(record: HealthRecord | null): string[] {
  if (record === null || !writerAlive(record)) return [];
  const h = record.eventLog;
  const moved = h.movedAside.map((p) => `event log file was unusable and is kept as ${p}; a new log began (see: log --kind eventlog.recovered)`);
  if (h.status === 'ok') return moved;
  const since = h.sinceMs === null ? '' : ` since ${new Date(h.sinceMs).toISOString().slice(0, 19)}Z`;
  const where = h.storage === 'memory' ? 'no log file open, rows kept in memory' : 'rows kept in memory until the file takes them';
  return [`event log DEGRADED${since}: ${h.reason ?? 'unknown'}; ${where}: ${h.buffered} waiting, ${h.lost} lost (pid ${record.pid})`, ...moved];
}
