// The real `run` process: one agent per config, its signals, the modes of the files it makes,
// and a start on an event log that cannot be used. Control is asserted from the charger's side
// (the setpoint the simulated Alfen Eve was written), the log afterwards from the file.
import t from 'tap';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { openEventLogStore } from '../../agent/event-log/store.js';
import { dnoCycle, spawnAgent, startRig, waitUntil, type AgentProcess } from '../helpers/agent-process.js';

const running = (a: AgentProcess) => a.waitForJournal((l) => l.msg === 'agent running', 'agent running');

function readLog(path: string) {
  const s = openEventLogStore(path, { readonly: true });
  try {
    return { rows: s.query({}), verify: s.verify() };
  } finally {
    s.close();
  }
}

/** TCP ports this process listens on (its socket inodes matched against /proc/net/tcp*). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1] as string);
    } catch {
      // fd closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] local address:port (hex), f[3] state (0A = LISTEN), f[9] inode
      if (f[3] === '0A' && inodes.has(f[9] as string)) ports.push(Number.parseInt((f[1] as string).split(':')[1] as string, 16));
    }
  }
  return ports;
}

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
  t.notOk(second.journal.some((l) => l.msg === 'agent running'), 'the second never ran');
  await dnoCycle(rig);
  t.pass('the first agent still turns the charger down and up');
  first.proc.kill('SIGTERM');
  t.equal((await first.exited).code, 0);
});

t.test('SIGUSR1 opens no inspector; SIGHUP stops cleanly; files are 0640 in a 0750 directory', async (t) => {
  const rig = await startRig(t);
  const agent = spawnAgent(t, ['run', '--config', rig.configPath]);
  await running(agent);
  const before = listeningPorts(agent.pid);
  agent.proc.kill('SIGUSR1');
  await agent.waitForJournal((l) => typeof l.msg === 'string' && l.msg.startsWith('SIGUSR1 ignored'), 'SIGUSR1 ignored');
  // The inspector would be listening by now had it been started (it binds synchronously in
  // the signal's handling); a control cycle after it gives it time all the same.
  await dnoCycle(rig);
  const after = listeningPorts(agent.pid);
  t.same(after, before, `no new listening socket (before ${JSON.stringify(before)}, after ${JSON.stringify(after)})`);
  t.notOk(after.includes(9229), 'nothing on 9229');
  t.notMatch(agent.stderr(), /Debugger listening/);
  t.equal(agent.proc.exitCode, null, 'the agent is still running');

  const stateDir = dirname(rig.eventLogPath);
  t.equal(statSync(stateDir).mode & 0o777, 0o750, 'state directory 0750');
  for (const f of readdirSync(stateDir).filter((f) => f.startsWith('events.db') || f.startsWith('agent.'))) {
    t.equal(statSync(`${stateDir}/${f}`).mode & 0o777, 0o640, `${f} 0640`);
  }

  agent.proc.kill('SIGHUP');
  const { code } = await agent.exited;
  t.equal(code, 0, 'SIGHUP: a clean stop');
  const { rows } = readLog(rig.eventLogPath);
  t.match(rows.at(-1), { kind: 'agent.stop', data: { reason: 'SIGHUP' } }, 'the log records the stop');
});

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
  t.ok(rows.some((r) => r.kind === 'charger.write' && r.data.limitA === 6 && r.data.ok), 'the 6 A write is in the new log');
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
