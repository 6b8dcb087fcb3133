// `sim meter` as a tester types it: --help on stdout, every refused flag with its message and
// 64, and a scripted session on a loopback bridge from start to end.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simMeterCommand } from '../../../agent/cli/sim-meter.js';
import { simCommand } from '../../../agent/cli/sim.js';
import { captured } from '../../helpers/capture-std.js';

t.test('--help and -h: the usage with the console commands, on stdout, 0', async (t) => {
  const r = await captured(() => simMeterCommand(['--help']));
  t.equal(r.code, 0);
  t.match(r.out, /^usage: hcalcs-agent sim meter/);
  t.match(r.out, /Console commands[^]*\n {2}open\b/, 'the console commands are listed');
  t.equal(r.err, '');
  for (const argv of [['-h'], ['--listen', '127.0.0.1:0', '--help']]) t.same(await captured(() => simMeterCommand(argv)), r, argv.join(' '));
});

t.test('sim alone: --help on stdout (0); nothing or an unknown simulator on stderr (64)', async (t) => {
  const help = await captured(() => simCommand(['--help']));
  t.same(help, { code: 0, out: 'usage: hcalcs-agent sim meter|charger [options]   (--help on either for its options)\n', err: '' });
  t.same(await captured(() => simCommand(['-h'])), help, '-h too');
  for (const argv of [[], ['modem']]) {
    const r = await captured(() => simCommand(argv));
    t.same(r, { code: 64, out: '', err: help.out }, JSON.stringify(argv));
  }
  const charger = await captured(() => simCommand(['charger', '--help']));
  t.equal(charger.code, 0);
  t.match(charger.out, /^usage: hcalcs-agent sim charger/);
  t.equal(charger.err, '');
});

t.test('every refused flag: its message and 64, nothing started', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--frobnicate'], /^sim meter: .*frobnicate[^]*\nusage: hcalcs-agent sim meter/],
    [['--listen', '127.0.0.1:0', 'extra'], /^sim meter: unexpected argument "extra"\n$/],
    [[], /^sim meter: give exactly one of --port DEVICE and --listen HOST:PORT\n$/],
    [['--listen', '127.0.0.1:0', '--port', '/dev/null'], /give exactly one of --port DEVICE and --listen/],
    [['--listen', 'nowhere'], /^sim meter: --listen nowhere: expected HOST:PORT\n$/],
    [['--listen', '127.0.0.1:0', '--hb', 'often'], /^sim meter: --hb often: expected seconds \(0: none\)\n$/],
    [['--listen', '127.0.0.1:0', '--hb=-1'], /--hb -1: expected seconds/],
    [['--port', '/dev/ttyUSB9', '--baud', 'fast'], /^sim meter: --baud fast: expected a baud rate/],
    [['--listen', '127.0.0.1:0', '--listen', '127.0.0.1:1'], /^sim meter: --listen given twice\nusage:/],
    [['--listen', '127.0.0.1:0', '--checksum=yes'], /^sim meter: .*--checksum/],
    [['--listen', '127.0.0.1:0', '--exec', 'open 2 dno'], /^sim meter: Unknown option '--exec'/],
    [['--listen', '127.0.0.1:0', '-e', 'fly away'], /^sim meter: -e "fly away": /],
    [['--listen', '127.0.0.1:0', '--control', '192.168.1.2:9000'], /192\.168\.1\.2 is not a loopback address/],
  ];
  for (const [argv, message] of cases) {
    const r = await captured(() => simMeterCommand(argv));
    t.equal(r.code, 64, argv.join(' '));
    t.match(r.err, message, argv.join(' '));
    t.equal(r.out, '', `${argv.join(' ')}: nothing started, nothing printed`);
  }
});

t.test('a scripted session on a loopback bridge: -e and -e= accepted, the script runs, then 0', async (t) => {
  const dir = t.testdir({});
  const script = join(dir, 'night.txt');
  writeFileSync(script, '# a DNO reduction\nopen 2 dno\nquit\n');
  const r = await captured(() =>
    simMeterCommand(['--listen', '127.0.0.1:0', '--hb', '0', '-e', 'label 2 "EV Charger"', '-e=close 2 calendar', '--script', script]),
  );
  t.equal(r.code, 0, r.err);
  t.match(r.out, /^sim meter: TCP serial bridge on 127\.0\.0\.1:\d+ \(agent: han\.port: tcp:\/\/127\.0\.0\.1:\d+\)\n/m);
  t.match(r.out, new RegExp(`${script.replace(/[.]/g, '\\.')}:2: `), 'the script ran, lines numbered');
});
