// The resilient event log: whatever the file does (corrupt, newer schema, full disk, deleted
// under a running agent), appends and state saves never throw, and the log says afterwards
// what happened. Faults of the disk are injected by wrapping the real store (the boundary);
// faults of the file are real files.
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { openEventLogStore, type EventLogStore } from '../../../agent/event-log/store.js';
import { ResilientEventLog, type EventLogHealth } from '../../../agent/event-log/resilient.js';

const logger = pino({ level: 'silent' });

function dir(t: Test): string {
  const d = mkdtempSync(join(tmpdir(), 'resilient-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** The real store, with a switch that makes its writes fail as a full disk does. */
function faulty(path: string, fault: { on: boolean; code?: string }): EventLogStore {
  const real = openEventLogStore(path);
  const fail = () => {
    if (fault.on) throw new Database.SqliteError('database or disk is full', fault.code ?? 'SQLITE_FULL');
  };
  return {
    ...real,
    appendMany: (events) => (fail(), real.appendMany(events)),
    append: (event) => (fail(), real.append(event)),
    saveState: (k, v) => (fail(), real.saveState(k, v)),
    takeCommands: () => (fail(), real.takeCommands()),
  };
}

function rowsOf(path: string) {
  const s = openEventLogStore(path, { readonly: true });
  try {
    return { rows: s.query({}), verify: s.verify(), core: s.loadState<unknown>('core') };
  } finally {
    s.close();
  }
}

t.test('a corrupt file at start is moved aside and a new log begins with the reason', async (t) => {
  const d = dir(t);
  const path = join(d, 'events.db');
  const old = openEventLogStore(path);
  old.append({ kind: 'old.row' });
  old.close();
  // Scribbled over from the first byte: the header says it is no database.
  const junk = readFileSync(path);
  junk.write('scribbled over by a faulty SD card', 0, 'latin1');
  writeFileSync(path, junk);
  const log = new ResilientEventLog(path, { logger, checkMs: 0 });
  log.append({ kind: 'agent.start' });
  const h = log.health();
  log.close();
  t.equal(h.status, 'ok', 'the new log is healthy');
  t.equal(h.movedAside.length, 1, 'one file moved aside');
  const moved = h.movedAside[0]!;
  t.match(moved, /events\.db\.broken-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/);
  t.same(readFileSync(moved), junk, 'the old file is kept byte for byte');
  const { rows, verify } = rowsOf(path);
  t.same(
    rows.map((r) => r.kind),
    ['eventlog.recovered', 'agent.start'],
    'the first row says why',
  );
  t.match(rows[0]!.data, { when: 'start', movedTo: moved, reason: /not a database/ });
  t.ok(verify.ok, 'the new chain verifies');
});

t.test('a newer schema is moved aside; the saved state in it is salvaged for the restart', async (t) => {
  const d = dir(t);
  const path = join(d, 'events.db');
  const old = openEventLogStore(path);
  old.saveState('core', { switches: { 2: 'open' } });
  old.append({ kind: 'switch.state' });
  old.close();
  const db = new Database(path);
  db.pragma('user_version = 99');
  db.close();
  const log = new ResilientEventLog(path, { logger, checkMs: 0 });
  t.same(log.loadState('core'), { switches: { 2: 'open' } }, 'the state saved in the refused file is what a restart gets');
  const moved = log.health().movedAside[0]!;
  log.close();
  const { rows, core } = rowsOf(path);
  t.equal(rows[0]?.kind, 'eventlog.recovered');
  t.match(rows[0]?.data, { reason: /schema version 99 is newer/, salvagedState: ['core'] });
  t.same(core, { switches: { 2: 'open' } }, 'and it is saved in the new log');
  const kept = new Database(moved, { readonly: true });
  t.equal(kept.pragma('user_version', { simple: true }), 99, 'the refused file is kept as it was');
  kept.close();
});

t.test('a full disk while running: nothing throws, the health says so, rows are kept and written later in order', async (t) => {
  const d = dir(t);
  const path = join(d, 'events.db');
  const fault = { on: false };
  const healths: EventLogHealth[] = [];
  const log = new ResilientEventLog(path, { logger, checkMs: 0, openStore: (p) => faulty(p, fault), onHealth: (h) => healths.push(h) });
  log.append({ kind: 'before' });
  fault.on = true;
  t.doesNotThrow(() => log.append({ kind: 'during.1' }));
  const r = log.appendMany([{ kind: 'during.2' }, { kind: 'during.3' }]);
  t.same(
    r.map((x) => x.id),
    [0, 0],
    'unwritten rows come back with id 0',
  );
  t.doesNotThrow(() => log.saveState('core', { v: 1 }));
  log.saveState('core', { v: 2 });
  t.same(log.takeCommands(), [], 'no commands, no throw');
  const h = log.health();
  t.equal(h.status, 'degraded');
  t.match(h.reason, /SQLITE_FULL|disk is full/);
  t.equal(h.buffered, 3);
  t.equal(healths.at(-1)?.status, 'degraded', 'the health listener heard it');
  t.same(log.loadState('core'), { v: 2 }, 'the latest state is held in memory');
  log.maintain();
  t.equal(log.health().status, 'degraded', 'still failing: still degraded');
  fault.on = false;
  log.append({ kind: 'after' });
  t.equal(log.health().buffered, 4, 'a new row queues behind the backlog, keeping the order');
  log.maintain();
  t.equal(log.health().status, 'ok');
  t.equal(log.health().buffered, 0);
  log.close();
  const { rows, verify, core } = rowsOf(path);
  t.same(
    rows.map((x) => x.kind),
    ['before', 'eventlog.outage', 'during.1', 'during.2', 'during.3', 'after'],
  );
  t.match(rows[1]!.data, { reason: /disk is full/, delayedRows: 4, lostRows: 0 });
  t.notOk(
    rows.some((x) => x.kind === 'eventlog.gap'),
    'nothing lost, no gap row',
  );
  t.same(core, { v: 2 }, 'the latest state reached the disk');
  t.ok(verify.ok);
});

t.test('a long outage fills the bounded buffer: the oldest rows go, a gap row says how many and when', async (t) => {
  const d = dir(t);
  const path = join(d, 'events.db');
  const fault = { on: true };
  let now = 1_000_000;
  const log = new ResilientEventLog(path, { logger, checkMs: 0, bufferMax: 100, flushChunk: 30, clock: () => now, openStore: (p) => faulty(p, fault) });
  for (let i = 0; i < 250; i++) {
    now += 10;
    log.append({ kind: 'row', data: { i } });
  }
  t.equal(log.health().buffered, 100, 'memory holds at most the bound');
  t.equal(log.health().lost, 150);
  fault.on = false;
  log.maintain();
  // The rest is written on later turns of the event loop, a chunk at a time.
  for (let i = 0; i < 50 && log.health().buffered > 0; i++) await new Promise((r) => setImmediate(r));
  t.equal(log.health().buffered, 0, 'the backlog is written in chunks');
  log.close();
  const { rows, verify } = rowsOf(path);
  const gap = rows.find((r) => r.kind === 'eventlog.gap');
  t.match(gap?.data, { lost: 150, firstAtMs: 1_000_010, lastAtMs: 1_001_500 });
  const kept = rows.filter((r) => r.kind === 'row').map((r) => r.data.i);
  t.same(
    kept,
    Array.from({ length: 100 }, (_, i) => 150 + i),
    'the newest 100 rows, in order',
  );
  t.ok(rows.findIndex((r) => r.kind === 'eventlog.gap') < rows.findIndex((r) => r.kind === 'row'), 'the gap row comes before them');
  t.ok(verify.ok);
});

t.test('a database file deleted while running is rebuilt from the open connection; nothing is lost', async (t) => {
  const d = dir(t);
  const path = join(d, 'events.db');
  const log = new ResilientEventLog(path, { logger, checkMs: 0 });
  for (let i = 0; i < 20; i++) log.append({ kind: 'row', data: { i } });
  log.saveState('core', { v: 'kept' });
  for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
  log.append({ kind: 'row', data: { i: 20 } });
  log.maintain();
  log.append({ kind: 'row', data: { i: 21 } });
  t.equal(log.health().status, 'ok');
  log.close();
  const { rows, verify, core } = rowsOf(path);
  t.same(
    rows.filter((r) => r.kind === 'row').map((r) => r.data.i),
    Array.from({ length: 22 }, (_, i) => i),
    'every row, including those written after the deletion',
  );
  const re = rows.find((r) => r.kind === 'eventlog.reopened');
  t.match(re?.data, { reason: /database file .* deleted while running/, rebuilt: 'copied from the open connection' });
  t.same(core, { v: 'kept' });
  t.ok(verify.ok, `the chain continues across the rebuild: ${JSON.stringify(verify)}`);
});

t.test('a WAL deleted while running is folded into the database; nothing is lost', async (t) => {
  const d = dir(t);
  const path = join(d, 'events.db');
  const log = new ResilientEventLog(path, { logger, checkMs: 0 });
  for (let i = 0; i < 10; i++) log.append({ kind: 'row', data: { i } });
  t.ok(existsSync(`${path}-wal`), 'WAL mode: the rows are in the WAL');
  unlinkSync(`${path}-wal`);
  log.append({ kind: 'row', data: { i: 10 } });
  log.maintain();
  log.append({ kind: 'row', data: { i: 11 } });
  // Like a crash: the other process reads the files without this connection's help.
  const { rows, verify } = rowsOf(path);
  t.same(
    rows.filter((r) => r.kind === 'row').map((r) => r.data.i),
    Array.from({ length: 12 }, (_, i) => i),
  );
  t.match(rows.find((r) => r.kind === 'eventlog.reopened')?.data, { reason: /WAL file .*-wal deleted while running/ });
  t.ok(verify.ok);
  log.close();
});

t.test('no file can be opened at all: the log lives in memory, raises the alarm, and takes the file when it can', async (t) => {
  const d = dir(t);
  const blocker = join(d, 'state');
  writeFileSync(blocker, 'a file where the state directory should be');
  const path = join(blocker, 'events.db');
  const log = new ResilientEventLog(path, { logger, checkMs: 0 });
  const h = log.health();
  t.equal(h.status, 'degraded');
  t.equal(h.storage, 'memory');
  t.doesNotThrow(() => log.append({ kind: 'agent.start' }));
  log.saveState('core', { v: 1 });
  t.same(log.loadState('core'), { v: 1 });
  t.same(
    log.query({}).map((r) => r.kind),
    ['agent.start'],
    'the memory log answers queries',
  );
  log.maintain();
  t.equal(log.health().storage, 'memory', 'still impossible');
  rmSync(blocker);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(blocker);
  log.maintain();
  t.equal(log.health().status, 'ok', 'the directory is usable now');
  log.close();
  const { rows, core } = rowsOf(path);
  t.same(
    rows.map((r) => r.kind),
    ['eventlog.outage', 'agent.start'],
  );
  t.match(rows[0]!.data, { reason: /cannot open/ });
  t.same(core, { v: 1 });
});

t.test('a malformed row never throws; it is replaced by a note and its batch-mates are kept', async (t) => {
  const d = dir(t);
  const path = join(d, 'events.db');
  const log = new ResilientEventLog(path, { logger, checkMs: 0 });
  t.doesNotThrow(() => log.appendMany([{ kind: 'good.1' }, { kind: 'has space' }, { kind: 'good.2' }]));
  log.close();
  const { rows } = rowsOf(path);
  t.same(
    rows.map((r) => r.kind),
    ['good.1', 'eventlog.rejected-row', 'good.2'],
  );
  t.match(rows[1]!.data, { kind: 'has space', error: /printable ASCII/ });
});

t.test('a corrupt file found while running is moved aside and a new log continues', async (t) => {
  const d = dir(t);
  const path = join(d, 'events.db');
  const fault = { on: false, code: 'SQLITE_CORRUPT' };
  const log = new ResilientEventLog(path, { logger, checkMs: 0, openStore: (p) => faulty(p, fault) });
  log.append({ kind: 'before' });
  fault.on = true;
  log.append({ kind: 'during' });
  fault.on = false;
  log.maintain();
  t.equal(log.health().status, 'ok');
  t.equal(log.health().movedAside.length, 1);
  log.close();
  const { rows } = rowsOf(path);
  t.same(
    rows.map((r) => r.kind),
    ['eventlog.recovered', 'eventlog.outage', 'during'],
  );
  t.ok(
    readdirSync(d).some((f) => f.startsWith('events.db.broken-')),
    'the old file is kept',
  );
});
