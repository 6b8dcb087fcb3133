// `sim charger` as a tester drives it: what each Modbus write means for the profile, every
// refused flag with its message and exit code, and a scripted session from start to end.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWrite, simChargerCommand } from '../../../agent/cli/sim-charger.js';
import { loadProfiles, type Profile } from '../../../drivers/charger/profile.js';
import type { SimRequest } from '../../../drivers/charger/simulator.js';
import { captured } from '../../helpers/capture-std.js';

const profiles = loadProfiles();
const profile = (id: string): Profile => {
  const p = profiles.get(id);
  if (!p) throw new Error(`no profile ${id}`);
  return p;
};
const write = (address: number, values: number[], fc: 6 | 16 = 6): SimRequest => ({ atMs: 0, unitId: 1, fc, address, length: values.length, values });

t.test('what a write means for the profile', async (t) => {
  const heidelberg = profile('heidelberg-energy-control');
  t.equal(describeWrite(heidelberg, write(261, [160])), 'setpoint 16 A', 'scaled by 0.1');
  t.equal(describeWrite(heidelberg, write(262, [60])), 'failsafe current 6 A');
  t.equal(describeWrite(heidelberg, write(257, [15000])), 'failsafe timeout 15000 ms');
  t.equal(describeWrite(heidelberg, write(258, [4])), 'init: disable standby, which drops Modbus (evcc does the same)');
  t.equal(describeWrite(heidelberg, write(4000, [1])), 'unknown register');
  t.equal(describeWrite(heidelberg, write(261, [])), 'unknown register', 'no values: not a setpoint write');
  const heartbeat = profile('mennekes-amtron-compact');
  const ka = heartbeat.keepAlive.register;
  if (ka === undefined) return t.fail('the heartbeat profile has a keep-alive register');
  t.equal(describeWrite(heartbeat, write(ka.address, [1])), 'keep-alive (heartbeat-value)');
});

t.test('every refused flag: its message, and 64 (78 for a profile that cannot be loaded)', async (t) => {
  const cases: [string[], number, RegExp][] = [
    [['--frobnicate'], 64, /^sim charger: .*frobnicate/],
    [['--profile', 'keba-p30', '--listen', '127.0.0.1:0', 'extra'], 64, /^sim charger: unexpected argument "extra"\n$/],
    [['--profile', 'no-such-charger', '--listen', '127.0.0.1:0'], 78, /^sim charger: chargers\.sim\.profile: unknown profile "no-such-charger"/],
    [['--profile', 'keba-p30'], 64, /give exactly one of --listen HOST:PORT and --port DEVICE/],
    [['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '--port', '/dev/null'], 64, /give exactly one of --listen/],
    [['--profile', 'keba-p30', '--listen', 'nowhere'], 64, /--listen nowhere: expected HOST:PORT/],
    [['--profile', 'keba-p30', '--port', '/dev/ttyUSB9', '--parity', 'mark'], 64, /--parity mark: expected none, even or odd/],
    [['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '--unit', '256'], 64, /--unit 256: expected a number from 0 to 255/],
    [['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '--car', 'parked'], 64, /--car parked: expected plugged or unplugged/],
    [['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '--draw', '1.5'], 64, /--draw 1\.5: expected a number from 0 to 1/],
    [['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '--phases', '2'], 64, /--phases 2: expected 1 or 3/],
    [['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '--timeout-s', '0'], 64, /--timeout-s 0: expected a number from 1 to 86400/],
    [['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '--safe-current-a', ' '], 64, /--safe-current-a  : expected a number from 0 to 80/],
    [['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '--car-delay', 'soon'], 64, /^sim charger: .*soon/],
    [['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '--control', '192.168.1.2:9000'], 64, /192\.168\.1\.2 is not a loopback address/],
  ];
  for (const [argv, code, message] of cases) {
    const r = await captured(() => simChargerCommand(argv));
    t.equal(r.code, code, argv.join(' '));
    t.match(r.err, message, argv.join(' '));
    t.equal(r.out, '', 'nothing started, nothing printed');
  }
});

t.test('--help prints the usage with the console commands', async (t) => {
  const r = await captured(() => simChargerCommand(['--help']));
  t.equal(r.code, 0);
  t.match(r.out, /^usage: hcalcs-agent sim charger/);
  t.match(r.out, /\n {2}unplug\b/, 'the console commands are listed');
  t.equal(r.err, '', 'on stdout only');
  for (const argv of [['-h'], ['--profile', 'keba-p30', '--help']]) {
    const h = await captured(() => simChargerCommand(argv));
    t.same(h, { code: 0, out: r.out, err: '' }, `${argv.join(' ')}: the same usage, nothing started`);
  }
});

t.test('the parser it shares with every command: a value given twice, -e only short, -e repeatable', async (t) => {
  const twice = await captured(() => simChargerCommand(['--profile', 'keba-p30', '--profile', 'alfen-eve', '--listen', '127.0.0.1:0']));
  t.equal(twice.code, 64);
  t.match(twice.err, /^sim charger: --profile given twice\nusage: hcalcs-agent sim charger/);
  const long = await captured(() => simChargerCommand(['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '--exec', 'unplug']));
  t.equal(long.code, 64);
  t.match(long.err, /^sim charger: Unknown option '--exec'/, '-e has no long spelling');
  const dir = t.testdir({ 'quit.txt': 'quit\n' });
  const both = await captured(() =>
    simChargerCommand(['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '-e', 'unplug', '-e=draw 0.5', '--script', join(dir, 'quit.txt')]),
  );
  t.equal(both.code, 0, both.err);
  t.match(both.out, /unplug[^]*draw[^]*sim charger: keba-p30 on Modbus TCP/, 'every -e runs, in order, before the simulator says where it listens');
});

t.test('a scripted session: the charger starts, the script runs, the simulator ends with 0', async (t) => {
  const dir = t.testdir({});
  const script = join(dir, 'car.txt');
  writeFileSync(script, '# the car leaves and comes back\nunplug\n\nplug\nshow\n');
  const r = await captured(() =>
    simChargerCommand(['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '--unit', '7', '--car', 'unplugged', '-e', 'draw 0.5', '--script', script]),
  );
  t.equal(r.code, 0, r.err);
  t.match(r.out, /sim charger: keba-p30 on Modbus TCP 127\.0\.0\.1:\d+ unit 7\n/, 'where it listens, with the unit given');
  t.match(r.out, new RegExp(`${script.replace(/[.]/g, '\\.')}:2: `), 'script lines are numbered');
  t.match(r.out, new RegExp(`${script.replace(/[.]/g, '\\.')}:5: `), 'blank lines and comments are skipped, numbering kept');
  t.notMatch(r.out, /:1: |:3: /);
});

t.test('a script line or -e command it does not know: 65 or 64, naming it', async (t) => {
  const dir = t.testdir({});
  const script = join(dir, 'bad.txt');
  writeFileSync(script, 'plug\nfly away\n');
  const bad = await captured(() => simChargerCommand(['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '--script', script]));
  t.equal(bad.code, 65);
  t.match(bad.err, new RegExp(`^sim charger: ${script.replace(/[.]/g, '\\.')}:2: `));
  const e = await captured(() => simChargerCommand(['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '-e', 'fly away']));
  t.equal(e.code, 64);
  t.match(e.err, /^sim charger: -e "fly away": /);
});

t.test('a serial device that cannot be opened: 1, naming it', async (t) => {
  const r = await captured(() => simChargerCommand(['--profile', 'heidelberg-energy-control', '--port', '/nonexistent/ttyRS485', '--no-console']));
  t.equal(r.code, 1);
  t.match(r.err, /^sim charger: cannot open \/nonexistent\/ttyRS485: /);
});

t.test('with the control API on loopback: it says where, and closes with the simulator', async (t) => {
  const dir = t.testdir({});
  const script = join(dir, 'quit.txt');
  writeFileSync(script, 'show\nquit\n');
  const r = await captured(() =>
    simChargerCommand(['--profile', 'keba-p30', '--listen', '127.0.0.1:0', '--control', '127.0.0.1:0', '--script', script, '--keep-running']),
  );
  t.equal(r.code, 0, r.err);
  t.match(r.out, /sim charger: control API on 127\.0\.0\.1:\d+\n/);
  t.match(r.out, /quit\.txt:2: /, 'quit in a script ends the run even with --keep-running');
});
