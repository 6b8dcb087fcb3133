// The real `run` process on a state disk that fills up while it runs (a small tmpfs): control
// goes on, `status` shows the alarm, the rows arrive when space is back.
import t from 'tap';
import { unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { dnoCycle, fillDisk, mountSkip, mountTmpfs, msgStarts, okWritesOf, readLog, running, spawnAgent, startRig, status } from '../helpers/agent-process.js';

t.test('disk full while running: control goes on, status shows the alarm, the rows arrive when space is back', { skip: mountSkip }, async (t) => {
  const rig = await startRig(t);
  const stateDir = dirname(rig.eventLogPath);
  mountTmpfs(t, stateDir, '1m');
  const agent = spawnAgent(t, ['run', '--config', rig.configPath]);
  await running(agent);
  await dnoCycle(rig);
  const filler = fillDisk(stateDir);
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
  t.ok(okWritesOf(rows.slice(outage), 6).length >= 1, 'the 6 A write made during the outage is in the log, after the outage row');
  t.equal(okWritesOf(rows, 6).length, 2, 'both reductions are in the log');
  t.ok(verify.ok);
});
