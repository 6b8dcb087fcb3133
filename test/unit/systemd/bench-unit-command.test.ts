// The benches start the agent from the unit file itself (test/bench/lib/unit-command.mjs), so
// their figures are for what the unit runs. This checks that reading: systemd's quoting, more
// than one Environment= line, the [Service] section only, and a loud failure on a command line
// it does not understand rather than a silent start without the unit's options.
import t from 'tap';
import { pathToFileURL } from 'node:url';
import { source } from '../../helpers/paths.js';

interface UnitCommand {
  nodeArgs: string[];
  script: string;
  args: string[];
  env: Record<string, string>;
}
const lib = (await import(pathToFileURL(source('test/bench/lib/unit-command.mjs')).href)) as {
  unitCommand(text?: string): UnitCommand;
  unitWords(text: string): string[];
  agentSpawn(configPath: string): [string, string[], { env: Record<string, string>; cwd: string }];
};

const unit = (service: string) => `[Unit]\nDescription=x\n\n[Service]\n${service}\n\n[Install]\nEnvironment=NOT_SERVICE=1\n`;

t.test('options, script, arguments and environment of ExecStart and Environment=', async (t) => {
  const u = lib.unitCommand(
    unit(
      [
        'Environment=HCALCS_CONFIG=/etc/x.yaml',
        'Environment=MALLOC_ARENA_MAX=2 "LABEL=two words"',
        'ExecStart=/usr/bin/env node --optimize-for-size --v8-pool-size=1 /opt/hcalcs-agent/dist/agent/main.js run --dry-run',
      ].join('\n'),
    ),
  );
  t.same(u.nodeArgs, ['--optimize-for-size', '--v8-pool-size=1']);
  t.equal(u.script, 'dist/agent/main.js');
  t.same(u.args, ['run', '--dry-run']);
  t.same(u.env, { HCALCS_CONFIG: '/etc/x.yaml', MALLOC_ARENA_MAX: '2', LABEL: 'two words' }, 'only [Service] counts');
});

t.test('a continued ExecStart line and node without env', async (t) => {
  const u = lib.unitCommand(unit('ExecStart=node --max-semi-space-size=1 \\\n  /opt/hcalcs-agent/dist/agent/main.js run'));
  t.same(u.nodeArgs, ['--max-semi-space-size=1']);
  t.same(u.args, ['run']);
  t.same(u.env, {});
});

t.test('systemd word splitting', async (t) => {
  t.same(lib.unitWords(`a "b c" 'd e' f\\ g ""`), ['a', 'b c', 'd e', 'f g', '']);
  t.throws(() => lib.unitWords('a "b'), /unbalanced/);
});

t.test('what it cannot follow, it refuses', async (t) => {
  t.throws(() => lib.unitCommand(unit('Environment=A=1')), /one ExecStart/);
  t.throws(() => lib.unitCommand(unit('ExecStart=-/usr/bin/env node /opt/hcalcs-agent/dist/agent/main.js run')), /prefix/);
  t.throws(() => lib.unitCommand(unit('ExecStart=/usr/bin/python3 /opt/hcalcs-agent/x.py')), /does not start node/);
  t.throws(() => lib.unitCommand(unit('ExecStart=/usr/bin/env node /srv/agent/main.js run')), /names no script/);
  t.throws(() => lib.unitCommand(unit('Environment=NOEQUALS\nExecStart=node /opt/hcalcs-agent/dist/agent/main.js run')), /NAME=VALUE/);
});

t.test('the shipped unit: the agent is spawned with its options and variables, in a clean environment', async (t) => {
  const shipped = lib.unitCommand();
  const [file, argv, options] = lib.agentSpawn('/tmp/bench/config.yaml');
  t.equal(file, process.execPath);
  t.same(argv.slice(0, shipped.nodeArgs.length), shipped.nodeArgs);
  t.equal(argv[shipped.nodeArgs.length], source(shipped.script));
  t.same(argv.slice(shipped.nodeArgs.length + 1), shipped.args);
  t.same(
    Object.keys(options.env).sort(),
    [...new Set(['PATH', 'HCALCS_CONFIG', ...Object.keys(shipped.env)])].sort(),
    'PATH and the unit, nothing of the caller',
  );
  t.equal(options.env.HCALCS_CONFIG, '/tmp/bench/config.yaml', "the bench's config, not /etc");
  for (const [k, v] of Object.entries(shipped.env)) if (k !== 'HCALCS_CONFIG') t.equal(options.env[k], v, k);
});
