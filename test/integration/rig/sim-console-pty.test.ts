// The rig by hand, as the README's "Testing on a rig" tells a tester to build it: `sim meter`
// on one end of a socat pty pair, the agent on the other, `sim charger` as the Modbus
// charger, three processes. Typing `open 2 dno 30` at the meter's console (its stdin) must
// reduce the charger within a second; the charger prints the write, the meter prints what
// the agent sent. Also: the console's help and errors, and the control API on loopback.
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MAIN_JS } from '../../helpers/paths.js';
import { needs, openPtyPair, type PtyPair } from '../../helpers/peers.js';

t.setTimeout(5 * 60_000);

interface Proc {
  child: ChildProcess;
  lines: Array<{ text: string; atMs: number }>;
  /** The first line from index `fromLine` on (default: the first line of all) that matches. */
  waitFor(re: RegExp, ms: number, fromLine?: number): Promise<{ text: string; atMs: number; match: RegExpExecArray }>;
}

function start(args: string[], tt: Test): Proc {
  const child = spawn(process.execPath, [MAIN_JS, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: Proc['lines'] = [];
  const waiters: Array<() => void> = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    lines.push({ text, atMs: Date.now() });
    for (const w of [...waiters]) w();
  });
  tt.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    lines,
    waitFor(re, ms, fromLine = 0) {
      return new Promise((resolve, reject) => {
        let from = fromLine;
        const look = () => {
          for (; from < lines.length; from++) {
            const m = re.exec(lines[from]!.text);
            if (m) {
              clearTimeout(timer);
              waiters.splice(waiters.indexOf(look), 1);
              return resolve({ ...lines[from]!, match: m });
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(look), 1);
          reject(new Error(`no line matching ${re} within ${ms} ms; got:\n${lines.map((l) => l.text).join('\n')}\nstderr: ${stderr}`));
        }, ms);
        waiters.push(look);
        look();
      });
    },
  };
}

const exited = (p: Proc) => new Promise<number | null>((r) => (p.child.exitCode !== null ? r(p.child.exitCode) : p.child.once('exit', (code) => r(code))));

t.test('typing "open 2 dno 30" at sim meter reduces sim charger through the agent on a pty', needs('socat'), async (t) => {
  const pty: PtyPair = await openPtyPair();
  t.teardown(() => pty.close());
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-console-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  const charger = start(['sim', 'charger', '--profile', 'alfen-eve', '--listen', '127.0.0.1:0', '--car-delay', '500ms', '--no-console'], t);
  const banner = await charger.waitFor(/Modbus TCP 127\.0\.0\.1:(\d+) unit (\d+)/, 30_000);
  const port = Number(banner.match[1]);

  const meter = start(['sim', 'meter', '--port', pty.b, '-e', 'label 2 "EV Charger"', '-e', 'close 2 calendar', '--hb', '5'], t);
  await meter.waitFor(/sim meter: on .* at 115200 8N1/, 30_000);

  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `han: { port: ${pty.a} }`,
      `chargers: [{ id: garage, profile: alfen-eve, transport: { type: tcp, host: 127.0.0.1, port: ${port} }, maxCurrentA: 32 }]`,
      'bindings: [{ switch: 2, chargers: [garage] }]',
      'rules: { restore: { maxDelayS: 1 } }',
      `eventLog: { path: ${join(dir, 'events.db')} }`,
      'log: { level: warn }',
    ].join('\n') + '\n',
  );
  const run = start(['run', '--config', config], t);

  await meter.waitFor(/agent> READ what=switches/, 30_000);
  // A cold start: 6 A (the switch's reduced current) until the random delay (at most 1 s) ends.
  await charger.waitFor(/write unit 1 FC16 1210 \[\d+ \d+\] -> setpoint 32 A/, 30_000);

  const chargerLinesBefore = charger.lines.length;
  const typedAt = Date.now();
  meter.child.stdin!.write('open 2 dno 30\n');
  const echo = await meter.waitFor(/switch 2 open cause dno for 30 min/, 10_000);
  const write = await charger.waitFor(/^(\d\d):(\d\d):(\d\d)\.(\d{3}) write unit 1 FC16 1210 \[\d+ \d+\] -> setpoint 6 A/, 10_000, chargerLinesBefore);
  // The charger stamps the write when its request arrived; the day is today's (UTC).
  const [h, m, s, ms] = write.match.slice(1).map(Number) as [number, number, number, number];
  const day = new Date(typedAt);
  const arrivedAt = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), h, m, s, ms);
  const latency = arrivedAt - typedAt;
  t.ok(echo.atMs >= typedAt, 'the console confirmed the command');
  t.ok(latency >= 0 && latency < 1000, `typed at the meter's console -> 6 A written at the charger in ${latency} ms (within a second)`);

  meter.child.stdin!.write('help\n');
  await meter.waitFor(/^ {2}boostcfg LOADS PERIOD_MIN +switches on the Boost Button/, 10_000);
  meter.child.stdin!.write('open 9\n');
  await meter.waitFor(/^error: switch number must be at most 5$/, 10_000);
  meter.child.stdin!.write('close 2 reset\n');
  await charger.waitFor(/-> setpoint 32 A$/, 15_000);
  t.pass('the reset restored 32 A after the random delay');

  run.child.kill('SIGTERM');
  t.equal(await exited(run), 0, 'the agent stopped cleanly');
  meter.child.stdin!.end();
  t.equal(await exited(meter), 0, 'sim meter ends with its console input');
  charger.child.kill('SIGTERM');
  t.equal(await exited(charger), 0, 'sim charger stops on SIGTERM');
});

t.test('the control API listens on loopback only and answers each command with ok or error', async (t) => {
  const refused = start(['sim', 'meter', '--listen', '127.0.0.1:0', '--control', '0.0.0.0:7000', '--no-console'], t);
  t.equal(await exited(refused), 64, 'a non-loopback control address is refused (exit 64)');

  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-control-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sock = join(dir, 'meter.sock');
  const meter = start(['sim', 'meter', '--listen', '127.0.0.1:0', '--control', `unix:${sock}`, '--no-console'], t);
  await meter.waitFor(/control API on unix:/, 30_000);
  const c = connect(sock);
  const replies: string[] = [];
  createInterface({ input: c }).on('line', (l) => replies.push(l));
  const ask = async (line: string) => {
    const n = replies.length;
    c.write(line + '\n');
    while (!replies.slice(n).some((r) => r === 'ok' || r.startsWith('error: '))) await new Promise((r) => setTimeout(r, 20));
    return replies.slice(n);
  };
  t.same(await ask('open 2 dno 30'), ['switch 2 open cause dno for 30 min', 'ok']);
  t.same(await ask('frobnicate'), ['error: unknown command "frobnicate"; "help" lists them']);
  const shown = await ask('show');
  t.ok(
    shown.some((l) => l.includes('switch 2 HCALCS open cause dno dur 30 min')),
    'show reports the meter state',
  );
  t.same(await ask('quit'), ['bye', 'ok']);
  c.destroy();
  t.equal(await exited(meter), 0, 'quit over the control API stops the simulator');
});

t.test("sim charger as an RTU slave on a pty: the agent's own field tool writes and reads it", needs('socat'), async (t) => {
  const pty: PtyPair = await openPtyPair();
  t.teardown(() => pty.close());
  const charger = start(['sim', 'charger', '--profile', 'heidelberg-energy-control', '--port', pty.b, '--no-console'], t);
  await charger.waitFor(/RTU slave on .* at 19200 8E1, unit 1/, 30_000);
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-rtu-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'han: { port: tcp://127.0.0.1:9 }',
      `chargers: [{ id: wallbox, profile: heidelberg-energy-control, transport: { type: rtu, path: ${pty.a}, serial: { baudRate: 19200, parity: even } }, maxCurrentA: 16 }]`,
      'bindings: [{ switch: 2, chargers: [wallbox] }]',
      `eventLog: { path: ${join(dir, 'events.db')} }`,
    ].join('\n') + '\n',
  );
  const set = start(['charger', 'set', '--charger', 'wallbox', '--limit', '10', '--config', config], t);
  t.equal(await exited(set), 0, `charger set exits 0: ${set.lines.map((l) => l.text).join(' / ')}`);
  await charger.waitFor(/write unit 1 FC06 261 \[100\] -> setpoint 10 A$/, 10_000);
  t.pass('the RTU slave decoded 100 (0.1 A units) as 10 A');
  const read = start(['charger', 'read', '--charger', 'wallbox', '--json', '--config', config], t);
  t.equal(await exited(read), 0);
  const reading = JSON.parse(read.lines.map((l) => l.text).join('')) as { reading: { vehicleState: string } };
  t.ok(['B', 'C'].includes(reading.reading.vehicleState), `the car is seen plugged in (state ${reading.reading.vehicleState})`);
  charger.child.kill('SIGTERM');
  t.equal(await exited(charger), 0);
});

t.test('a scenario with the simulated meter on a serial line and the charger as an RTU slave', needs('socat'), async (t) => {
  const han = await openPtyPair();
  t.teardown(() => han.close());
  const bus = await openPtyPair();
  t.teardown(() => bus.close());
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-serial-rig-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'serial-rig.yaml');
  writeFileSync(
    file,
    `name: serial rig
rig:
  meter:
    port: ${han.b}
    init: ['label 2 "EV Charger"', close 2 calendar]
  chargers:
    wallbox: { rtu: { port: ${bus.b} } }
config:
  han: { port: ${han.a} }
  chargers:
    - { id: wallbox, profile: heidelberg-energy-control, maxCurrentA: 16, transport: { type: rtu, path: ${bus.a}, serial: { baudRate: 19200, parity: even } } }
  bindings: [{ switch: 2, chargers: [wallbox] }]
  rules: { restore: { maxDelayS: 1 } }
steps:
  - expect: { charger: wallbox, setpoint: 16, within: 30s }
  - expect: { meterReceived: 'READ what=switches', since: start }
  - meter: open 2 dno 30
  - expect: { charger: wallbox, setpoint: 6, within: 10s }
  - charger: wallbox reboot
  - expect: { charger: wallbox, setpoint: 0 }
  - expect: { charger: wallbox, setpoint: 6, within: 30s }
    name: healed over RTU
`,
  );
  const run = start(['scenario', 'run', file, '--work-dir', dir], t);
  t.equal(await exited(run), 0, run.lines.map((l) => l.text).join('\n'));
  t.ok(
    run.lines.some((l) => /^1 scenario: 1 passed, 0 failed/.test(l.text)),
    'the report says it passed',
  );
});
