// The real `run` process on a disk that fails under it: a full disk while running, a
// read-only state directory at start, the database and its WAL deleted while running. In
// each, the charger is still turned down and up (seen at the simulated charger), `status`
// shows the alarm where it applies, and the log says afterwards what happened.
//
// The full and read-only disks are small tmpfs mounts, which needs root (tests run as root
// here; elsewhere they skip, except under CI=true).
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openEventLogStore } from '../../agent/event-log/store.js';
import { dnoCycle, spawnAgent, startRig, type AgentProcess, type Rig } from '../helpers/agent-process.js';

const running = (a: AgentProcess) => a.waitForJournal((l) => l.msg === 'agent running', 'agent running');
const msgStarts = (prefix: string) => (l: Record<string, unknown>) => typeof l.msg === 'string' && l.msg.startsWith(prefix);

function canMount(): string | false {
  if (process.getuid?.() !== 0) return 'needs root for a tmpfs mount';
  return false;
}
const mountSkip = process.env.CI === 'true' ? false : canMount();

function mountTmpfs(t: Test, dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', dir]);
    } catch {
      // already gone
    }
  });
}

/** Fills the file system holding dir to the last byte; returns the filler's path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  // The last partial page, if any.
  try {
    for (;;) writeSync(fd, Buffer.alloc(1));
  } catch {
    // full
  }
  closeSync(fd);
  return path;
}

function readLog(path: string) {
  const s = openEventLogStore(path, { readonly: true });
  try {
    return { rows: s.query({}), verify: s.verify() };
  } finally {
    s.close();
  }
}

async function status(t: Test, rig: Rig): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawnAgent(t, ['status', '--config', rig.configPath]);
  const { code } = await p.exited;
  return { code, out: p.journal.map((l) => (typeof l.raw === 'string' ? l.raw : JSON.stringify(l))).join('\n'), err: p.stderr() };
}

const writesOf = (rows: ReturnType<typeof readLog>['rows'], limitA: number) =>
  rows.filter((r) => r.kind === 'charger.write' && r.data.limitA === limitA && r.data.ok === true);

t.test('disk full while running: control goes on, status shows the alarm, the rows arrive when space is back', { skip: mountSkip }, async (t) => {
  const rig = await startRig(t);
  const stateDir = dirname(rig.eventLogPath);
  mountTmpfs(t, stateDir, '1m');
  const agent = spawnAgent(t, ['run', '--config', rig.configPath]);
  await running(agent);
  await dnoCycle(rig);
  const filler = fill(stateDir);
  await dnoCycle(rig);
  t.pass('with the disk full, the charger was turned down to 6 A and back up');
  await agent.waitForJournal(msgStarts('EVENT LOG DEGRADED'), 'the degraded alarm in the journal');
  // The health file is refreshed on each upkeep tick while degraded.
  let st = await status(t, rig);
  for (let i = 0; i < 20 && !/event log DEGRADED/.test(st.out); i++) st = await status(t, rig);
  t.match(st.out, /event log DEGRADED since .*: .*(disk is full|SQLITE_FULL)/, 'status shows the event-log alarm');
  t.match(st.out, new RegExp(`agent +running, pid ${agent.pid}`), 'and the agent as running, not as stale');
  unlinkSync(filler);
  await agent.waitForJournal(msgStarts('event log writable again'), 'the log catching up');
  agent.proc.kill('SIGTERM');
  t.equal((await agent.exited).code, 0);
  const { rows, verify } = readLog(rig.eventLogPath);
  const outage = rows.findIndex((r) => r.kind === 'eventlog.outage');
  t.ok(outage > 0, 'an outage row marks where the late rows begin');
  t.match(rows[outage]?.data, { reason: /disk is full|SQLITE_FULL/ });
  t.ok(writesOf(rows.slice(outage), 6).length >= 1, 'the 6 A write made during the outage is in the log, after the outage row');
  t.equal(writesOf(rows, 6).length, 2, 'both reductions are in the log');
  t.ok(verify.ok);
});

t.test('read-only state directory at start: the agent controls with the log in memory, and writes it when it can', { skip: mountSkip }, async (t) => {
  const rig = await startRig(t);
  const stateDir = dirname(rig.eventLogPath);
  mountTmpfs(t, stateDir, '4m');
  execFileSync('mount', ['-o', 'remount,ro', stateDir]);
  const agent = spawnAgent(t, ['run', '--config', rig.configPath]);
  await running(agent);
  await agent.waitForJournal(msgStarts('EVENT LOG DEGRADED'), 'the degraded alarm in the journal');
  await dnoCycle(rig);
  t.pass('with no writable log, the charger was turned down to 6 A and back up');
  const st = await status(t, rig);
  t.match(st.out, /event log DEGRADED.*no log file open, rows kept in memory/, 'status shows the event-log alarm');
  t.match(st.out, new RegExp(`running, pid ${agent.pid}`));
  execFileSync('mount', ['-o', 'remount,rw', stateDir]);
  await agent.waitForJournal(msgStarts('event log file open again'), 'the log file opened on a retry');
  await agent.waitForJournal(msgStarts('event log writable again'), 'the rows written');
  agent.proc.kill('SIGTERM');
  t.equal((await agent.exited).code, 0);
  const { rows, verify } = readLog(rig.eventLogPath);
  t.equal(rows[0]?.kind, 'eventlog.outage', 'the log begins with the outage');
  t.match(rows[0]?.data, { reason: /cannot open/ });
  t.equal(rows[1]?.kind, 'agent.start', 'then every row kept in memory, from the start');
  t.equal(writesOf(rows, 6).length, 1, 'including the 6 A write');
  t.ok(verify.ok);
});

t.test('database and WAL deleted while running: noticed, rebuilt from the open connection, nothing lost', async (t) => {
  const rig = await startRig(t);
  const agent = spawnAgent(t, ['run', '--config', rig.configPath]);
  await running(agent);
  await dnoCycle(rig);
  unlinkSync(`${rig.eventLogPath}-wal`);
  await dnoCycle(rig);
  // Deleting files while the agent is between closing and reopening them would go unseen
  // (a fresh file is all there is to see): wait until the rebuild is over.
  await agent.waitForJournal((l) => l.msg === 'event log rebuilt and reopened' && /WAL file .* deleted while running/.test(String(l.reason)), 'the deleted WAL rebuilt');
  for (const s of ['', '-wal', '-shm']) rmSync(rig.eventLogPath + s, { force: true });
  await dnoCycle(rig);
  await agent.waitForJournal((l) => l.msg === 'event log rebuilt and reopened' && /database file .* deleted while running/.test(String(l.reason)), 'the deleted database rebuilt');
  await dnoCycle(rig);
  agent.proc.kill('SIGTERM');
  t.equal((await agent.exited).code, 0);
  const { rows, verify } = readLog(rig.eventLogPath);
  t.same(rows.filter((r) => r.kind === 'eventlog.reopened').map((r) => r.data.rebuilt), ['WAL checkpointed from the open connection', 'copied from the open connection']);
  t.equal(writesOf(rows, 6).length, 4, 'all four reductions are in the log');
  t.equal(rows[0]?.kind, 'agent.start', 'the history from before the deletions is still there');
  t.ok(verify.ok, 'and the chain is intact');
});
