// The owner commands' refusals before anything is queued: an empty --config, a config that
// does not load, an event log that cannot be opened. Each says why and exits with the code a
// script can tell apart (64, 78, 66), and nothing is queued. A saved agent state that cannot
// be read is an error that names it (main prints it, exit 1), and nothing is queued either.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualLimitCommand } from '../../../agent/cli/manual-limit.js';
import { restoreNowCommand } from '../../../agent/cli/restore-now.js';
import Database from 'better-sqlite3';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { STATE_KEY_RUNTIME } from '../../../agent/status-snapshot.js';
import { Sink } from '../event-log/fixtures/helpers.js';

async function run(cmd: typeof manualLimitCommand, argv: string[]) {
  const out = new Sink();
  const err = new Sink();
  const code = await cmd(argv, { out, err, env: {} });
  return { code, out: out.text, err: err.text };
}

const CONFIG = (eventLog: string) => `version: 1
han: { port: 'tcp://127.0.0.1:1' }
chargers:
  - { id: garage, profile: alfen-eve, transport: { type: tcp, host: 127.0.0.1, port: 1 }, maxCurrentA: 32 }
bindings:
  - { switch: 2, chargers: [garage], reducedCurrentA: 6 }
eventLog: { path: ${eventLog} }
`;

t.test('an empty --config is bad usage', async (t) => {
  for (const [cmd, argv] of [
    [restoreNowCommand, ['--config=']],
    [manualLimitCommand, ['--charger', 'garage', '--limit', '10', '--config=']],
  ] as const) {
    const r = await run(cmd, [...argv]);
    t.equal(r.code, 64, argv.join(' '));
    t.match(r.err, /^hcalcs-agent (restore-now|manual-limit): --config needs a value\nusage: hcalcs-agent /);
    t.equal(r.out, '');
  }
});

t.test('a config that does not load: its problems, 78', async (t) => {
  const dir = t.testdir({ 'config.yaml': 'version: 1\nchargers: []\n' });
  const r = await run(restoreNowCommand, ['--config', join(dir, 'config.yaml')]);
  t.equal(r.code, 78);
  t.match(r.err, /han/, 'the missing part is named');
  t.equal(r.out, '');
});

t.test('an event log that cannot be opened: why, 66, and no command queued anywhere', async (t) => {
  const dir = t.testdir({});
  // A directory where the event log file should be.
  const db = join(dir, 'events.db');
  mkdirSync(db);
  writeFileSync(join(dir, 'config.yaml'), CONFIG(db));
  for (const [cmd, argv] of [
    [restoreNowCommand, ['--queue']],
    [manualLimitCommand, ['--charger', 'garage', '--limit', '10', '--queue']],
  ] as const) {
    const r = await run(cmd, [...argv, '--config', join(dir, 'config.yaml')]);
    t.equal(r.code, 66, argv.join(' '));
    t.match(r.err, /^hcalcs-agent (restore-now|manual-limit): .+\n$/);
    t.equal(r.out, '', 'nothing said to be queued');
  }
});

t.test('a saved runtime state that is not JSON: the error names the state and the file, and nothing is queued', async (t) => {
  const dir = t.testdir({});
  const db = join(dir, 'events.db');
  const log = openEventLogStore(db);
  log.append({ kind: 'agent.start', data: {} });
  log.close();
  // A hand edit (or a torn write by a foreign tool) left the agent's snapshot unreadable.
  const raw = new Database(db);
  raw.prepare('INSERT INTO state (key, value, updated_at_ms) VALUES (?, ?, ?)').run(STATE_KEY_RUNTIME, '{"pid": 12', Date.now());
  raw.close();
  writeFileSync(join(dir, 'config.yaml'), CONFIG(db));
  for (const [cmd, argv] of [
    [restoreNowCommand, ['--queue']],
    [manualLimitCommand, ['--charger', 'garage', '--limit', '10', '--queue']],
  ] as const) {
    await t.rejects(run(cmd, [...argv, '--config', join(dir, 'config.yaml')]), new RegExp(`^state runtime in .*events\\.db is not valid JSON`), argv.join(' '));
  }
  const check = new Database(db, { readonly: true });
  t.equal((check.prepare('SELECT count(*) AS n FROM commands').get() as { n: number }).n, 0, 'nothing queued');
  check.close();
});
