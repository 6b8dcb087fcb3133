// The real `run` process started on an event log it cannot use (corrupt, newer schema):
// the file is moved aside and kept, a new log says why, and the charger is controlled.
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { openEventLogStore } from '../../agent/event-log/store.js';
import { dnoCycle, readLog, running, spawnAgent, startRig } from '../helpers/agent-process.js';

t.test('a corrupt event log at start: moved aside, a new log says why, the charger is controlled', async (t) => {
  const rig = await startRig(t);
  mkdirSync(dirname(rig.eventLogPath), { recursive: true });
  writeFileSync(rig.eventLogPath, Buffer.alloc(8192, 'corrupt '));
  const agent = spawnAgent(t, ['run', '--config', rig.configPath]);
  await running(agent);
  await dnoCycle(rig);
  agent.proc.kill('SIGTERM');
  t.equal((await agent.exited).code, 0);
  const { rows, verify } = readLog(rig.eventLogPath);
  t.equal(rows[0]?.kind, 'eventlog.recovered', 'the first row of the new log says why');
  t.match(rows[0]?.data, { reason: /not a database/, movedTo: /events\.db\.broken-/ });
  t.same(readFileSync(rows[0]?.data.movedTo as string), Buffer.alloc(8192, 'corrupt '), 'the old file is kept as it was');
  t.ok(
    rows.some((r) => r.kind === 'charger.write' && r.data.limitA === 6 && r.data.ok),
    'the 6 A write is in the new log',
  );
  t.ok(verify.ok);
});

t.test('a newer schema at start: moved aside, the saved state salvaged, the charger is controlled', async (t) => {
  const rig = await startRig(t);
  mkdirSync(dirname(rig.eventLogPath), { recursive: true });
  const old = openEventLogStore(rig.eventLogPath);
  old.append({ kind: 'written.by.a.newer.agent' });
  old.close();
  const db = new Database(rig.eventLogPath);
  db.pragma('user_version = 7');
  db.close();
  const agent = spawnAgent(t, ['run', '--config', rig.configPath]);
  await running(agent);
  await dnoCycle(rig);
  agent.proc.kill('SIGTERM');
  t.equal((await agent.exited).code, 0);
  const { rows } = readLog(rig.eventLogPath);
  t.equal(rows[0]?.kind, 'eventlog.recovered');
  t.match(rows[0]?.data, { reason: /schema version 7 is newer/ });
  const kept = new Database(rows[0]?.data.movedTo as string, { readonly: true });
  t.equal(kept.pragma('user_version', { simple: true }), 7, 'the newer file is kept untouched');
  kept.close();
  t.ok(rows.some((r) => r.kind === 'charger.write' && r.data.limitA === 6));
});
