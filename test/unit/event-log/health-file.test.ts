// The health file: written wherever possible, the newest read back for the same event log,
// ignored once its writer is gone, and turned into the lines `status` prints.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeHealth, healthFilePaths, readHealth, removeHealthFiles, writeHealthFiles, type HealthRecord } from '../../../agent/event-log/health-file.js';
import type { EventLogHealth } from '../../../agent/event-log/resilient.js';

const dir = mkdtempSync(join(tmpdir(), 'health-file-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const runtimeDir = join(dir, 'run');
mkdirSync(runtimeDir);
const env = { RUNTIME_DIRECTORY: runtimeDir };
const logPath = join(dir, 'state', 'events.db');
mkdirSync(join(dir, 'state'));

const degraded: EventLogHealth = {
  status: 'degraded',
  reason: 'appending rows failed: database or disk is full (SQLITE_FULL)',
  sinceMs: Date.parse('2026-11-30T04:00:00Z'),
  storage: 'file',
  buffered: 12,
  lost: 0,
  movedAside: [],
  path: logPath,
};
const record = (over: Partial<HealthRecord> = {}): HealthRecord => ({
  pid: process.pid,
  eventLogPath: logPath,
  updatedAtMs: Date.now(),
  eventLog: degraded,
  ...over,
});

t.test('written to the runtime directory, beside the log and in the temp directory; the newest wins', async (t) => {
  const paths = healthFilePaths(logPath, env);
  t.equal(paths[0]?.startsWith(runtimeDir), true, 'the runtime directory first');
  t.ok(writeHealthFiles(record({ updatedAtMs: 1000 }), env) >= 2, 'at least the runtime and state directories took it');
  writeHealthFiles(record({ updatedAtMs: 2000, eventLog: { ...degraded, buffered: 99 } }), env);
  t.equal(readHealth(logPath, env)?.eventLog.buffered, 99);
  t.equal(readHealth(join(dir, 'other.db'), env), null, 'another log has no record');
  removeHealthFiles(logPath, env);
  t.equal(readHealth(logPath, env), null, 'removed after a clean stop');
});

t.test('a health file that cannot be removed does not stop the others going, nor throw', async (t) => {
  const paths = healthFilePaths(logPath, env);
  const [inRuntime, ...rest] = paths;
  writeHealthFiles(record(), env);
  // A directory standing where the runtime directory's file would be: it cannot be removed.
  rmSync(inRuntime as string, { force: true });
  mkdirSync(inRuntime as string);
  t.teardown(() => rmSync(inRuntime as string, { recursive: true, force: true }));
  t.doesNotThrow(() => removeHealthFiles(logPath, env));
  t.same(
    rest.filter((p) => existsSync(p)),
    [],
    'every other place was cleared',
  );
});

t.test('status lines: the alarm while degraded, the moved-aside file, nothing for a dead writer', async (t) => {
  t.same(describeHealth(record()), [
    'event log DEGRADED since 2026-11-30T04:00:00Z: appending rows failed: database or disk is full (SQLITE_FULL); rows kept in memory until the file takes them: 12 waiting, 0 lost (pid ' +
      process.pid +
      ')',
  ]);
  const memory = describeHealth(record({ eventLog: { ...degraded, storage: 'memory', lost: 5 } }))[0];
  t.match(memory, /no log file open, rows kept in memory: 12 waiting, 5 lost/);
  t.same(describeHealth(record({ eventLog: { ...degraded, status: 'ok', reason: null, sinceMs: null, buffered: 0, movedAside: ['/x/events.db.broken-1'] } })), [
    'event log file was unusable and is kept as /x/events.db.broken-1; a new log began (see: log --kind eventlog.recovered)',
  ]);
  t.same(describeHealth(record({ eventLog: { ...degraded, status: 'ok', reason: null } })), [], 'healthy: nothing to say');
  // A pid that cannot exist (above pid_max).
  t.same(describeHealth(record({ pid: 2 ** 30 })), [], 'the writer is gone: its record says nothing');
  t.same(describeHealth(null), []);
});
