import t from 'tap';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openEventLog, openEventLogStore } from '../../../agent/event-log/store.js';
import type { RowInput } from '../../../agent/event-log/types.js';
import { T0, tempLog } from './fixtures/helpers.js';

t.test('append round trip: fields, UTC time, the injected clock', async (t) => {
  const { log, clock } = tempLog(t);
  const a = log.append({ kind: 'switch.open', switchIdx: 2, data: { explanation: '6 A <- switch 2 open', cause: 'dno' } });
  clock.advance(1500);
  const b = log.append({ kind: 'charger.write', chargerId: 'wallbox-1', data: { limitA: 6 } });
  const c = log.append({ kind: 'agent.start', atMs: Date.UTC(2026, 0, 2, 3, 4, 5, 6) + 0.9 });
  t.match(a, { id: 1, at: '2026-11-28T12:03:01.123Z', atMs: T0, kind: 'switch.open', switchIdx: 2, chargerId: null });
  t.same(a.data, { explanation: '6 A <- switch 2 open', cause: 'dno' });
  t.match(b, { id: 2, at: '2026-11-28T12:03:02.623Z', atMs: T0 + 1500, switchIdx: null, chargerId: 'wallbox-1' });
  t.equal(c.at, '2026-01-02T03:04:05.006Z', 'explicit atMs wins over the clock; sub-ms floored');
  t.equal(c.atMs, Date.UTC(2026, 0, 2, 3, 4, 5, 6));
  t.same(c.data, {});
  t.match(a.hash, /^[0-9a-f]{64}$/);
  t.same(log.query({}), [a, b, c], 'query returns exactly what append returned');
});

t.test('appendMany writes in order in one transaction and chains across calls', async (t) => {
  const { log } = tempLog(t);
  const rows = log.appendMany([{ kind: 'a.one' }, { kind: 'a.two' }, { kind: 'a.three' }]);
  t.same(
    rows.map((r) => r.id),
    [1, 2, 3],
  );
  t.same(log.appendMany([]), []);
  log.append({ kind: 'a.four' });
  t.same(log.verify(), { ok: true, count: 4 });
});

const FIXTURE: RowInput[] = [
  { kind: 'han.message', switchIdx: 1, data: { seq: 1 } },
  { kind: 'switch.open', switchIdx: 2, data: { reason: 'dno' } },
  { kind: 'charger.write', chargerId: 'wb-a', switchIdx: 2, data: { limitA: 6 } },
  { kind: 'charger.readback', chargerId: 'wb-a', data: { limitA: 6 } },
  { kind: 'charger.write', chargerId: 'wb-b', data: { limitA: 6 } },
  { kind: 'chargers', data: {} },
  { kind: 'switch.closed', switchIdx: 2, data: {} },
  { kind: 'han.message', switchIdx: 1, data: { seq: 2 } },
  { kind: 'charger.write', chargerId: 'wb-a', switchIdx: 2, data: { limitA: 32 } },
];

t.test('query filters and limits (newest N, oldest first)', async (t) => {
  const { log, clock } = tempLog(t);
  for (const e of FIXTURE) {
    log.append(e);
    clock.advance(60_000);
  }
  const cases: Array<{ name: string; q: Parameters<typeof log.query>[0]; ids: number[] }> = [
    { name: 'everything', q: {}, ids: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
    { name: 'limit 3 = newest three, oldest first', q: { limit: 3 }, ids: [7, 8, 9] },
    { name: 'limit larger than the log', q: { limit: 100 }, ids: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
    { name: 'limit 0', q: { limit: 0 }, ids: [] },
    { name: 'kind', q: { kind: 'charger.write' }, ids: [3, 5, 9] },
    { name: 'kind + limit', q: { kind: 'charger.write', limit: 2 }, ids: [5, 9] },
    { name: 'kind matches exactly, not as a prefix', q: { kind: 'charger' }, ids: [] },
    { name: 'kind prefix', q: { kindPrefix: 'charger.' }, ids: [3, 4, 5, 9] },
    { name: 'kind prefix without the dot includes "chargers"', q: { kindPrefix: 'charger' }, ids: [3, 4, 5, 6, 9] },
    { name: 'kind prefix + limit', q: { kindPrefix: 'switch.', limit: 1 }, ids: [7] },
    { name: 'kind prefix + limit across several kinds', q: { kindPrefix: 'charger', limit: 3 }, ids: [5, 6, 9] },
    { name: 'kind prefix + charger + limit', q: { kindPrefix: 'charger.', chargerId: 'wb-a', limit: 2 }, ids: [4, 9] },
    { name: 'kind prefix matching nothing + limit', q: { kindPrefix: 'zzz', limit: 2 }, ids: [] },
    { name: 'kind prefix + kind', q: { kindPrefix: 'charger.', kind: 'charger.readback', limit: 5 }, ids: [4] },
    { name: 'charger', q: { chargerId: 'wb-a' }, ids: [3, 4, 9] },
    { name: 'switch', q: { switchIdx: 2 }, ids: [2, 3, 7, 9] },
    { name: 'charger + switch', q: { chargerId: 'wb-a', switchIdx: 2 }, ids: [3, 9] },
    { name: 'since (inclusive)', q: { sinceMs: T0 + 6 * 60_000 }, ids: [7, 8, 9] },
    { name: 'since + kind + limit', q: { sinceMs: T0 + 60_000, kind: 'han.message', limit: 5 }, ids: [8] },
    { name: 'no match', q: { chargerId: 'nope' }, ids: [] },
  ];
  for (const c of cases)
    t.same(
      log.query(c.q).map((r) => r.id),
      c.ids,
      c.name,
    );
  // The same statements are reused: a second pass gives the same answers.
  for (const c of cases)
    t.same(
      log.query(c.q).map((r) => r.id),
      c.ids,
      `${c.name} (again)`,
    );
  t.throws(() => log.query({ limit: -1 }), /limit/);
});

t.test('bad events get a clear error and the whole batch is refused', async (t) => {
  const { log } = tempLog(t);
  log.append({ kind: 'ok.first' });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const bad: Array<[string, RowInput, RegExp]> = [
    ['empty kind', { kind: '' }, /kind must be/],
    ['kind with a space', { kind: 'switch open' }, /kind must be/],
    ['kind with a newline', { kind: 'a\nb' }, /kind must be/],
    ['kind not a string', { kind: 42 as unknown as string }, /kind must be/],
    ['negative switch', { kind: 'x', switchIdx: -1 }, /switchIdx/],
    ['fractional switch', { kind: 'x', switchIdx: 1.5 }, /switchIdx/],
    ['empty charger id', { kind: 'x', chargerId: '' }, /chargerId/],
    ['charger id with ESC', { kind: 'x', chargerId: 'wb\x1b[2J' }, /control characters/],
    ['data array', { kind: 'x', data: [1] as unknown as Record<string, unknown> }, /plain object/],
    ['data cyclic', { kind: 'x', data: cyclic }, /cannot be stored as JSON/],
    ['data BigInt', { kind: 'x', data: { n: 1n } }, /cannot be stored as JSON/],
    ['atMs NaN', { kind: 'x', atMs: NaN }, /atMs/],
    ['atMs before 1970', { kind: 'x', atMs: -1 }, /atMs/],
  ];
  for (const [name, e, re] of bad) {
    t.throws(() => log.appendMany([{ kind: 'fine.before' }, e, { kind: 'fine.after' }]), re, name);
  }
  t.same(
    log.query({}).map((r) => r.kind),
    ['ok.first'],
    'nothing of a refused batch was written',
  );
  t.same(log.verify(), { ok: true, count: 1 });
});

t.test('SQLite triggers refuse UPDATE, DELETE and overwriting an id', async (t) => {
  const { log, path } = tempLog(t);
  log.appendMany([{ kind: 'a' }, { kind: 'b' }]);
  const db = new Database(path);
  t.teardown(() => db.close());
  t.throws(() => db.prepare("UPDATE events SET kind = 'x' WHERE id = 1").run(), /append-only: UPDATE refused/);
  t.throws(() => db.prepare('DELETE FROM events WHERE id = 2').run(), /append-only: DELETE refused/);
  t.throws(() => db.prepare('DELETE FROM events').run(), /append-only: DELETE refused/);
  t.throws(
    () => db.prepare('INSERT OR REPLACE INTO events SELECT id, at, at_ms, \'forged\', "switch", charger, data, prev_hash, hash FROM events WHERE id = 1').run(),
    /cannot be overwritten/,
  );
  t.same(
    log.query({}).map((r) => r.kind),
    ['a', 'b'],
  );
  t.same(log.verify(), { ok: true, count: 2 });
});

t.test('state: save, overwrite, load, forget, survives reopening', async (t) => {
  const { log, path } = tempLog(t);
  t.equal(log.loadState('core'), undefined);
  log.saveState('core', { pendingRestoreAtMs: 123, switches: [1, 2] });
  log.saveState('runtime', 'plain string');
  log.saveState('core', { pendingRestoreAtMs: 456, switches: [] });
  t.same(log.loadState('core'), { pendingRestoreAtMs: 456, switches: [] });
  t.equal(log.loadState<string>('runtime'), 'plain string');
  log.saveState('runtime', undefined);
  t.equal(log.loadState('runtime'), undefined, 'saving undefined forgets the key');
  t.throws(() => log.saveState('x', { n: 1n }), /cannot be stored as JSON/);
  log.close();
  const again = openEventLogStore(path, { readonly: true });
  t.teardown(() => again.close());
  t.same(again.loadState('core'), { pendingRestoreAtMs: 456, switches: [] });
});

t.test('commands: a CLI connection enqueues, the agent takes each once, oldest first', async (t) => {
  const { log, path, clock } = tempLog(t);
  t.same(log.takeCommands(), []);
  const cli = openEventLog(path, { clock: () => T0 + 5 });
  t.teardown(() => cli.close());
  const id1 = cli.enqueueCommand({ name: 'restore-now' });
  const id2 = cli.enqueueCommand({ name: 'manual-limit', args: { chargerId: 'wb-a', limitA: 10 } });
  t.ok(id2 > id1);
  clock.advance(1000);
  t.same(log.takeCommands(), [
    { id: id1, name: 'restore-now', args: {}, atMs: T0 + 5 },
    { id: id2, name: 'manual-limit', args: { chargerId: 'wb-a', limitA: 10 }, atMs: T0 + 5 },
  ]);
  t.same(log.takeCommands(), [], 'taken once');
  const id3 = cli.enqueueCommand({ name: 'restore-now' });
  t.same(
    log.takeCommands().map((c) => c.id),
    [id3],
  );
  t.throws(() => cli.enqueueCommand({ name: '' }), /name/);
});

t.test('readonly: a missing file is an error and is not created', async (t) => {
  const dir = t.testdir({ 'not-a-db.db': 'hello, this is text\n' });
  const missing = join(dir, 'nope.db');
  t.throws(() => openEventLog(missing, { readonly: true }), /event log not found: .*nope\.db/);
  t.notOk(existsSync(missing));
  t.throws(() => openEventLog(join(dir, 'not-a-db.db'), { readonly: true }), /not a database|event log/);
});

t.test('readonly: writes refused; sees rows appended after it opened', async (t) => {
  const { log, path } = tempLog(t);
  log.append({ kind: 'before' });
  const reader = openEventLogStore(path, { readonly: true });
  t.teardown(() => reader.close());
  t.same(
    reader.query({}).map((r) => r.kind),
    ['before'],
  );
  t.throws(() => reader.append({ kind: 'x' }), /readonly/);
  t.throws(() => reader.saveState('k', 1), /readonly/);
  t.throws(() => reader.takeCommands(), /readonly/);
  log.appendMany([{ kind: 'after.1' }, { kind: 'after.2' }]);
  t.same(
    reader.query({ limit: 2 }).map((r) => r.kind),
    ['after.1', 'after.2'],
  );
  t.same(reader.verify(), { ok: true, count: 3 });
  t.same(reader.head(), { id: 3, hash: log.query({ limit: 1 })[0]?.hash });
});

t.test('a closed-then-reopened writer continues the chain', async (t) => {
  const { log, path } = tempLog(t);
  log.appendMany([{ kind: 'a' }, { kind: 'b' }]);
  log.close();
  const again = openEventLogStore(path);
  t.teardown(() => again.close());
  t.equal(again.append({ kind: 'c' }).id, 3);
  t.same(again.verify(), { ok: true, count: 3 });
});

t.test('two writers (agent and a CLI) interleave without breaking the chain', async (t) => {
  const { log, path } = tempLog(t);
  const other = openEventLogStore(path);
  t.teardown(() => other.close());
  for (let i = 0; i < 20; i++) (i % 3 === 0 ? other : log).append({ kind: 'w', data: { i } });
  t.same(log.verify(), { ok: true, count: 20 });
  t.same(
    log.query({}).map((r) => r.data.i),
    Array.from({ length: 20 }, (_, i) => i),
  );
});
