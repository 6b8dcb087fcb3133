// `scenario check` and the refusals of `scenario run` that come before any rig starts: every
// file is checked first (problems as FILE: path: message, 78), a directory stands for its
// YAML files, and bad usage is 64 with the usage.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { scenarioCommand } from '../../../agent/cli/scenario.js';
import { source } from '../../helpers/paths.js';
import { Sink } from '../event-log/fixtures/helpers.js';

/** Runs the command with standard error collected (it reports problems there). */
async function scenario(argv: string[]) {
  const out = new Sink();
  const write = process.stderr.write;
  let err = '';
  process.stderr.write = ((chunk: string | Uint8Array) => ((err += chunk.toString()), true)) as typeof process.stderr.write;
  try {
    return { code: await scenarioCommand(argv, out), out: out.text, err };
  } finally {
    process.stderr.write = write;
  }
}

const LIBRARY = source('test/scenarios');

t.test('check: the shipped library is valid; a directory stands for its YAML files', async (t) => {
  const n = readdirSync(LIBRARY).filter((f) => /\.ya?ml$/.test(f)).length;
  const r = await scenario(['check', LIBRARY]);
  t.same(r, { code: 0, out: `${n} scenario files valid\n`, err: '' });
  const one = await scenario(['check', join(LIBRARY, readdirSync(LIBRARY).filter((f) => f.endsWith('.yaml'))[0] as string)]);
  t.equal(one.out, '1 scenario file valid\n', 'one file: singular');
});

t.test('a file with problems: each as FILE: path: message, 78, nothing runs', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'name: 12\nsteps: nope\n' });
  const bad = join(dir, 'bad.yaml');
  for (const sub of ['check', 'run']) {
    const r = await scenario([sub, bad]);
    t.equal(r.code, 78, sub);
    t.match(r.err, new RegExp(`^${bad.replace(/[.]/g, '\\.')}: `), `${sub}: problems name the file`);
    t.equal(r.out, '', `${sub}: nothing ran`);
  }
  const missing = await scenario(['check', join(dir, 'absent.yaml')]);
  t.equal(missing.code, 78);
  t.match(missing.err, /absent\.yaml: /, 'a missing file is named');
});

t.test('bad usage: 64 with the usage; --help: 0', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /^usage: hcalcs-agent scenario run/],
    [['walk'], /^usage: hcalcs-agent scenario run/],
    [['run'], /^scenario run: no scenario files given\nusage:/],
    [['run', LIBRARY, '--jobs', '0'], /^scenario: --jobs 0: expected a whole number from 1 to 64\n$/],
    [['run', LIBRARY, '--jobs', '2.5'], /--jobs 2\.5: expected a whole number/],
    [['run', LIBRARY, '--frobnicate'], /^scenario: .*frobnicate[^]*usage:/],
  ];
  for (const [argv, message] of cases) {
    const r = await scenario(argv);
    t.equal(r.code, 64, argv.join(' '));
    t.match(r.err, message, argv.join(' '));
    t.equal(r.out, '', `${argv.join(' ')}: nothing on stdout`);
  }
  const help = await scenario(['run', '--help']);
  t.same(help, { code: 0, out: help.out, err: '' });
  t.match(help.out, /^usage: hcalcs-agent scenario run/);
});
