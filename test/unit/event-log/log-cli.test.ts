import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FOLLOW_POLL_MS, logCommand, summarizeData } from '../../../agent/cli/log.js';
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

t.test('table on an 80-column console (--utc): date lines, hh:mm:ss, what matters first', async (t) => {
  const { path } = seeded(t);
  const r = await run(['--utc'], path, new Sink({ columns: 80 }), { NO_COLOR: '1' });
  t.equal(r.code, 0);
  const lines = r.out.trimEnd().split('\n');
  t.match(lines[0], /^TIME +KIND +WHO +SUMMARY \(UTC\)$/);
  t.equal(lines[1], '--- 2026-11-28 (UTC) ---');
  t.match(lines[2], /^12:03:01 agent\.start +- +version=0\.1\.0 dryRun=false$/);
  t.match(lines[3], /^12:03:03 switch\.open +sw 2 +state=open cause=dno HAN said open$/, 'state and cause first');
  t.match(lines[4], /^12:03:03 limit\.applied +wallbox-g~ limitA=6 6 A <- switch 2 open/, 'the limit, then its reason; long id cut with ~');
  t.match(lines[4], /\.\.\.$/, 'long explanation cut with ...');
  t.equal(lines[5], '--- 2026-11-29 (UTC) ---');
  t.match(lines[6], /^00:00:01 charger\.alarm +wb2 +no read-back second line \[2J$/, 'control characters neutralised');
  for (const l of lines) t.ok(l.length <= 80, `<= 80 columns: ${l.length}`);
  const at = lines[0]?.indexOf('SUMMARY');
  t.equal(lines[3]?.indexOf('state=open'), at, 'the summary column lines up');
});

t.test('piped (not a terminal): full lines, so grep sees everything', async (t) => {
  const { path } = seeded(t);
  const r = await run(['--utc'], path);
  t.match(r.out, /more words to overflow\n/, 'nothing cut');
  t.notMatch(r.out, /\x1b/, 'no colour');
});

t.test('local time by default, named; --utc switches', async (t) => {
  const tz = process.env.TZ;
  process.env.TZ = 'Europe/London';
  t.teardown(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });
  const { log, path } = tempLog(t);
  log.append({
    kind: 'restore.scheduled',
    chargerId: 'garage',
    atMs: Date.UTC(2026, 6, 14, 21, 41),
    data: { fromA: 6, toA: 32, delayMs: 212_000, dueMs: Date.UTC(2026, 6, 14, 21, 44, 32), maxDelayMs: 600_000 },
  });
  const local = await run([], path);
  t.match(local.out, /SUMMARY \(UTC\+01:00\)/);
  t.match(local.out, /22:41:00 restore\.scheduled +garage +6->32 A at 22:44:32 \(random delay 212 s of max 600 s\)/, 'times inside the data as local times');
  const utc = await run(['--utc'], path);
  t.match(utc.out, /21:41:00 restore\.scheduled +garage +6->32 A at 21:44:32/);
  const since = await run(['--since', '2026-07-14 22:40', '--json'], path);
  t.equal(since.out.trimEnd().split('\n').length, 1, 'a --since without zone is local time');
  const since2 = await run(['--since', '2026-07-14 22:42', '--json'], path);
  t.equal(since2.out, '');
});

t.test('--json: one object a line that parses back to the rows', async (t) => {
  const { path, log } = seeded(t);
  const r = await run(['--json'], path);
  t.equal(r.code, 0);
  const rows = r.out
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as EventRow);
  t.same(rows, log.query({}));
  t.equal(rows[3]?.data.reason, 'no read-back\nsecond line\x1b[2J', 'JSON keeps the data exactly');
});

t.test('filters and limit reach the query', async (t) => {
  const { path } = seeded(t);
  const ids = async (argv: string[]) => {
    const r = await run([...argv, '--json', '--utc'], path);
    t.equal(r.code, 0, argv.join(' '));
    return r.out === ''
      ? []
      : r.out
          .trimEnd()
          .split('\n')
          .map((l) => (JSON.parse(l) as EventRow).id);
  };
  t.same(await ids(['--limit', '2']), [3, 4]);
  t.same(await ids(['--limit=1']), [4]);
  t.same(await ids(['--kind', 'switch.open']), [2]);
  t.same(await ids(['--kind-prefix', 'charger.']), [4]);
  t.same(await ids(['--charger', 'wallbox-garage-left']), [3]);
  t.same(await ids(['--since', '2026-11-29']), [4]);
  t.same(await ids(['--since', '2026-11-28T12:03:02']), [2, 3, 4], 'under --utc a time without zone is UTC');
  t.same(await ids(['--since', '2026-11-28T13:03:03.123+01:00']), [2, 3, 4]);
  t.same(await ids(['--until', '2026-11-28T12:03:03']), [1], '--until is exclusive');
  t.same(await ids(['--since', '2026-11-28T12:03:02', '--until', '2026-11-29']), [2, 3]);
  t.same(await ids(['--kind', 'nothing.like.this']), []);
  const none = await run(['--kind', 'nothing.like.this'], path);
  t.equal(none.out, 'no events match\n');
});

t.test('a window prints from its start, oldest first, and says when --limit cut it', async (t) => {
  const { log, path } = tempLog(t);
  log.appendMany(Array.from({ length: 60 }, (_, i) => ({ kind: 'n', data: { i }, atMs: T0 + i * 1000 })));
  const r = await run(['--json', '--utc', '--since', new Date(T0 + 5000).toISOString(), '--limit', '10'], path);
  const ids = r.out
    .trimEnd()
    .split('\n')
    .map((l) => (JSON.parse(l) as EventRow).id);
  t.same(ids, [6, 7, 8, 9, 10, 11, 12, 13, 14, 15], 'the start of the window, not its newest rows');
  t.match(r.err, /note: 55 events in the window; shown the first 10, to 2026-11-28 12:03:15/);
  const whole = await run(['--json', '--utc', '--since', new Date(T0 + 5000).toISOString(), '--limit', '100'], path);
  t.equal(whole.err, '', 'no note when the window fits');
});

t.test('default limit is 50 newest, with a note that there are more', async (t) => {
  const { log, path } = tempLog(t);
  log.appendMany(Array.from({ length: 60 }, (_, i) => ({ kind: 'n', data: { i } })));
  const r = await run(['--json'], path);
  const ids = r.out
    .trimEnd()
    .split('\n')
    .map((l) => (JSON.parse(l) as EventRow).id);
  t.same(
    ids,
    Array.from({ length: 50 }, (_, i) => i + 11),
  );
  t.match(r.err, /the newest 50 of 60 events/);
});

t.test('--switch N: the switch rows and the rows it caused (limits, writes, restores)', async (t) => {
  const { log, path } = tempLog(t);
  const claims = (n: number) => [
    { source: 'switch', capA: 6, text: `switch ${n} open, cause dno, since 12:00:00Z` },
    { source: 'charger', capA: 32, text: 'charger garage maximum 32 A' },
  ];
  log.appendMany([
    { kind: 'switch.state', switchIdx: 2, data: { state: 'open', cause: 'dno' } },
    { kind: 'limit.changed', chargerId: 'garage', data: { fromA: 32, toA: 6, reason: 'decrease', explanation: '6 A <- switch 2 open', claims: claims(2) } },
    { kind: 'charger.write', chargerId: 'garage', data: { limitA: 6, ok: true } },
    { kind: 'charger.sample', chargerId: 'garage', data: { a: [6], wh: 10 } },
    { kind: 'switch.state', switchIdx: 3, data: { state: 'open', cause: 'dno' } },
    { kind: 'limit.changed', chargerId: 'drive', data: { fromA: 32, toA: 6, reason: 'decrease', explanation: '6 A <- switch 3 open', claims: claims(3) } },
    { kind: 'charger.write', chargerId: 'drive', data: { limitA: 6, ok: true } },
  ]);
  const r = await run(['--switch', '2', '--json'], path);
  t.same(
    r.out
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as EventRow).id),
    [1, 2, 3],
    "switch 2, its charger's limit and write; no sample, nothing of switch 3",
  );
  const ids = async (argv: string[]) =>
    (await run([...argv, '--json'], path)).out
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as EventRow).id);
  t.notOk((await ids([])).includes(4), 'history samples are hidden from the story by default');
  t.ok((await ids(['--samples'])).includes(4), '--samples shows them');
  t.same(await ids(['--kind', 'charger.sample']), [4], 'and asking for the kind by name does too');
});

t.test('--follow shows newly committed rows within a second', async (t) => {
  const { log, path } = tempLog(t);
  log.append({ kind: 'agent.start', data: {} });
  const out = new Sink();
  const stop = new AbortController();
  const done = logCommand(['--follow', '--json'], { eventLogPath: path, out, err: new Sink(), signal: stop.signal });
  const waitFor = async (pred: () => boolean) => {
    while (!pred()) await new Promise((r) => setTimeout(r, 10));
  };
  await waitFor(() => out.text.includes('agent.start'));
  const written = Date.now();
  log.appendMany([
    { kind: 'switch.state', switchIdx: 2, data: { state: 'open', cause: 'dno' } },
    { kind: 'limit.changed', chargerId: 'garage', data: { fromA: 32, toA: 6 } },
  ]);
  await waitFor(() => out.text.includes('limit.changed'));
  const tookMs = Date.now() - written;
  stop.abort();
  t.equal(await done, 0);
  // The promise is "within a second": it rests on the poll period, not on this machine's speed.
  t.ok(FOLLOW_POLL_MS <= 250, 'polls at least four times a second');
  t.comment(`rows seen ${tookMs} ms after the commit`);
  t.same(
    out.text
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as EventRow).kind),
    ['agent.start', 'switch.state', 'limit.changed'],
  );
});

t.test('bad usage exits 64 with a clear message; --help exits 0', async (t) => {
  const { path } = seeded(t);
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--limit'], /--limit/],
    [['--limit', '0'], /--limit must be between 1/],
    [['--limit', 'ten'], /--limit must be a whole number/],
    [['--limit', '0x10'], /--limit must be a whole number/],
    [['--limit', ''], /--limit must be a whole number/],
    [['--switch', 'two'], /--switch must be a whole number/],
    [['--since', 'yesterday'], /--since: not an ISO 8601 instant/],
    [['--since', '2026-11-29', '--until', '2026-11-28'], /--until must be after --since/],
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

t.test('summarizeData: telling keys first, times as times, durations in seconds', async (t) => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ x: 1, reason: 'R', explanation: 'E' }, 'R E x=1'],
    [{ cause: 'dno', idx: 2, state: 'open' }, 'state=open cause=dno idx=2'],
    [{ limitA: 6, ok: true, note: null }, 'limitA=6 ok=true note=null'],
    [{ label: 'EV charger', id: 'wb-1' }, 'label="EV charger" id=wb-1'],
    [{ nested: { a: [1, 2] } }, 'nested={"a":[1,2]}'],
    [{ dueMs: Date.UTC(2026, 6, 14, 21, 44, 32), delayMs: 212_000 }, 'due=21:44:32 delay=212 s'],
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

  const help = new Sink();
  t.equal(await verifyLogCommand(['--help'], { eventLogPath: path, out: help }), 0);
  t.match(help.text, /^usage: hcalcs-agent verify-log \[--json\]\n/);
});

t.test('verify-log on an empty log', async (t) => {
  const { path } = tempLog(t);
  const out = new Sink();
  t.equal(await verifyLogCommand([], { eventLogPath: path, out }), 0);
  t.match(out.text, /0 events, hash chain OK \(empty log\)/);
  void T0;
});
