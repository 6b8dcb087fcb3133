// The shell's part of the promise (issue 7): the state is saved before a charger is told,
// a failed save is an alarm that is retried, lines that change nothing cost no save, and a
// wall-clock step neither blocks nor skips a pending restore.
import t from 'tap';
import { STATE_KEY_CORE } from '../../../agent/runtime.js';
import type { CoreState } from '../../../agent/core/index.js';
import { T0 } from '../../helpers/garage.js';
import { ManualClock, MemoryEventLog, type JournalEntry } from '../../helpers/fakes.js';
import { limits, rig, switchLine } from '../../helpers/runtime-rig.js';

const YEAR = 365 * 24 * 3600 * 1000;
const hbLine = { raw: 'HB', outcome: { kind: 'message' as const, message: { verb: 'HB' as const }, fields: {} } };
const junk = { raw: 'SWITCH idx=2 state=open*00', outcome: { kind: 'rejected' as const, reason: 'bad_checksum' as const } };

function deliver(h: ReturnType<typeof rig>['han'], l: { raw: string; outcome: Parameters<ReturnType<typeof rig>['han']['deliver']>[1] }) {
  h.deliver(l.raw, l.outcome);
}

/** A rig whose charger is at 32 A with switch 2 confirmed closed. */
function charging(log?: MemoryEventLog, clock = new ManualClock(T0)) {
  const r = rig(log, clock);
  r.runtime.start();
  r.han.goUp();
  deliver(r.han, switchLine('closed', 'reset'));
  r.clock.advance(601_000);
  r.settle();
  return r;
}

t.test('the open is on disk before the charger is told, and a crash before the log rows loses nothing', async (t) => {
  const first = charging();
  t.equal(limits(first.journal).at(-1), 32, 'charging at the maximum');
  const mark = first.journal.length;
  deliver(first.han, switchLine('open'));
  const step = first.journal.slice(mark);
  t.same(
    step.map((e) => e.what),
    ['save-state', 'set-limit'],
    'saved, then written; the log rows wait',
  );
  const saved = first.log.loadState<CoreState>(STATE_KEY_CORE);
  t.equal(
    saved?.switches['2']?.signal.kind === 'binary' ? saved.switches['2'].signal.state : saved?.switches['2']?.signal,
    'open',
    'the saved state has the open',
  );
  t.equal(saved?.chargers['garage']?.appliedA, 6, 'and the limit the charger is being told');

  // kill -9 here: no stop, the deferred rows never written. The next process resumes.
  first.clock.advance(3_000);
  const second = rig(first.log, first.clock);
  second.runtime.start();
  t.same(limits(second.journal), [6], 'the reduction is written again at once');
  second.clock.advance(30_000);
  t.same(limits(second.journal), [6], 'and nothing raises it while the meter is silent');
  await second.runtime.stop('test');
});

t.test('heartbeats and bad lines cause no save; the tallies are saved once a poll', async (t) => {
  const r = charging();
  // The first heartbeat ends the stale episode and the first bad line opens its window: both
  // are news, recorded and saved.
  deliver(r.han, hbLine);
  deliver(r.han, junk);
  r.clock.advance(1_000);
  const before = r.log.saves.get(STATE_KEY_CORE) ?? 0;
  const rowsBefore = r.log.rows.length;
  for (let i = 0; i < 1000; i++) {
    deliver(r.han, hbLine);
    deliver(r.han, junk);
  }
  t.equal(r.log.saves.get(STATE_KEY_CORE) ?? 0, before, 'no save for 2000 lines that change nothing');
  t.equal(r.log.rows.length - rowsBefore, 0, 'and no row');
  r.clock.advance(1_000);
  t.equal(r.log.saves.get(STATE_KEY_CORE) ?? 0, before + 1, 'one save at the next poll');
  t.equal(r.log.loadState<CoreState>(STATE_KEY_CORE)?.counters.linesRejected, 1001, 'with the tallies');
  r.clock.advance(60_000);
  const summary = r.log.rows.find((x) => x.kind === 'han.rejected-summary');
  t.match(summary?.data, { count: 1000, byReason: { bad_checksum: 1000 } }, 'one summary row for the window');
  await r.runtime.stop('test');
});

t.test('a failed save is an alarm, never marked done, retried until it succeeds', async (t) => {
  const r = charging();
  r.log.failSaves = new Error('SQLITE_FULL: database or disk is full');
  deliver(r.han, switchLine('open'));
  r.settle();
  t.equal(limits(r.journal).at(-1), 6, 'the reduction is written all the same');
  t.equal(r.runtime.saveHealth().ok, false);
  t.equal(r.log.rows.filter((x) => x.kind === 'agent.state-save-failed').length, 1, 'alarm recorded');
  const snapshot = () => r.log.loadState<{ stateSave: { ok: boolean } }>('runtime');
  deliver(r.han, switchLine('open', 'unknown'));
  r.clock.advance(3_000);
  t.ok(r.runtime.saveHealth().attempts >= 3, `retried (${r.runtime.saveHealth().attempts} attempts)`);
  t.equal(r.log.rows.filter((x) => x.kind === 'agent.state-save-failed').length, 1, 'one alarm per failing episode');
  t.equal(r.log.loadState<CoreState>(STATE_KEY_CORE)?.chargers['garage']?.appliedA, 32, 'the disk still has the old state');
  r.log.failSaves = null;
  r.clock.advance(1_000);
  t.equal(r.runtime.saveHealth().ok, true);
  t.equal(r.log.loadState<CoreState>(STATE_KEY_CORE)?.chargers['garage']?.appliedA, 6, 'saved once the disk works again');
  t.ok(
    r.log.rows.some((x) => x.kind === 'agent.state-save-recovered'),
    'recovery recorded',
  );
  t.equal(snapshot()?.stateSave.ok, true, 'status sees the save health');
  await r.runtime.stop('test');
});

for (const [name, byMs] of [
  ['back a year', -YEAR],
  ['forward a year', YEAR],
] as const) {
  t.test(`a wall clock stepped ${name} during a pending restore neither blocks nor skips it`, async (t) => {
    const r = charging();
    deliver(r.han, switchLine('open'));
    r.clock.advance(1_000);
    deliver(r.han, switchLine('closed', 'dno'));
    r.settle();
    const restore = r.log.loadState<CoreState>(STATE_KEY_CORE)?.chargers['garage']?.restore;
    t.ok(restore, 'a restore is pending');
    const leftMs = (restore?.dueMs ?? 0) - r.runtime.now();
    t.ok(leftMs > 2_000, `due in ${leftMs} ms`);
    r.clock.advance(500);
    r.clock.stepWall(byMs);
    r.clock.advance(1_000);
    const step = r.log.rows.find((x) => x.kind === 'clock.step');
    t.ok(step, 'the step is recorded');
    t.ok(Math.abs(((step?.data.byMs as number) ?? 0) - byMs) < 2_000, `by ${String(step?.data.byMs)} ms`);
    r.clock.advance(leftMs - 1_500 - 10);
    t.equal(limits(r.journal).at(-1), 6, 'not skipped: still reduced just before the due time');
    r.clock.advance(20);
    t.equal(limits(r.journal).at(-1), 32, 'not blocked: raised at the due time');
    await r.runtime.stop('test');
  });
}

t.test('the journal of a step that moves a limit never has a write before its save', async (t) => {
  const r = charging();
  for (let i = 0; i < 20; i++) {
    deliver(r.han, switchLine(i % 2 ? 'closed' : 'open', 'dno'));
    r.clock.advance(700_000);
  }
  const order = r.journal.filter((e): e is Extract<JournalEntry, { what: 'set-limit' | 'save-state' }> => e.what === 'set-limit' || e.what === 'save-state');
  let lastWasSave = false;
  let unsaved = 0;
  for (const e of order) {
    if (e.what === 'set-limit' && !lastWasSave) unsaved++;
    lastWasSave = e.what === 'save-state';
  }
  t.ok(order.filter((e) => e.what === 'set-limit').length >= 20, 'many writes');
  t.equal(unsaved, 0, 'every write right after a save');
  await r.runtime.stop('test');
});
