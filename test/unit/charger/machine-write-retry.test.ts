// A failed setpoint write is retried on its own timer, not one keep-alive period later: the
// wait, the retry itself, what disarms it, how it backs off over failures in a row, and that
// a charger that never answers is not flooded and still ends up disconnected.
import t from 'tap';
import type { MachineConfig, MachineInput, MachineState } from '../../../drivers/charger/machine/types.js';
import {
  S,
  connectedWith,
  eventData,
  events,
  makeConfig,
  makeFacts,
  requests,
  run,
  runTable,
  setLimit,
  timer,
  timers,
  written,
  type Case,
} from './machine-fixtures.js';
import { Sim } from './machine-sim.js';

/** A failed write that also says how long the bus will refuse the unit. */
const refused = (limitA: number, retryAfterMs: number): MachineInput => ({
  type: 'written',
  outcome: { ok: false, limitA, error: `unit 1 did not answer; backing off for ${retryAfterMs} ms`, durationMs: 0, retryAfterMs },
});

/** At 32 A, a DNO reduction to 6 A is on the wire (asked for at T0 + 1 s). */
const reducing = (c: MachineConfig): MachineState => run(c, [[S, setLimit(6, 'dno')]], connectedWith(32, c).state).state;

/** The reduction failed; its retry is armed for T0 + 1.25 s. */
const reductionFailed = (c: MachineConfig): MachineState => run(c, [[S, written(6, false)]], reducing(c)).state;

const cases: Case[] = [
  {
    name: 'a failed reduction arms a retry after the first wait, not after a keep-alive period',
    given: reducing,
    input: [S, written(6, false)],
    requests: [],
    events: ['charger.write'],
    data: [['charger.write', { limitA: 6, ok: false, reason: 'change' }]],
    timers: ['write-retry@1250'],
    state: (s, t) => {
      t.equal(s.appliedA, null);
      t.equal(s.writeFailures, 1);
    },
  },
  {
    name: 'a write the bus refused while it backs the unit off is retried when the bus takes it again',
    given: reducing,
    input: [S, refused(6, 900)],
    timers: ['write-retry@1900'],
  },
  {
    name: 'a backoff hint shorter than the first wait does not shorten it',
    given: reducing,
    input: [S, refused(6, 183)],
    timers: ['write-retry@1250'],
  },
  {
    name: 'the retry timer writes the limit again, as a retry',
    given: reductionFailed,
    input: [1250, timer('write-retry')],
    requests: ['write:write 6'],
    timers: [],
    state: (s, t) => t.same(s.write, { limitA: 6, reason: 'retry', atMs: s.write?.atMs }),
  },
  {
    name: 'an acknowledged retry: the reduced current is applied, verified, and nothing more is retried',
    given: (c) => run(c, [[1250, timer('write-retry')]], reductionFailed(c)).state,
    input: [1260, written(6)],
    events: ['charger.write'],
    data: [['charger.write', { limitA: 6, ok: true, reason: 'retry', explanation: 'dno' }]],
    // The 32 A write's verification gives way to the 6 A one's.
    timers: ['-verify', 'verify@1260'],
    state: (s, t) => {
      t.equal(s.appliedA, 6);
      t.equal(s.writeFailures, 0);
      t.equal(s.timers['write-retry'], false);
      t.equal(s.lastError, null);
    },
  },
  {
    name: 'a new limit supersedes the retry: written at once, the retry timer disarmed',
    given: reductionFailed,
    input: [1100, setLimit(10, 'site cap')],
    requests: ['write:write 10'],
    timers: ['-write-retry'],
    state: (s, t) => t.equal(s.write?.reason, 'change'),
  },
  {
    name: 'no retry goes out while another write is on the wire',
    given: (c) => run(c, [[1100, setLimit(10)]], reductionFailed(c)).state,
    input: [1250, timer('write-retry')],
    requests: [],
    state: (s, t) => t.equal(s.write?.limitA, 10),
  },
  {
    name: 'the retry timer does nothing once the limit asked for is applied',
    given: (c) =>
      run(
        c,
        [
          [1100, setLimit(32)],
          [1100, written(32)],
        ],
        reductionFailed(c),
      ).state,
    input: [1250, timer('write-retry')],
    requests: [],
  },
  {
    name: 'the keep-alive rewrite, the backstop, disarms a retry it makes needless',
    config: { writeRetry: { initialMs: 5 * S, maxMs: 5 * S } },
    given: reductionFailed,
    input: [5 * S, timer('tick')],
    requests: ['write:write 6'],
    timers: ['-write-retry'],
  },
  {
    name: 'close disarms the retry',
    given: reductionFailed,
    input: [1100, { type: 'close' }],
    timers: ['-tick', '-verify', '-write-retry'],
  },
  {
    name: 'a lost connection disarms the retry: connecting writes the limit',
    // The tick's rewrite fails too (the retry is armed again), then its keep-alive finds the line down.
    given: (c) =>
      run(
        c,
        [
          [5 * S, timer('tick')],
          [5 * S, written(6, false)],
        ],
        reductionFailed(c),
      ).state,
    input: [5 * S, { type: 'feed-failed', error: 'Port Not Open', lost: true }],
    requests: ['cycle:connect'],
    timers: ['-verify', '-write-retry'],
  },
  {
    name: 'a write that fails while the charger is disconnected arms no retry',
    given: (c) =>
      run(
        c,
        [
          [S, timer('tick')],
          [S, { type: 'feed-failed', error: 'Port Not Open', lost: true }],
        ],
        reducing(c),
      ).state,
    input: [2 * S, written(6, false)],
    timers: [],
  },
  {
    name: 'dry run never writes, so never retries',
    config: { dryRun: true },
    given: (c) => connectedWith(null, c).state,
    input: [S, timer('write-retry')],
    requests: [],
  },
];

runTable(t, cases);

/** Fails every write the machine asks for; returns the wait it then arms each time. */
function waitsAfterFailures(config: MachineConfig, n: number): number[] {
  let s = reducing(config);
  let at = S;
  const waits: number[] = [];
  for (let i = 0; i < n; i++) {
    const failed = run(config, [[at, written(6, false)]], s);
    const armed = timers(failed.effects).find((x) => x.startsWith('write-retry@'));
    if (armed === undefined) throw new Error(`no retry armed after failure ${i + 1}`);
    const next = Number(armed.split('@')[1]);
    waits.push(next - at);
    const fired = run(config, [[next, timer('write-retry')]], failed.state);
    if (requests(fired.effects).join() !== 'write:write 6') throw new Error(`retry ${i + 1} asked for ${requests(fired.effects).join()}`);
    s = fired.state;
    at = next;
  }
  return waits;
}

t.test('the retry backs off over failures in a row, up to its cap', async (t) => {
  // A 60 s keep-alive period (Alfen: 0.25 x 240 s is longer still): the 5 s cap holds.
  const facts = { keepAlivePeriodMs: 60 * S };
  const config = makeConfig();
  const base = (c: MachineConfig) => run(c, [[S, setLimit(6)]], connectedWith(32, c, facts).state).state;
  let s = base(config);
  let at = S;
  const waits: number[] = [];
  for (let i = 0; i < 7; i++) {
    const failed = run(config, [[at, written(6, false)]], s);
    const next = Number(
      timers(failed.effects)
        .find((x) => x.startsWith('write-retry@'))!
        .split('@')[1],
    );
    waits.push(next - at);
    s = run(config, [[next, timer('write-retry')]], failed.state).state;
    at = next;
  }
  t.same(waits, [250, 500, 1000, 2000, 4000, 5000, 5000]);
});

t.test('the cap is held below a keep-alive period shorter than it', async (t) => {
  // makeFacts: a 5 s period; a 20 s cap configured is held to it.
  t.equal(makeFacts().keepAlivePeriodMs, 5 * S);
  t.same(waitsAfterFailures(makeConfig({ writeRetry: { initialMs: 1000, maxMs: 20 * S } }), 5), [1000, 2000, 4000, 5000, 5000]);
});

t.test('after an acknowledged write the backoff starts again from the first wait', async (t) => {
  const config = makeConfig();
  let s = run(config, [[S, written(6, false)]], reducing(config)).state;
  s = run(config, [[1250, timer('write-retry')]], s).state;
  s = run(config, [[1250, written(6, false)]], s).state; // second failure: 500 ms
  s = run(config, [[1750, timer('write-retry')]], s).state;
  s = run(config, [[1760, written(6)]], s).state;
  t.equal(s.writeFailures, 0);
  const r = run(
    config,
    [
      [2 * S, setLimit(32)],
      [2 * S, written(32, false)],
    ],
    s,
  );
  t.same(timers(r.effects), ['write-retry@2250']);
});

t.test('a newer limit after failed writes: written at once; if it fails too, the backoff goes on', async (t) => {
  const config = makeConfig();
  let s = run(config, [[S, written(6, false)]], reducing(config)).state;
  const r = run(
    config,
    [
      [1100, setLimit(0, 'switch 2 open: pause')],
      [1100, written(0, false)],
    ],
    s,
  );
  t.same(requests(r.all[0]!), ['write:write 0'], 'the new limit went out at once');
  t.same(timers(r.effects), ['write-retry@1600'], 'second failure in a row: 500 ms');
  s = run(config, [[1600, timer('write-retry')]], r.state).state;
  t.equal(s.write?.limitA, 0, 'the retry writes the newest limit');
});

t.test('a charger that never answers a write: one retry per backoff step, then disconnected after the failed periods', async (t) => {
  // Keep-alives and read-backs go unanswered too, so the failed-cycles count runs as before.
  // The Sim answers at once: a tick's rewrite can follow a failed retry at the same instant,
  // where on a real line the retry would still be on the wire and the tick would only feed.
  const config = makeConfig({ readingPeriodMs: 60 * S });
  const sim = new Sim(config, makeFacts());
  sim.feed({ type: 'start' });
  sim.feed(setLimit(32));
  sim.answer(0, 'ok'); // connect
  sim.answer(0, 'ok'); // keep-alive at connect
  sim.answer(0, 'ok'); // write 32
  sim.feed(setLimit(6, 'dno'));
  const startMs = sim.nowMs;
  const writes: string[] = [];
  const retriesFired: number[] = [];
  let disconnectedAt: number | null = null;
  for (let i = 0; i < 500 && disconnectedAt === null; i++) {
    const p = sim.pending[0];
    if (p !== undefined) {
      if (p.request.op === 'write') writes.push(`${sim.nowMs - startMs}`);
      sim.answer(0, p.lane === 'verify' ? 'ok' : 'timeout');
      if (!sim.state.connected) disconnectedAt = sim.nowMs - startMs;
      continue;
    }
    const due = [...sim.timers].sort((a, b) => a[1] - b[1])[0];
    if (due === undefined) break;
    if (due[0] === 'write-retry') retriesFired.push(due[1] - startMs);
    const before = sim.writesRequested.length;
    sim.advance();
    t.ok(sim.writesRequested.length - before <= 1, `timer ${due[0]} at ${due[1] - startMs} ms asked for at most one write`);
  }
  t.equal(disconnectedAt, 15 * S, 'three 5 s periods without an answer still count as disconnected');
  // Retries after 250, 500, 1000, 2000 ms; the tick at 5 s rewrites and disarms the one due
  // at 7.75 s; its failure (the 6th) waits the 5 s cap, and so does each after it. At 10 s
  // and 15 s the retry and the tick fall due together (the cap is the period here).
  t.same(retriesFired, [250, 750, 1750, 3750, 10_000, 15_000], 'the retry timer fired once per backoff step');
  t.same(writes, ['0', '250', '750', '1750', '3750', '5000', '10000', '10000', '15000', '15000']);
  t.equal(sim.state.timers['write-retry'], false, 'no retry armed while disconnected');
});

t.test('end to end: the reduced current is applied within the first wait of a lost request', async (t) => {
  const config = makeConfig();
  const s = run(
    config,
    [
      [S, written(6, false)],
      [1250, timer('write-retry')],
      [1262, written(6)],
    ],
    reducing(config),
  );
  t.equal(s.state.appliedA, 6);
  t.match(eventData(s.all[2]!, 'charger.write'), { reason: 'retry', ok: true });
  t.same(s.all.flatMap(events), ['charger.write', 'charger.write']);
});
