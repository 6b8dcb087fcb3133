// The simulators' console as a tester uses it: commands one a line, a bad one reported and the
// console going on, `quit` ending it (and nothing after it run), the end of input ending it
// too; on a terminal a report that arrives while it waits keeps the prompt intact.
import t from 'tap';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { driveSim, printer, runConsole, runScript, type CommandDriver } from '../../../agent/sim/console.js';
import { CommandError, type CommandSpec } from '../../../agent/sim/words.js';
import { Sink } from '../event-log/fixtures/helpers.js';

const SPECS: CommandSpec[] = [
  { name: 'plug', usage: 'plug', help: 'plug the car in' },
  { name: 'quit', usage: 'quit', help: 'stop' },
];

/** A driver that records what it ran: plug answers, quit quits, anything else is refused. */
function driver(): CommandDriver & { ran: string[] } {
  const ran: string[] = [];
  return {
    specs: SPECS,
    ran,
    run(line) {
      ran.push(line);
      const w = line.trim();
      if (w === 'plug') return { text: 'car plugged in' };
      if (w === 'quit') return { text: 'bye', quit: true };
      if (w === '') return { text: '' };
      if (w === 'wait') return { text: 'waiting', waitMs: 5 };
      if (w === 'range') throw new RangeError('value out of range');
      throw new CommandError(`unknown command "${w}"`);
    },
  };
}

t.test('piped: each line runs, errors are reported and the console goes on; quit ends it', async (t) => {
  const input = new PassThrough();
  const out = new Sink();
  const d = driver();
  const done = runConsole(d, input, printer(out), 'sim> ');
  input.end('plug\nfly\n\nrange\nquit\nplug\n');
  t.equal(await done, true, 'ended by quit');
  t.same(d.ran, ['plug', 'fly', '', 'range', 'quit'], 'nothing after quit is run');
  t.equal(out.text, 'car plugged in\nerror: unknown command "fly"\nerror: value out of range\nbye\n', 'no prompt when piped; empty output prints nothing');
});

t.test('the end of input ends the console without quit', async (t) => {
  const input = new PassThrough();
  const out = new Sink();
  const done = runConsole(driver(), input, printer(out), 'sim> ');
  input.end('plug\n');
  t.equal(await done, false);
  t.equal(out.text, 'car plugged in\n');
});

t.test('on a terminal: the prompt is shown, and a report while waiting redraws it', async (t) => {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const term = new Sink({ columns: 80 });
  const p = printer(term);
  const done = runConsole(driver(), input, p, 'sim> ', term);
  t.match(term.text, /sim> /, 'the prompt');
  const before = term.text.length;
  p.print('12:00:00.000 write unit 1 FC06 261 [160] -> setpoint 16 A');
  t.match(
    term.text.slice(before),
    /^\r\x1b\[K12:00:00\.000 write unit 1 FC06 261 \[160\] -> setpoint 16 A\n[^]*sim> /,
    'the report clears the line, then the prompt comes back',
  );
  input.end('plug\rquit\r');
  t.equal(await done, true);
  t.match(term.text, /car plugged in/);
  t.match(term.text, /bye/);
});

t.test('a script: comments and blank lines skipped, lines numbered, wait waits, quit stops it', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'rig.txt');
  writeFileSync(file, '# a rig script\r\nplug\r\n\r\nwait\r\nquit\r\nplug\r\n');
  const out = new Sink();
  const d = driver();
  t.same(await runScript(d, file, printer(out)), { ok: true, quit: true });
  t.same(d.ran, ['plug', 'wait', 'quit'], 'CRLF lines read; nothing after quit');
  const lines = out.text.trimEnd().split('\n');
  t.equal(lines.length, 3);
  t.match(lines[0], new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ${file.replace(/[.]/g, '\\.')}:2: car plugged in$`), 'time, file:line, what it said');
  t.match(lines[1], /:4: waiting$/);
  t.match(lines[2], /:5: bye$/);
});

t.test('a script: the first bad line stops it, a missing file is named, and a script without quit ends normally', async (t) => {
  const dir = t.testdir({});
  const bad = join(dir, 'bad.txt');
  writeFileSync(bad, 'plug\nfly\nplug\n');
  const d = driver();
  t.same(await runScript(d, bad, printer(new Sink())), { ok: false, error: `${bad}:2: unknown command "fly"` });
  t.same(d.ran, ['plug', 'fly']);
  const missing = await runScript(driver(), join(dir, 'absent.txt'), printer(new Sink()));
  t.match(missing, { ok: false, error: new RegExp(`^${join(dir, 'absent.txt').replace(/[.]/g, '\\.')}: ENOENT`) });
  const plain = join(dir, 'plain.txt');
  writeFileSync(plain, 'plug\n');
  t.same(await runScript(driver(), plain, printer(new Sink())), { ok: true, quit: false });
});

t.test('driveSim: a script ends the simulator (0), unless --keep-running; a bad script ends it with 65', async (t) => {
  const dir = t.testdir({});
  const plain = join(dir, 'plain.txt');
  writeFileSync(plain, 'plug\n');
  const bad = join(dir, 'bad.txt');
  writeFileSync(bad, 'fly\n');
  const finished = (script: string, flags: string[]) =>
    new Promise<number>((finish) =>
      driveSim({ name: 'sim charger', driver: driver(), script, keepRunning: flags.includes('--keep-running'), console: true, p: printer(new Sink()), finish }),
    );
  t.equal(await finished(plain, []), 0);
  const write = process.stderr.write;
  let err = '';
  process.stderr.write = ((c: string | Uint8Array) => ((err += c.toString()), true)) as typeof process.stderr.write;
  try {
    t.equal(await finished(bad, []), 65);
  } finally {
    process.stderr.write = write;
  }
  t.equal(err, `sim charger: ${bad}:1: unknown command "fly"\n`);
  let ended = false;
  driveSim({ name: 'sim charger', driver: driver(), script: plain, keepRunning: true, console: true, p: printer(new Sink()), finish: () => (ended = true) });
  await new Promise((r) => setTimeout(r, 50));
  t.equal(ended, false, '--keep-running: the script done, the simulator stays up');
});
