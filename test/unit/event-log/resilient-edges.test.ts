// The resilient event log's smaller promises: a log living in memory answers what it can and
// says why it cannot do the rest; a saved state that cannot be read back is a fresh start,
// recorded; a value that is not storable stays in memory; a failing owner-command queue, a
// store that will not close and a health listener that throws never reach the agent. Faults
// are injected by wrapping the real store (the boundary), as in resilient.test.ts.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { openEventLogStore, type EventLogStore } from '../../../agent/event-log/store.js';
import { ResilientEventLog, type EventLogHealth } from '../../../agent/event-log/resilient.js';
import { openAgentEventLog } from '../../../agent/compose.js';
import { Sink } from './fixtures/helpers.js';

const logger = pino({ level: 'silent' });

function memoryOnly(t: Test): ResilientEventLog {
  const d = t.testdir({});
  // A file where the directory should be: no event log file can be opened.
  writeFileSync(join(d, 'state'), 'not a directory');
  const log = new ResilientEventLog(join(d, 'state', 'events.db'), { logger, checkMs: 0, clock: () => 1_000 });
  t.teardown(() => log.close());
  return log;
}

function kinds(path: string): string[] {
  const s = openEventLogStore(path, { readonly: true });
  try {
    return s.query({}).map((r) => r.kind);
  } finally {
    s.close();
  }
}

t.test("the agent's event log where no directory can be made: logged, and the agent still gets a log (in memory)", async (t) => {
  const d = t.testdir({});
  writeFileSync(join(d, 'state'), 'not a directory');
  const sink = new Sink();
  const log = openAgentEventLog(join(d, 'state', 'events.db'), pino({ level: 'error' }, sink), 0);
  t.teardown(() => log.close());
  const first = JSON.parse(sink.text.split('\n')[0] ?? '{}') as { msg?: string; dir?: string; err?: { message: string } };
  t.match(first, { msg: 'cannot create the event-log directory', dir: join(d, 'state'), err: { message: /EEXIST|ENOTDIR/ } });
  t.equal(log.health().storage, 'memory');
  log.append({ kind: 'agent.start', data: {} });
  t.same(
    log.query({}).map((r) => r.kind),
    ['agent.start'],
    'rows are still taken',
  );
});

t.test('in memory: queries filter by kind and prefix and keep the newest for a limit', async (t) => {
  const log = memoryOnly(t);
  t.equal(log.health().storage, 'memory');
  log.appendMany([{ kind: 'switch.state' }, { kind: 'limit.changed' }, { kind: 'switch.open' }, { kind: 'switch.state' }]);
  t.same(
    log.query({ kind: 'switch.state' }).map((r) => r.kind),
    ['switch.state', 'switch.state'],
  );
  t.same(
    log.query({ kindPrefix: 'switch.' }).map((r) => r.kind),
    ['switch.state', 'switch.open', 'switch.state'],
  );
  t.same(
    log.query({ limit: 2 }).map((r) => r.kind),
    ['switch.open', 'switch.state'],
    'the last two',
  );
  t.equal(log.query({}).length, 4);
  t.equal(log.health().buffered, 4, 'all four waiting for a file');
});

t.test('in memory: verify, owner commands and unsaved state say there is no file', async (t) => {
  const log = memoryOnly(t);
  const v = log.verify();
  t.equal(v.ok, false, 'nothing to verify is not a pass');
  t.match(v, { count: 0, reason: /^no event log file open \(cannot open/ });
  t.throws(() => log.enqueueCommand({ name: 'restore-now' }), /is not open/, 'an owner command is refused, not lost silently');
  t.same(log.takeCommands(), []);
  t.equal(log.loadState('core'), undefined, 'no state from nowhere');
});

t.test('a saved state that cannot be read back: a fresh start, and a row that says so', async (t) => {
  const path = join(t.testdir({}), 'events.db');
  const real = openEventLogStore(path);
  const store: EventLogStore = {
    ...real,
    loadState: () => {
      throw new SyntaxError('Unexpected token } in JSON');
    },
  };
  const log = new ResilientEventLog(path, { logger, checkMs: 0, openStore: () => store });
  t.equal(log.loadState('core'), undefined);
  log.close();
  const s = openEventLogStore(path, { readonly: true });
  const rows = s.query({ kind: 'eventlog.state-unreadable' });
  s.close();
  t.equal(rows.length, 1);
  t.match(rows[0]?.data, { key: 'core', error: /Unexpected token/ });
});

t.test('a value that cannot be stored stays in memory; the other keys are written', async (t) => {
  const path = join(t.testdir({}), 'events.db');
  const log = new ResilientEventLog(path, { logger, checkMs: 0 });
  const big = { n: 10n };
  t.doesNotThrow(() => log.saveState('odd', big));
  log.saveState('core', { v: 2 });
  t.equal(log.loadState('odd'), big, 'still there for this run');
  t.equal(log.health().status, 'ok', 'not a disk problem');
  log.close();
  const s = openEventLogStore(path, { readonly: true });
  t.same(s.loadState('core'), { v: 2 });
  t.equal(s.loadState('odd'), undefined, 'never reached the file');
  s.close();
});

t.test('taking owner commands fails: none taken, the log degrades and recovers', async (t) => {
  const path = join(t.testdir({}), 'events.db');
  const fault = { on: true };
  const real = openEventLogStore(path);
  const store: EventLogStore = {
    ...real,
    takeCommands: () => {
      if (fault.on) throw new Database.SqliteError('disk I/O error', 'SQLITE_IOERR');
      return real.takeCommands();
    },
  };
  const health: EventLogHealth[] = [];
  const log = new ResilientEventLog(path, { logger, checkMs: 0, openStore: () => store, onHealth: (h) => health.push(h) });
  t.equal(log.enqueueCommand({ name: 'restore-now' }), 1);
  t.same(log.takeCommands(), []);
  t.match(log.health(), { status: 'degraded', reason: /taking owner commands/ });
  fault.on = false;
  log.maintain();
  t.equal(log.health().status, 'ok');
  t.same(
    log.takeCommands().map((c) => c.name),
    ['restore-now'],
    'the queued command was kept',
  );
  log.close();
  t.ok(
    health.some((h) => h.status === 'degraded'),
    'the listener heard of it',
  );
  t.ok(kinds(path).includes('eventlog.outage'), 'the outage is written down');
});

t.test('a store that will not close and a listener that throws do not reach the agent', async (t) => {
  const path = join(t.testdir({}), 'events.db');
  const real = openEventLogStore(path);
  let closeCalls = 0;
  const store: EventLogStore = {
    ...real,
    close: () => {
      closeCalls++;
      real.close();
      throw new Error('close failed');
    },
  };
  let heard = 0;
  const log = new ResilientEventLog(path, {
    logger,
    checkMs: 0,
    openStore: () => store,
    onHealth: () => {
      heard++;
      throw new Error('listener bug');
    },
  });
  t.equal(heard, 1, 'the listener was called (and threw)');
  log.append({ kind: 'agent.start' });
  t.doesNotThrow(() => log.close());
  t.doesNotThrow(() => log.close(), 'a second close is nothing');
  t.equal(closeCalls, 1);
  t.same(kinds(path), ['agent.start'], 'the row was written before the close');
});

/** The real store, with a switch that makes its writes fail as a full disk does. */
function fullDisk(path: string, fault: { on: boolean }): EventLogStore {
  const real = openEventLogStore(path);
  const fail = () => {
    if (fault.on) throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
  };
  return {
    ...real,
    appendMany: (events) => (fail(), real.appendMany(events)),
    saveState: (k, v) => (fail(), real.saveState(k, v)),
    query: (q) => (fail(), real.query(q)),
  };
}

t.test('a query the file refuses answers nothing rather than throwing', async (t) => {
  const path = join(t.testdir({}), 'events.db');
  const fault = { on: false };
  const log = new ResilientEventLog(path, { logger, checkMs: 0, openStore: (p) => fullDisk(p, fault) });
  log.append({ kind: 'agent.start' });
  fault.on = true;
  t.same(log.query({}), []);
  fault.on = false;
  t.same(
    log.query({}).map((r) => r.kind),
    ['agent.start'],
  );
  log.close();
});

t.test('a malformed row in the backlog is replaced by a note when the disk comes back; the rest keep their order', async (t) => {
  const path = join(t.testdir({}), 'events.db');
  const fault = { on: false };
  const log = new ResilientEventLog(path, { logger, checkMs: 0, openStore: (p) => fullDisk(p, fault) });
  log.append({ kind: 'agent.start' });
  fault.on = true;
  log.appendMany([{ kind: 'a.first' }, { kind: 'has space' }, { kind: 'a.last' }]);
  t.equal(log.health().status, 'degraded');
  fault.on = false;
  log.maintain();
  log.close();
  const got = kinds(path);
  t.same(
    got.filter((k) => k.startsWith('a.') || k === 'eventlog.rejected-row'),
    ['a.first', 'eventlog.rejected-row', 'a.last'],
  );
  t.ok(got.includes('eventlog.outage'), 'the outage is written down too');
  t.notOk(got.includes('has space'));
});

t.test('on its own timer the log retries and recovers (no maintain() call)', async (t) => {
  const path = join(t.testdir({}), 'events.db');
  const fault = { on: false };
  let status: EventLogHealth['status'] = 'ok';
  const log = new ResilientEventLog(path, { logger, checkMs: 10, openStore: (p) => fullDisk(p, fault), onHealth: (h) => (status = h.status) });
  t.teardown(() => log.close());
  fault.on = true;
  log.append({ kind: 'while.full' });
  t.equal(status, 'degraded');
  fault.on = false;
  while (status !== 'ok') await new Promise((r) => setTimeout(r, 10));
  log.close();
  t.ok(kinds(path).includes('while.full'), 'the buffered row reached the file');
});
