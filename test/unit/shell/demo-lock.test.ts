// The demo takes the instance lock of its own state directory: a second demo on the same
// state would delete the first one's event log and fight it over the simulated charger.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { built, source } from '../../helpers/paths.js';
import { demoCommand } from '../../../agent/cli/demo.js';

const HOLDER = built('test/fixtures/lock-holder.js');
const DEMO = source('config/demo.yaml');

t.test('a demo whose state another agent holds exits 75 and leaves that log alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-demo-lock-'));
  const logPath = join(dir, 'demo-events.db');
  const config = join(dir, 'demo.yaml');
  writeFileSync(config, readFileSync(DEMO, 'utf8').replace('./var/demo-events.db', logPath));
  writeFileSync(logPath, "the running demo's log");
  const child = spawn(process.execPath, [HOLDER, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout!.setEncoding('utf8');
  while (!out.includes('held')) out += ((await once(child.stdout!, 'data')) as [string])[0];

  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = await demoCommand(['--config', config], { write: () => true });
  } finally {
    process.stderr.write = write;
  }
  t.equal(code, 75);
  t.match(stderr, new RegExp(`demo: another hcalcs-agent is running on this config \\(pid ${child.pid}\\)`));
  t.ok(existsSync(logPath), "the holder's log was not deleted");
  t.equal(readFileSync(logPath, 'utf8'), "the running demo's log");
});
