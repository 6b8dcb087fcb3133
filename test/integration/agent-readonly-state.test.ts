// The real `run` process started on a read-only state directory (a tmpfs remounted ro): it
// controls with the log in memory, `status` shows the alarm, and the log is written once it can.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { dnoCycle, mountSkip, mountTmpfs, msgStarts, okWritesOf, readLog, running, spawnAgent, startRig, status } from '../helpers/agent-process.js';

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
  t.equal(okWritesOf(rows, 6).length, 1, 'including the 6 A write');
  t.ok(verify.ok);
});
