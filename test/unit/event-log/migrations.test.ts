import t from 'tap';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENESIS_HASH, chainHash } from '../../../agent/event-log/chain.js';
import { LATEST_VERSION, MIGRATIONS, migrate, schemaVersion } from '../../../agent/event-log/migrations.js';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { T0 } from './fixtures/helpers.js';

function tables(db: Database.Database): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{
      name: string;
    }>
  ).map((r) => r.name);
}

const ALL_OBJECTS = [
  'checkpoint',
  'commands',
  'commands_open',
  'events',
  'events_charger',
  'events_kind',
  'events_no_delete',
  'events_no_replace',
  'events_no_update',
  'events_switch',
  'prune_permit',
  'state',
];

t.test('versions are ordered, contiguous and end at LATEST_VERSION', async (t) => {
  t.same(
    MIGRATIONS.map((m) => m.version),
    Array.from({ length: MIGRATIONS.length }, (_, i) => i + 1),
  );
  t.equal(LATEST_VERSION, MIGRATIONS.length);
});

t.test('a new file is created at the latest version, in WAL mode', async (t) => {
  const path = join(t.testdir({}), 'new.db');
  const log = openEventLogStore(path);
  log.close();
  const db = new Database(path, { readonly: true });
  t.teardown(() => db.close());
  t.equal(schemaVersion(db), LATEST_VERSION);
  t.same(tables(db), ALL_OBJECTS);
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
});

t.test('an existing empty SQLite file (version 0) is migrated', async (t) => {
  const path = join(t.testdir({}), 'v0.db');
  const raw = new Database(path);
  raw.exec('CREATE TABLE unrelated_note (x TEXT)'); // a version-0 file someone created by hand
  raw.close();
  const log = openEventLogStore(path);
  t.teardown(() => log.close());
  t.equal(log.append({ kind: 'a' }).id, 1);
  const db = new Database(path, { readonly: true });
  t.teardown(() => db.close());
  t.equal(schemaVersion(db), LATEST_VERSION);
});

t.test('a version-1 file with rows (before the command queue) is migrated and keeps its chain', async (t) => {
  const path = join(t.testdir({}), 'v1.db');
  const old = new Database(path);
  old.pragma('journal_mode = WAL');
  t.same(migrate(old, { toVersion: 1 }), [1]);
  // Rows as a version-1 agent wrote them.
  let prev = GENESIS_HASH;
  for (let id = 1; id <= 3; id++) {
    const f = { id, at: new Date(T0 + id).toISOString(), atMs: T0 + id, kind: 'switch.open', switchIdx: 1, chargerId: null, dataJson: `{"n":${id}}` };
    const hash = chainHash(prev, f);
    old
      .prepare('INSERT INTO events (id, at, at_ms, kind, "switch", charger, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(f.id, f.at, f.atMs, f.kind, f.switchIdx, f.chargerId, f.dataJson, prev, hash);
    prev = hash;
  }
  old.prepare('INSERT INTO state (key, value, updated_at_ms) VALUES (?, ?, ?)').run('core', '{"x":1}', T0);
  t.equal(schemaVersion(old), 1);
  t.notOk(tables(old).includes('commands'));
  old.close();

  t.throws(() => openEventLogStore(path, { readonly: true }), /schema version 1.*start the agent once/, 'a reader does not migrate');

  const log = openEventLogStore(path);
  t.teardown(() => log.close());
  t.same(log.verify(), { ok: true, count: 3 });
  t.same(
    log.query({}).map((r) => r.data),
    [{ n: 1 }, { n: 2 }, { n: 3 }],
  );
  t.same(log.loadState('core'), { x: 1 });
  t.equal(log.append({ kind: 'after.upgrade' }).id, 4);
  t.same(log.verify(), { ok: true, count: 4 });
  const id = log.enqueueCommand({ name: 'restore-now' });
  t.same(
    log.takeCommands().map((c) => c.id),
    [id],
  );
  const check = new Database(path, { readonly: true });
  t.teardown(() => check.close());
  t.equal(schemaVersion(check), LATEST_VERSION);
});

t.test('migrating again is a no-op', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  t.same(
    migrate(db),
    MIGRATIONS.map((m) => m.version),
  );
  t.same(migrate(db), []);
});

t.test('a failing migration rolls back whole and names itself; the file stays at the old version', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  const broken = [...MIGRATIONS, { version: LATEST_VERSION + 1, description: 'test step', up: 'CREATE TABLE half_done (x); CREATE TABLE events (x);' }];
  t.throws(() => migrate(db, { migrations: broken }), new RegExp(`migration to version ${LATEST_VERSION + 1} \\(test step\\) failed: .*already exists`));
  t.equal(schemaVersion(db), LATEST_VERSION);
  t.notOk(tables(db).includes('half_done'), 'the first statement of the failed step was rolled back');
});

t.test('a file from a newer agent is refused and left untouched', async (t) => {
  const path = join(t.testdir({}), 'future.db');
  const log = openEventLogStore(path);
  log.append({ kind: 'a' });
  log.close();
  const raw = new Database(path);
  raw.pragma(`user_version = ${LATEST_VERSION + 1}`);
  raw.pragma('wal_checkpoint(TRUNCATE)');
  raw.close();
  const before = readFileSync(path);
  t.throws(() => openEventLogStore(path), /schema version \d+ is newer than this agent knows/);
  t.throws(() => openEventLogStore(path, { readonly: true }), /schema version \d+, this agent reads version/);
  t.ok(readFileSync(path).equals(before));
});

t.test('a file that is not SQLite gives a clear error for the writer too', async (t) => {
  const dir = t.testdir({
    'junk.db':
      'this is not a database, just some text that is long enough to have a header........................................................................',
  });
  t.throws(() => openEventLogStore(join(dir, 'junk.db')), /event log .*junk\.db.*not a database/);
});
