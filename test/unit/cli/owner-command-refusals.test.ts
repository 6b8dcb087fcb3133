// The owner commands' refusals before anything is queued: an empty --config, a config that
// does not load, an event log that cannot be opened. Each says why and exits with the code a
// script can tell apart (64, 78, 66), and nothing is queued.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualLimitCommand } from '../../../agent/cli/manual-limit.js';
import { restoreNowCommand } from '../../../agent/cli/restore-now.js';
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
