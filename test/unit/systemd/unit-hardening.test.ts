// The shipped unit: systemd's own analysis scores its exposure at most 2.5, it passes
// `systemd-analyze verify`, and the directives the agent depends on are there (or, for
// MemoryDenyWriteExecute, absent: V8's JIT needs writable executable memory).
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { source } from '../../helpers/paths.js';

const UNIT = source('systemd/hcalcs-agent.service');
const text = readFileSync(UNIT, 'utf8');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = has('systemd-analyze') || process.env.CI === 'true' ? false : 'systemd-analyze not installed';

t.test('systemd-analyze security: exposure at most 2.5', { skip }, async (t) => {
  const out = execFileSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', UNIT], { encoding: 'utf8' });
  const m = /Overall exposure level for hcalcs-agent\.service: (\d+\.\d+)/.exec(out);
  t.ok(m, 'the analysis printed a score');
  const score = Number(m?.[1]);
  t.comment(`exposure ${score}`);
  t.ok(score <= 2.5, `exposure ${score} <= 2.5`);
});

t.test('systemd-analyze verify accepts the unit', { skip }, async (t) => {
  const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
  // Paths of the installed system (/opt/hcalcs-agent) are not here; only unit errors count.
  const problems = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/not executable|No such file|Failed to load|not found/i.test(l));
  t.same(problems, [], r.stderr);
});

t.test('what the agent relies on', async (t) => {
  const directive = (k: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${k}=`))
      .map((l) => l.slice(k.length + 1));
  t.same(directive('UMask'), ['0027']);
  t.match(directive('After').join(' '), /time-sync\.target/);
  t.match(directive('Wants').join(' '), /time-sync\.target/);
  t.same(directive('MemoryDenyWriteExecute'), [], 'not set: it would break V8');
  t.same(directive('RestrictAddressFamilies'), ['AF_INET AF_INET6 AF_UNIX'], 'Modbus TCP, tcp:// HAN bridges, sd_notify');
  t.same(directive('DeviceAllow'), ['char-ttyUSB rw', 'char-ttyACM rw', 'char-ttyAMA rw', 'char-ttyS rw']);
  t.same(directive('RestartPreventExitStatus'), ['78']);
  t.same(directive('StateDirectory'), ['hcalcs-agent']);
  t.same(directive('RuntimeDirectory'), ['hcalcs-agent'], 'where the health file goes when the disk fails');
  t.match(directive('MemoryMax')[0], /^\d+M$/);
});
