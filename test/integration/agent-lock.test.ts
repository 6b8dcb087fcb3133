// The real `run` process: one agent per config. A second `run` on the same config exits 75
// naming the first; the first keeps control (seen at the simulated charger).
import t from 'tap';
import { dnoCycle, running, spawnAgent, startRig, waitUntil } from '../helpers/agent-process.js';

t.test('a second run on the same config exits 75 naming the first one; the first keeps control', async (t) => {
  const rig = await startRig(t);
  const first = spawnAgent(t, ['run', '--config', rig.configPath]);
  await running(first);
  await waitUntil(() => rig.setpoint() === 32, 'the first agent writes the charger');
  const started = Date.now();
  const second = spawnAgent(t, ['run', '--config', rig.configPath]);
  const { code } = await second.exited;
  t.comment(`second run exited after ${Date.now() - started} ms (process start included)`);
  t.equal(code, 75, 'EX_TEMPFAIL');
  t.match(second.stderr(), new RegExp(`another hcalcs-agent is running on this config \\(pid ${first.pid}\\)`), 'names the holder');
  t.notOk(
    second.journal.some((l) => l.msg === 'agent running'),
    'the second never ran',
  );
  await dnoCycle(rig);
  t.pass('the first agent still turns the charger down and up');
  first.proc.kill('SIGTERM');
  t.equal((await first.exited).code, 0);
});
