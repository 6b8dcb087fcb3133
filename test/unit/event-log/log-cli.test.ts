import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { logCommand, summarizeData } from '../../../agent/cli/log.js';
import { verifyLogCommand } from '../../../agent/cli/verify-log.js';
import type { EventRow } from '../../../agent/event-log/types.js';
import Database from 'better-sqlite3';
import { Sink, T0, tempLog } from './fixtures/helpers.js';

function seeded(t: Test) {
  const { log, path, clock } = tempLog(t);
  log.append({ kind: 'agent.start', data: { version: '0.1.0', dryRun: false } });
  clock.advance(2_000);
  log.append({ kind: 'switch.open', switchIdx: 2, data: { state: 'open', cause: 'dno', reason: 'HAN said open' } });
  log.append({
    kind: 'limit.applied',
    switchIdx: 2,
    chargerId: 'wallbox-garage-left',
    data: {
      limitA: 6,
      explanation: '6 A <- switch 2 open, cause dno, since 12:03:03Z; boost denied: switch 2 not on the Boost Button; more words to overflow',
    },
  });
  // Across midnight UTC: the table prints a new date line.
  clock.nowMs = Date.UTC(2026, 10, 29, 0, 0, 1, 7);
  log.append({ kind: 'charger.alarm', chargerId: 'wb2', data: { reason: 'no read-back\nsecond line\x1b[2J' } });
  return { log, path };
}

async function run(argv: string[], path: string, out = new Sink(), env: NodeJS.ProcessEnv = {}) {
  const err = new Sink();
  const code = await logCommand(argv, { eventLogPath: path, out, err, env });
  return { code, out: out.text, err: err.text };
}

t.test('table: header, UTC times, date lines, aligned columns, fits 80 columns', async (t) => {
  const { path } = seeded(t);
  const r = await run([], path);
  t.equal(r.code, 0);
  t.equal(r.err, '');
  const lines = r.out.trimEnd().split('\n');
  t.match(lines[0], /^TIME UTC +KIND +SW CHARGER +SUMMARY$/);
  t.equal(lines[1], '--- 2026-11-28 ---');
  t.match(lines[2], /^12:03:01\.123 agent\.start +- -/);
  t.match(lines[2], /dryRun=false/);
  t.match(lines[2], /version=0\.1\.0/);
  t.match(lines[3], /^12:03:03\.123 switch\.open +2 - +HAN said open$/, 'reason preferred over the other fields');
  t.match(lines[4], /^12:03:03\.123 limit\.applied +2 wallbox-gar~ 6 A <- switch 2 open/, 'long charger id cut with ~');
  t.match(lines[4], /\.\.\.$/, 'long explanation cut with ...');
  t.equal(lines[5], '--- 2026-11-29 ---');
  t.match(lines[6], /^00:00:01\.007 charger\.alarm +- wb2 +no read-back second line \[2J$/, 'control characters neutralised');
  for (const l of lines) t.ok(l.length <= 80, `<= 80 columns: ${l.length}`);
  t.notMatch(r.out, /\x1b/, 'no colour when not a terminal');
  // The SUMMARY column starts at the same place on every row.
  const at = lines[0]?.indexOf('SUMMARY');
  t.equal(lines[3]?.indexOf('HAN said open'), at);
  t.equal(lines[4]?.indexOf('6 A <-'), at);
});

t.test('table on a terminal: its width, colours; NO_COLOR and --wide respected', async (t) => {
  const { path } = seeded(t);
  const tty = await run([], path, new Sink({ columns: 100 }));
  t.match(tty.out, /\x1b\[31mcharger\.alarm/, 'an alarm kind in red');
  const plain = tty.out.replace(/\x1b\[[0-9;]*m/g, '');
  for (const l of plain.trimEnd().split('\n')) t.ok(l.length <= 100, `<= 100 columns: ${l.length}`);
  t.ok(plain.split('\n').some((l) => l.length > 80), 'uses the wider terminal');

  const noColour = await run([], path, new Sink({ columns: 100 }), { NO_COLOR: '1' });
  t.notMatch(noColour.out, /\x1b/, 'NO_COLOR');
  const dumb = await run([], path, new Sink({ columns: 100 }), { TERM: 'dumb' });
  t.notMatch(dumb.out, /\x1b/, 'TERM=dumb');

  const wide = await run(['--wide'], path);
  t.match(wide.out, /wallbox-garage-left +6 A <- switch 2 open.*more words to overflow\n/, 'nothing cut with --wide');
});

t.test('--json: one object a line that parses back to the rows', async (t) => {
  const { path, log } = seeded(t);
  const r = await run(['--json'], path);
  t.equal(r.code, 0);
  const rows = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as EventRow);
  t.same(rows, log.query({}));
  t.equal(rows[3]?.data.reason, 'no read-back\nsecond line\x1b[2J', 'JSON keeps the data exactly');
});

t.test('filters and limit reach the query', async (t) => {
  const { path } = seeded(t);
  const ids = async (argv: string[]) => {
    const r = await run([...argv, '--json'], path);
    t.equal(r.code, 0, argv.join(' '));
    return r.out === '' ? [] : r.out.trimEnd().split('\n').map((l) => (JSON.parse(l) as EventRow).id);
  };
  t.same(await ids(['--limit', '2']), [3, 4]);
  t.same(await ids(['--limit=1']), [4]);
  t.same(await ids(['--kind', 'switch.open']), [2]);
  t.same(await ids(['--kind-prefix', 'charger.']), [4]);
  t.same(await ids(['--charger', 'wallbox-garage-left']), [3]);
  t.same(await ids(['--switch', '2']), [2, 3]);
  t.same(await ids(['--since', '2026-11-29']), [4]);
  t.same(await ids(['--since', '2026-11-28T12:03:02']), [2, 3, 4], 'a time without zone is UTC');
  t.same(await ids(['--since', '2026-11-28T13:03:03.123+01:00']), [2, 3, 4]);
  t.same(await ids(['--kind', 'nothing.like.this']), []);
  const none = await run(['--kind', 'nothing.like.this'], path);
  t.equal(none.out, 'no events match\n');
});

t.test('default limit is 50 newest', async (t) => {
  const { log, path } = tempLog(t);
  log.appendMany(Array.from({ length: 60 }, (_, i) => ({ kind: 'n', data: { i } })));
  const r = await run(['--json'], path);
  const ids = r.out.trimEnd().split('\n').map((l) => (JSON.parse(l) as EventRow).id);
  t.same(ids, Array.from({ length: 50 }, (_, i) => i + 11));
});

t.test('bad usage exits 64 with a clear message; --help exits 0', async (t) => {
  const { path } = seeded(t);
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--limit'], /--limit/],
    [['--limit', '0'], /--limit must be between 1/],
    [['--limit', 'ten'], /--limit must be a whole number/],
    [['--switch', 'two'], /--switch must be a switch number/],
    [['--since', 'yesterday'], /--since: not an ISO 8601 instant/],
    [['--kind', 'a', '--kind-prefix', 'b'], /not both/],
    [['stray'], /positional|Unexpected argument/i],
  ];
  for (const [argv, re] of cases) {
    const r = await run(argv, path);
    t.equal(r.code, 64, argv.join(' '));
    t.match(r.err, re, argv.join(' '));
    t.match(r.err, /usage: hcalcs-agent log/);
    t.equal(r.out, '');
  }
  const help = await run(['--help'], path);
  t.equal(help.code, 0);
  t.match(help.out, /usage: hcalcs-agent log/);
});

t.test('a missing log file: clear error, exit 66, no file created', async (t) => {
  const path = join(t.testdir({}), 'missing.db');
  const r = await run([], path);
  t.equal(r.code, 66);
  t.match(r.err, /event log not found: .*missing\.db/);
  const v = new Sink();
  const verr = new Sink();
  t.equal(await verifyLogCommand([], { eventLogPath: path, out: v, err: verr }), 66);
  t.match(verr.text, /event log not found/);
  t.notOk(existsSync(path));
});

t.test('summarizeData', async (t) => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ explanation: 'E', reason: 'R', x: 1 }, 'E'],
    [{ reason: 'R', x: 1 }, 'R'],
    [{ explanation: '', reason: 'R' }, 'R'],
    [{ limitA: 6, ok: true, note: null }, 'limitA=6 ok=true note=null'],
    [{ label: 'EV charger', id: 'wb-1' }, 'label="EV charger" id=wb-1'],
    [{ nested: { a: [1, 2] } }, 'nested={"a":[1,2]}'],
    [{}, ''],
  ];
  for (const [data, want] of cases) t.equal(summarizeData(data), want, JSON.stringify(data));
});

t.test('verify-log: OK with head, BROKEN with the first bad row', async (t) => {
  const { log, path } = seeded(t);
  const out = new Sink();
  t.equal(await verifyLogCommand([], { eventLogPath: path, out }), 0);
  const head = log.head();
  t.match(out.text, /: 4 events, hash chain OK\nhead: id 4 hash [0-9a-f]{64}\n$/);
  t.match(out.text, head?.hash ?? 'no head');

  const json = new Sink();
  t.equal(await verifyLogCommand(['--json'], { eventLogPath: path, out: json }), 0);
  t.match(JSON.parse(json.text), { ok: true, count: 4, head });

  const db = new Database(path);
  db.exec('DROP TRIGGER events_no_update');
  db.prepare(`UPDATE events SET data = '{"limitA":32}' WHERE id = 3`).run();
  db.close();
  const bad = new Sink();
  t.equal(await verifyLogCommand([], { eventLogPath: path, out: bad }), 1);
  t.match(bad.text, /4 events, hash chain BROKEN\nfirst bad row: id 3: the row does not match its hash/);

  const err = new Sink();
  t.equal(await verifyLogCommand(['--fast'], { eventLogPath: path, out: new Sink(), err }), 64);
  t.match(err.text, /Unknown option '--fast'/);
});

t.test('verify-log on an empty log', async (t) => {
  const { path } = tempLog(t);
  const out = new Sink();
  t.equal(await verifyLogCommand([], { eventLogPath: path, out }), 0);
  t.match(out.text, /0 events, hash chain OK \(empty log\)/);
  void T0;
});
