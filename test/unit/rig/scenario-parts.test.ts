// The scenario runner's pure parts: loading and checking files (every problem as
// `path: message`), value matching, status paths, and the JUnit and TAP reports.
import t from 'tap';
import { parseScenario } from '../../../agent/scenario/load.js';
import { matches, valueAtPath } from '../../../agent/scenario/observe.js';
import { junitReport, tapReport, textReport } from '../../../agent/scenario/report.js';
import { parseControlAddress } from '../../../agent/sim/control.js';
import type { ScenarioResult } from '../../../agent/scenario/run.js';

const GOOD = `name: ok
rig:
  meter: { init: ['label 2 "EV Charger"', close 2 calendar] }
config:
  chargers: [{ id: garage, profile: alfen-eve, maxCurrentA: 32 }]
  bindings: [{ switch: 2, chargers: [garage] }]
steps:
  - meter: open 2 dno 30
  - expect: { charger: garage, setpoint: 6, within: 1s }
  - expect: { noEvent: restore.scheduled, for: 500ms }
  - charger: garage reboot
  - agent: kill-restart
  - owner: restore-now
  - wait: 2
  - expect: { status: { link.state: fresh }, within: 3s }
`;

t.test('a good scenario loads into steps with labels', async (t) => {
  const r = parseScenario(GOOD, 'good.yaml');
  if (!r.ok) return t.fail(r.problems.join('\n'));
  const s = r.scenario;
  t.equal(s.steps.length, 8);
  t.same(
    s.steps.map((x) => x.label),
    [
      'meter: open 2 dno 30',
      'expect garage setpoint 6 within 1 s',
      'expect no event restore.scheduled for 0.5 s',
      'charger: garage reboot',
      'agent kill-restart',
      'owner: restore-now',
      'wait 2 s',
      'expect status link.state "fresh" within 3 s',
    ],
  );
  t.same(s.steps[2]!.action, {
    kind: 'expect',
    expect: { kind: 'event', event: 'restore.scheduled', negate: true, data: {}, since: 'step', mode: 'hold', ms: 500 },
  });
  t.equal(s.chargers.garage?.mode, 'simulated', 'a charger without a rig entry is simulated');
  t.equal(s.timeoutMs, 300_000, 'the default scenario timeout');
});

t.test('every problem at once, as path: message', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['unknown top key', GOOD.replace('name: ok', 'name: ok\nnmae: x'), /^nmae: unknown key \(did you mean name\?\)/],
    ['two actions in a step', GOOD.replace('  - wait: 2', '  - { wait: 2, agent: stop }'), /^steps\[6\]: needs exactly one action .* found agent, wait/],
    ['a bad meter command', GOOD.replace('open 2 dno 30', 'open 2 dno thirty'), /^steps\[0\]\.meter: unknown word "thirty"/],
    ['an unknown charger', GOOD.replace('garage reboot', 'shed reboot'), /^steps\[3\]\.charger: no charger "shed" in config\.chargers/],
    ['a bad charger command', GOOD.replace('garage reboot', 'garage explode'), /^steps\[3\]\.charger: unknown command "explode"/],
    [
      'within and for',
      GOOD.replace('setpoint: 6, within: 1s', 'setpoint: 6, within: 1s, for: 2s'),
      /^steps\[1\]\.expect: give within \(reaches\) or for \(stays\), not both/,
    ],
    ['an event with for', GOOD.replace('noEvent: restore.scheduled', 'event: restore.scheduled'), /^steps\[2\]\.expect\.for: an event appears once/],
    [
      'a port the runner fills in',
      GOOD.replace('maxCurrentA: 32 }', 'maxCurrentA: 32, transport: { type: tcp, host: x, port: 1 } }'),
      /^config\.chargers\[0\]\.transport: the runner fills this in/,
    ],
    ['a config the agent refuses', GOOD.replace('maxCurrentA: 32', 'maxCurrentA: 320'), /^config\.chargers\[0\]\.maxCurrentA: /m],
    ['quit in a scenario', GOOD.replace('open 2 dno 30', 'quit'), /^steps\[0\]\.meter: quit has no place in a scenario/],
    ['a YAML error', 'name: [x', /^\d+:\d+: /],
  ];
  for (const [what, text, re] of cases) {
    const r = parseScenario(text, 'x.yaml');
    t.notOk(r.ok, what);
    if (!r.ok)
      t.ok(
        r.problems.some((p) => re.test(p)),
        `${what}: ${r.problems.join(' | ')}`,
      );
  }
  const many = parseScenario(GOOD.replace('open 2 dno 30', 'open 2 dno thirty').replace('garage reboot', 'shed reboot'), 'x.yaml');
  t.equal(many.ok ? 0 : many.problems.length, 2, 'both problems reported together');
});

t.test('matches and status paths', async (t) => {
  t.ok(matches(6, 6.04));
  t.notOk(matches(6, 6.2));
  t.notOk(matches(6, null));
  t.ok(matches({ between: [5, 6.6] }, 5.7));
  t.notOk(matches({ atMost: 6 }, 6.5));
  t.ok(matches({ approx: 30, tolerance: 1 }, 30.4));
  t.ok(matches({ not: 'stale' }, 'fresh'));
  t.ok(matches({ matches: '^boost' }, 'boost-switch'));
  t.ok(matches(null, null));
  t.notOk(matches('open', undefined));
  const status = {
    link: { state: 'fresh' },
    chargers: [{ id: 'garage', appliedA: 6 }],
    switches: [
      { idx: 2, state: 'open' },
      { idx: 3, state: 'closed' },
    ],
  };
  t.same(valueAtPath(status, 'link.state'), { found: true, value: 'fresh' });
  t.same(valueAtPath(status, 'chargers.garage.appliedA'), { found: true, value: 6 });
  t.same(valueAtPath(status, 'switches.3.state'), { found: true, value: 'closed' }, 'a list item by its idx');
  t.same(valueAtPath(status, 'switches[0].state'), { found: true, value: 'open' }, 'or by position');
  t.same(valueAtPath(status, 'chargers.shed.appliedA'), { found: false, value: undefined });
});

t.test('the control API refuses anything but loopback', async (t) => {
  t.same(parseControlAddress('127.0.0.1:7000'), { kind: 'tcp', host: '127.0.0.1', port: 7000 });
  t.same(parseControlAddress('[::1]:7000'), { kind: 'tcp', host: '::1', port: 7000 });
  t.same(parseControlAddress('unix:/run/meter.sock'), { kind: 'unix', path: '/run/meter.sock' });
  for (const bad of ['0.0.0.0:7000', '192.168.1.5:7000', ':7000', 'meter.sock', '127.0.0.1:99999']) t.ok('error' in parseControlAddress(bad), bad);
});

t.test('reports: text, TAP and JUnit XML escape what they carry', async (t) => {
  const r: ScenarioResult = {
    file: 'test/scenarios/x.yaml',
    name: 'a <tricky> & "quoted" #name',
    covers: ['SRV 7.6'],
    status: 'fail',
    startedAt: '2026-11-30T12:00:00.000Z',
    durationMs: 4321,
    runDir: '/tmp/run',
    steps: [
      { number: 1, label: 'meter: open 2 dno 30', status: 'pass', atMs: 1000, durationMs: 2, detail: 'switch 2 open' },
      {
        number: 2,
        label: 'expect garage setpoint 10 within 2.000 s',
        status: 'fail',
        atMs: 1002,
        durationMs: 2000,
        message: 'step 2 (...): expected 10 A <x>, observed 6 A at +3.002 s\u0001',
      },
      { number: 3, label: 'wait 1 s', status: 'skip', atMs: 3002, durationMs: 0 },
    ],
  };
  const text = textReport(r);
  t.match(text, /^FAIL {2}a <tricky>/);
  t.match(text, /\+ {3}1\.002 s {3}2\.000 s {2}FAIL {2}2\. expect garage setpoint 10/);
  t.match(text, /kept for inspection: \/tmp\/run/);
  const xml = junitReport([r], 5000);
  t.match(xml, /<testsuite name="a &lt;tricky&gt; &amp; &quot;quoted&quot; #name"/);
  t.match(xml, /<failure message="step 2 \(\.\.\.\): expected 10 A &lt;x&gt;, observed 6 A at \+3\.002 s\?"/, 'control characters cannot go into XML');
  t.match(xml, /tests="3" failures="1" errors="0"/);
  const tap = tapReport([r]);
  t.match(tap, /^not ok 1 - a <tricky> & "quoted" \\#name # time=4321ms$/m, 'a # in a name is escaped for TAP');
  t.match(tap, /^ {4}ok 3 - wait 1 s # SKIP an earlier step failed$/m);
});
