// `run` on the shared argument parser: bad usage exits 64 with the usage text before anything
// is opened (no lock, no port, no event log), and --help prints the usage. In process: the
// config loads, the arguments are refused, and runCommand returns before building an agent.
import t from 'tap';
import { runCommand } from '../../../agent/cli/run.js';
import { source } from '../../helpers/paths.js';

const DEMO_CONFIG = source('config/demo.yaml');

t.test('an unknown option or a stray argument is bad usage (64), named on stderr', async (t) => {
  for (const bad of [['--bogus'], ['now'], ['--dry-run=yes']]) {
    const stderr = t.capture(process.stderr, 'write', () => true);
    const code = await runCommand(['--config', DEMO_CONFIG, ...bad]);
    const text = stderr()
      .map((c) => String(c.args[0]))
      .join('');
    t.equal(code, 64, bad.join(' '));
    t.match(text, /^run: .+\nusage: hcalcs-agent run \[--config PATH\] \[--dry-run\]/, 'says what is wrong, then the usage');
  }
});

t.test('--help prints the usage and exits 0', async (t) => {
  const stdout = t.capture(process.stdout, 'write', () => true);
  const code = await runCommand(['--config', DEMO_CONFIG, '--help']);
  const text = stdout()
    .map((c) => String(c.args[0]))
    .join('');
  t.equal(code, 0);
  t.match(text, /^usage: hcalcs-agent run \[--config PATH\] \[--dry-run\]/);
});
