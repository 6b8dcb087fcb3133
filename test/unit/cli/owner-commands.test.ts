// The owner's commands only promise what will happen: without a running agent they say so
// and exit 69 (unless --queue), limits outside the charger's range and non-decimal numbers
// are refused, and with an agent holding the instance lock the command is queued for it.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualLimitCommand } from '../../../agent/cli/manual-limit.js';
import { restoreNowCommand } from '../../../agent/cli/restore-now.js';
import { acquireInstanceLock, stateDirOf } from '../../../agent/instance-lock.js';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { demoOwnsLog, DEMO_MARK, DEMO_MARK_KEY } from '../../../agent/cli/demo.js';
import { parseDecimal, parseOptions } from '../../../agent/cli/shared/args.js';
import { Sink } from '../event-log/fixtures/helpers.js';

function site(t: Test) {
  const dir = t.testdir({});
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `version: 1
han: { port: 'tcp://127.0.0.1:1' }
chargers:
  - { id: garage, profile: alfen-eve, transport: { type: tcp, host: 127.0.0.1, port: 1 }, maxCurrentA: 32 }
bindings:
  - { switch: 2, chargers: [garage], reducedCurrentA: 6 }
eventLog: { path: ${join(dir, 'events.db')} }
`,
  );
  return { dir, config, db: join(dir, 'events.db') };
}

async function run(cmd: typeof manualLimitCommand, argv: string[]) {
  const out = new Sink();
  const err = new Sink();
  const code = await cmd(argv, { out, err, env: {} });
  return { code, out: out.text, err: err.text };
}

const queued = (db: string) => {
  const log = openEventLogStore(db);
  try {
    return log.takeCommands().map((c) => c.name);
  } finally {
    log.close();
  }
};

t.test('no agent running: said plainly, exit 69, nothing queued; --queue queues', async (t) => {
  const s = site(t);
  const r = await run(manualLimitCommand, ['--config', s.config, '--charger', 'garage', '--limit', '16']);
  t.equal(r.code, 69);
  t.match(r.err, /no agent is running on .*events\.db, so nothing would apply manual-limit 16 A for garage now/);
  t.match(r.err, /--queue/);
  t.same(queued(s.db), []);
  const q = await run(manualLimitCommand, ['--config', s.config, '--charger', 'garage', '--limit', '16', '--queue']);
  t.equal(q.code, 0);
  t.match(q.out, /queued \(command \d+\) for the agent's next start: no agent is running now/);
  const rn = await run(restoreNowCommand, ['--config', s.config]);
  t.equal(rn.code, 69);
  t.same(queued(s.db), ['manual-limit']);
});

t.test('an agent holding the instance lock gets the command', async (t) => {
  const s = site(t);
  const lock = acquireInstanceLock(stateDirOf(s.db));
  t.teardown(() => lock.release());
  const r = await run(restoreNowCommand, ['--config', s.config]);
  t.equal(r.code, 0, r.err);
  t.match(r.out, new RegExp(`the running agent \\(pid ${process.pid}\\) applies it within a second`));
  t.same(queued(s.db), ['restore-now']);
});

t.test('limits outside the charger range and non-decimal numbers are refused (64)', async (t) => {
  const s = site(t);
  const cases: Array<[string, RegExp]> = [
    ['40', /--limit 40 is outside garage's range 6-32 A/],
    ['3', /outside garage's range 6-32 A/],
    ['0', /outside garage's range 6-32 A/],
    ['', /--limit must be a decimal number .* got ""/],
    ['0x10', /got "0x10"/],
    ['1e1', /got "1e1"/],
    [' 16', /got " 16"/],
  ];
  for (const [limit, re] of cases) {
    const r = await run(manualLimitCommand, ['--config', s.config, '--charger', 'garage', '--limit', limit, '--queue']);
    t.equal(r.code, 64, JSON.stringify(limit));
    t.match(r.err, re, JSON.stringify(limit));
  }
  const neg = await run(manualLimitCommand, ['--config', s.config, '--charger', 'garage', '--limit=-6', '--queue']);
  t.equal(neg.code, 64);
  t.match(neg.err, /--limit must be at least 0/);
  const unknown = await run(manualLimitCommand, ['--config', s.config, '--charger', 'shed', '--limit', '16']);
  t.equal(unknown.code, 64);
  t.match(unknown.err, /no charger "shed" .*there: garage/);
  t.same(queued(s.db), [], 'nothing queued by a refused command');
});

t.test('--help needs no config', async (t) => {
  for (const cmd of [manualLimitCommand, restoreNowCommand]) {
    const r = await run(cmd, ['--help']);
    t.equal(r.code, 0);
    t.match(r.out, /^usage: hcalcs-agent/);
  }
});

t.test('the demo only ever removes a log it made', async (t) => {
  const s = site(t);
  t.equal(demoOwnsLog(s.db), true, 'absent: fine');
  const log = openEventLogStore(s.db);
  log.append({ kind: 'agent.start', data: {} });
  log.close();
  t.match(demoOwnsLog(s.db), /is an event log the demo did not create/);
  const mine = openEventLogStore(s.db);
  mine.saveState(DEMO_MARK_KEY, DEMO_MARK);
  mine.close();
  t.equal(demoOwnsLog(s.db), true);
  const junk = join(s.dir, 'junk.db');
  writeFileSync(junk, 'not sqlite at all, a customer file');
  t.match(demoOwnsLog(junk), /exists and is not an event log the demo can read/);
});

t.test('parseDecimal and parseOptions', async (t) => {
  t.equal(parseDecimal('x', '7.5'), 7.5);
  t.equal(parseDecimal('x', '0'), 0);
  for (const bad of ['', '0x10', '1e3', '+5', '05', '.5', '5.', 'NaN', 'Infinity', ' 5'])
    t.throws(() => parseDecimal('x', bad), /must be a decimal number/, JSON.stringify(bad));
  t.throws(() => parseDecimal('n', '1.5', { integer: true }), /whole number/);
  const p = parseOptions(['--n', '3', '--flag'], { n: { type: 'int', min: 1 }, flag: { type: 'boolean' } });
  t.same(p, { kind: 'ok', values: { n: 3, flag: true }, positionals: [] });
  t.match(parseOptions(['--n', '0'], { n: { type: 'int', min: 1 } }), { kind: 'error', code: 64, message: /--n must be at least 1/ });
  t.same(parseOptions(['-h'], {}), { kind: 'help' });
  t.match(parseOptions(['stray'], {}), { kind: 'error', code: 64 });
  const told = { n: { type: 'decimal', min: 0, invalid: 'needs a non-negative number' } } as const;
  t.match(parseOptions(['--n=-1'], told), { kind: 'error', code: 64, message: '--n needs a non-negative number' }, 'a command may word the refusal itself');
  t.match(parseOptions(['--n', '1e3'], told), { kind: 'error', code: 64, message: '--n needs a non-negative number' });
  t.same(parseOptions(['--n', '2.5'], told), { kind: 'ok', values: { n: 2.5 }, positionals: [] });
});
