// `hcalcs-agent check-config`: exit codes and output, through the command function with
// captured streams.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { checkConfigCommand } from '../../../agent/cli/check-config.js';
import { configPathFrom, DEFAULT_CONFIG_PATH } from '../../../config/config-path.js';
import { PROFILES } from './base.js';
import { EXIT } from '../../../agent/cli/shared/exit-codes.js';

const dir = mkdtempSync(join(tmpdir(), 'hcalcs-check-config-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = `han:
  port: tcp://127.0.0.1:17201
chargers:
  - { id: garage, profile: alfen-eve, transport: { type: tcp, host: 127.0.0.1, port: 17502 }, unitId: 1, maxCurrentA: 32 }
  - { id: shed, profile: alfen-eve, transport: { type: tcp, host: 127.0.0.2 }, maxCurrentA: 16 }
bindings:
  - { switch: 2, chargers: [garage] }
`;
const BAD = `han:
  port: COM3
  baud: 9600
chargers:
  - { id: garage, profile: alfen-evee, transport: { type: tcp, host: 127.0.0.1 }, maxCurrentA: 100 }
bindings:
  - { chargers: [garage], reducedCurrentA: 4 }
`;
const good = join(dir, 'good.yaml');
const bad = join(dir, 'bad.yaml');
const broken = join(dir, 'broken.yaml');
writeFileSync(good, GOOD);
writeFileSync(bad, BAD);
writeFileSync(broken, 'han:\n  port: a\n  port: b\n');

async function run(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await checkConfigCommand(argv, {
    out: { write: (s: string) => out.push(s) },
    err: { write: (s: string) => err.push(s) },
    knownProfiles: PROFILES,
    env,
    cwd: dir,
  });
  return { code, out: out.join(''), err: err.join('') };
}

t.test('a good file: exit 0, the OK line on stdout, warnings on stderr', async (t) => {
  const r = await run(['--config', good]);
  t.equal(r.code, 0);
  t.equal(r.out, `config OK: 2 chargers, 1 bindings (${good})\n`);
  t.equal(r.err, 'warning: chargers[1]: charger "shed" is in no binding, so no switch will ever reduce it\n');
});

t.test('a bad file: exit 78 and every problem on stderr, nothing on stdout', async (t) => {
  const r = await run(['--config', bad]);
  t.equal(r.code, EXIT.CONFIG);
  t.equal(r.code, 78);
  t.equal(r.out, '');
  t.same(r.err.split('\n'), [
    `${bad}: 6 problems`,
    // In the order of the file.
    'han.port: must be a serial device path starting with / (e.g. /dev/ttyUSB0) or tcp://host:port, got "COM3"',
    'han.baud: unknown key; allowed here: port, serial, requireChecksum, sendChecksum, reconnect, readSchedule',
    'chargers[0].profile: unknown profile "alfen-evee" (did you mean alfen-eve?); known: alfen-eve, generic, heidelberg-energy-control',
    'chargers[0].maxCurrentA: must be at most 80, got 100',
    'bindings[0]: needs switch (the number 1-5 on the meter) or dev (the HCALCS device id), or both',
    // Checked against the minimum; the maximum the schema rejected is left out.
    'bindings[0].reducedCurrentA: 4 A is below the minimum 6 A of charger "garage"; use at least 6 A',
    '',
  ]);
});

t.test('YAML syntax errors: exit 78 with line:col', async (t) => {
  const r = await run([`--config=${broken}`]);
  t.equal(r.code, EXIT.CONFIG);
  t.equal(r.err, `${broken}: 1 problem\n3:3: Map keys must be unique\n`);
});

t.test('a missing file: exit 78, naming the path', async (t) => {
  const missing = join(dir, 'nope.yaml');
  const r = await run(['--config', missing]);
  t.equal(r.code, EXIT.CONFIG);
  t.equal(r.err, `${missing}: 1 problem\n${missing}: cannot read the config file: no such file\n`);
  const asDir = await run(['--config', dir]);
  t.equal(asDir.code, EXIT.CONFIG);
  t.match(asDir.err, /cannot read the config file: is a directory/);
});

t.test('HCALCS_CONFIG names the file when --config is absent; --config wins', async (t) => {
  const viaEnv = await run([], { HCALCS_CONFIG: good });
  t.equal(viaEnv.code, 0);
  t.match(viaEnv.out, `(${good})`);
  const both = await run(['--config', bad], { HCALCS_CONFIG: good });
  t.equal(both.code, EXIT.CONFIG);
});

t.test('without --config or HCALCS_CONFIG the default path is read', async (t) => {
  t.same(configPathFrom([], {}), { ok: true, path: DEFAULT_CONFIG_PATH, rest: [] });
  t.same(configPathFrom(['-c', 'x.yaml', '--print'], { HCALCS_CONFIG: 'y' }), { ok: true, path: 'x.yaml', rest: ['--print'] });
  t.same(configPathFrom([], { HCALCS_CONFIG: '' }), { ok: true, path: DEFAULT_CONFIG_PATH, rest: [] });
  const r = await run([]);
  t.match(r.out + r.err, DEFAULT_CONFIG_PATH, 'the command reports on the default path');
});

t.test('bad arguments: exit 64 with usage', async (t) => {
  for (const argv of [['--config'], ['--config='], ['--bogus'], ['extra']]) {
    const r = await run(argv);
    t.equal(r.code, EXIT.USAGE, argv.join(' '));
    t.match(r.err, /usage: hcalcs-agent check-config/);
  }
});

t.test('--help prints usage and exits 0', async (t) => {
  const r = await run(['--help']);
  t.equal(r.code, 0);
  t.match(r.out, /--config PATH .*HCALCS_CONFIG.*\/etc\/hcalcs-agent\/config\.yaml/);
});

t.test('--print shows the config as the agent reads it, defaults filled in', async (t) => {
  const r = await run(['--config', good, '--print']);
  t.equal(r.code, 0);
  const printed = parse(r.out.slice(r.out.indexOf('\n') + 1)) as Record<string, { [k: string]: unknown }>;
  t.equal(printed.rules?.restore && (printed.rules.restore as { maxDelayS: number }).maxDelayS, 600);
  t.same(printed.han?.serial, { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 });
  t.equal(printed.eventLog?.path, '/var/lib/hcalcs-agent/events.db');
});
