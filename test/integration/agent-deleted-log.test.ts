// The real `run` process whose WAL and then database are deleted while it runs: noticed,
// rebuilt from the open connection, nothing lost, the chain intact.
import t from 'tap';
import { rmSync, unlinkSync } from 'node:fs';
import { dnoCycle, okWritesOf, readLog, running, spawnAgent, startRig } from '../helpers/agent-process.js';

t.test('database and WAL deleted while running: noticed, rebuilt from the open connection, nothing lost', async (t) => {
  const rig = await startRig(t);
  const agent = spawnAgent(t, ['run', '--config', rig.configPath]);
  await running(agent);
  await dnoCycle(rig);
  unlinkSync(`${rig.eventLogPath}-wal`);
  await dnoCycle(rig);
  // Deleting files while the agent is between closing and reopening them would go unseen
  // (a fresh file is all there is to see): wait until the rebuild is over.
  await agent.waitForJournal(
    (l) => l.msg === 'event log rebuilt and reopened' && /WAL file .* deleted while running/.test(String(l.reason)),
    'the deleted WAL rebuilt',
  );
  for (const s of ['', '-wal', '-shm']) rmSync(rig.eventLogPath + s, { force: true });
  await dnoCycle(rig);
  await agent.waitForJournal(
    (l) => l.msg === 'event log rebuilt and reopened' && /database file .* deleted while running/.test(String(l.reason)),
    'the deleted database rebuilt',
  );
  await dnoCycle(rig);
  agent.proc.kill('SIGTERM');
  t.equal((await agent.exited).code, 0);
  const { rows, verify } = readLog(rig.eventLogPath);
  t.same(
    rows.filter((r) => r.kind === 'eventlog.reopened').map((r) => r.data.rebuilt),
    ['WAL checkpointed from the open connection', 'copied from the open connection'],
  );
  t.equal(okWritesOf(rows, 6).length, 4, 'all four reductions are in the log');
  t.equal(rows[0]?.kind, 'agent.start', 'the history from before the deletions is still there');
  t.ok(verify.ok, 'and the chain is intact');
});
