// The charger machine by tables: one input applied to a known state, the requests, events and
// timers it asks for. Connect and backoff, failsafe programming, keep-alive kinds, healing after
// a reboot, verification, and a newer limit after a failed write.
import t from 'tap';
import { step, initialState } from '../../../drivers/charger/machine/step.js';
import type { ChargerFacts, MachineConfig } from '../../../drivers/charger/machine/types.js';
import {
  S,
  T0,
  connected,
  connectedWith,
  connectFailed,
  eventData,
  events,
  fed,
  feedFailed,
  goodFailsafe,
  makeConfig,
  readBack,
  reading,
  requests,
  run,
  runTable,
  setLimit,
  start,
  timer,
  timers,
  written,
  type Case,
} from './machine-fixtures.js';

/** Connected with the limit written and confirmed by the first verify read (95 % of it drawn). */
function settled(limitA: number, config: MachineConfig, f: Partial<ChargerFacts> = {}) {
  const base = connectedWith(limitA, config, f);
  const m = limitA * 0.95;
  return run(
    config,
    [
      [0, timer('verify')],
      [0, reading('verify', [m, m, m])],
    ],
    base.state,
  ).state;
}

/** settled(), then the first keep-alive period begins (its read-back is on the wire). */
function inPeriod(limitA: number, config: MachineConfig, f: Partial<ChargerFacts> = {}) {
  return run(config, [[5 * S, timer('tick')]], settled(limitA, config, f)).state;
}

const connecting = (c: MachineConfig) => run(c, [[0, start]]).state;

const cases: Case[] = [
  // connect and backoff
  { name: 'start asks to connect', given: () => initialState(), input: [0, start], requests: ['cycle:connect'] },
  {
    name: 'a failed connect is recorded and retried after the first wait',
    given: connecting,
    input: [0, connectFailed],
    events: ['charger.connect-failed'],
    data: [['charger.connect-failed', { error: 'connection refused', attempt: 1, retryInMs: 1000 }]],
    timers: ['connect@1000'],
    state: (s, t) => t.equal(s.lastError, 'connection refused'),
  },
  {
    name: 'the connect timer connects again',
    given: (c) =>
      run(c, [
        [0, start],
        [0, connectFailed],
      ]).state,
    input: [1000, timer('connect')],
    requests: ['cycle:connect'],
  },
  // failsafe programming (connect() writes it; the machine records what it read back)
  {
    name: 'connect records the failsafe settings and feeds the watchdog at once',
    given: connecting,
    input: [0, connected()],
    events: ['charger.connected', 'charger.failsafe'],
    data: [
      ['charger.connected', { profileId: 'test-profile', keepAlivePeriodMs: 5000 }],
      ['charger.failsafe', { ok: true, timeoutS: 15 }],
    ],
    requests: ['cycle:keep-alive'],
  },
  {
    name: 'failsafe settings that do not read back raise an alarm; the charger is still controlled',
    given: connecting,
    input: [0, connected({ failsafe: { ...goodFailsafe, readBack: { currentA: 0, timeoutS: 15 }, ok: false } })],
    events: ['charger.connected', 'charger.failsafe', 'charger.alarm'],
    data: [['charger.alarm', { reason: 'failsafe settings not confirmed', readBack: { currentA: 0, timeoutS: 15 } }]],
    requests: ['cycle:keep-alive'],
    state: (s, t) => t.equal(s.connected, true),
  },
  {
    name: 'dry run: a charger with a writing keep-alive is not fed at connect',
    config: { dryRun: true },
    given: connecting,
    input: [0, connected()],
    requests: [],
    timers: ['tick@5000'],
  },
  {
    name: 'dry run: a poll charger is fed (a read writes nothing)',
    config: { dryRun: true },
    given: connecting,
    input: [0, connected({ keepAliveKind: 'poll' })],
    requests: ['cycle:keep-alive'],
  },
  {
    name: 'the limit asked for while down is written once the first keep-alive answered',
    given: (c) =>
      run(c, [
        [0, start],
        [0, setLimit(6)],
        [0, connected()],
      ]).state,
    input: [0, fed],
    requests: ['write:write 6'],
    state: (s, t) => t.equal(s.appliedA, null, 'unknown until acknowledged'),
  },
  {
    name: 'a keep-alive that fails at connect is recorded and connecting goes on',
    given: (c) =>
      run(c, [
        [0, start],
        [0, setLimit(6)],
        [0, connected()],
      ]).state,
    input: [0, feedFailed(false)],
    events: ['charger.keepalive.error'],
    data: [['charger.keepalive.error', { error: 'no answer', during: 'connect' }]],
    requests: ['write:write 6'],
  },
  {
    name: 'the write at connect starts its verification, then the keep-alive period',
    given: (c) =>
      run(c, [
        [0, start],
        [0, setLimit(6)],
        [0, connected()],
        [0, fed],
      ]).state,
    input: [0, written(6)],
    events: ['charger.write'],
    data: [['charger.write', { limitA: 6, ok: true, reason: 'connect', explanation: 'x' }]],
    timers: ['verify@0', 'tick@5000'],
    state: (s, t) => {
      t.equal(s.appliedA, 6);
      t.match(s.verification, { status: 'pending', limitA: 6, attempt: 1, startedAtMs: T0 });
    },
  },
  {
    name: 'a charger without a keep-alive is read back on its own period',
    given: (c) =>
      run(c, [
        [0, start],
        [0, connected({ keepAliveKind: 'none', keepAlivePeriodMs: null })],
      ]).state,
    input: [0, fed],
    timers: ['tick@30000'],
  },
  // keep-alive kinds
  { name: 'a period with a limit held reads it back first', given: (c) => settled(10, c), input: [5 * S, timer('tick')], requests: ['cycle:read-limit'] },
  {
    name: 'poll kind: the read-back was the keep-alive',
    given: (c) => inPeriod(10, c, { keepAliveKind: 'poll' }),
    input: [5 * S, readBack(10)],
    requests: [],
    timers: ['tick@10000'],
  },
  {
    name: 'heartbeat kind: the read-back does not feed the watchdog',
    given: (c) => inPeriod(10, c),
    input: [5 * S, readBack(10)],
    requests: ['cycle:keep-alive'],
  },
  {
    name: 'rewrite-setpoint kind: a heal rewrite was the keep-alive',
    given: (c) => run(c, [[5 * S, readBack(0)]], inPeriod(10, c, { keepAliveKind: 'rewrite-setpoint' })).state,
    input: [5 * S, written(10)],
    requests: [],
    events: ['charger.write', 'charger.healed'],
  },
  {
    name: 'heartbeat kind: a heal rewrite is not a keep-alive',
    given: (c) => run(c, [[5 * S, readBack(0)]], inPeriod(10, c)).state,
    input: [5 * S, written(10)],
    requests: ['cycle:keep-alive'],
  },
  {
    name: 'poll kind with an unreadable setpoint and no rewrite due: a keep-alive request',
    config: { blindRewriteMs: 20 * S },
    given: (c) => inPeriod(10, c, { keepAliveKind: 'poll', limitReadable: false }),
    input: [5 * S, readBack(null)],
    requests: ['cycle:keep-alive'],
  },
  {
    name: 'a reading is taken when one is due and no write is being verified',
    given: (c) =>
      run(
        c,
        [
          [15 * S, timer('tick')],
          [15 * S, readBack(10)],
        ],
        settled(10, c),
      ).state,
    input: [15 * S, fed],
    requests: ['cycle:read'],
  },
  // heal after a charger reboot (failsafe setpoint lost)
  {
    name: 'a setpoint found at 0 after a reboot is rewritten',
    given: (c) => inPeriod(10, c),
    input: [5 * S, readBack(0)],
    requests: ['write:write 10'],
    state: (s, t) => t.equal(s.cycle.at, 'healing'),
  },
  {
    name: 'the rewrite after a reboot is recorded as a heal',
    given: (c) => run(c, [[5 * S, readBack(0)]], inPeriod(10, c)).state,
    input: [5 * S, written(10)],
    data: [
      ['charger.write', { reason: 'heal', limitA: 10 }],
      ['charger.healed', { foundA: 0, limitA: 10, kind: 'setpoint', ok: true }],
    ],
  },
  {
    name: 'a failed heal rewrite is recorded as not ok',
    given: (c) => run(c, [[5 * S, readBack(0)]], inPeriod(10, c)).state,
    input: [5 * S, written(10, false)],
    data: [['charger.healed', { ok: false }]],
    state: (s, t) => t.equal(s.appliedA, null),
  },
  {
    name: 'a setpoint read back as the write read it back (a charger that rounds) is not lost',
    given: (c) => {
      const base = run(c, [
        [0, start],
        [0, setLimit(10)],
        [0, connected()],
        [0, fed],
      ]).state;
      const w = run(
        c,
        [
          [0, { type: 'written', outcome: { ok: true, limitA: 10, readBackA: 9.9, durationMs: 3 } }],
          [0, timer('verify')],
          [0, reading('verify', [9, 9, 9])],
        ],
        base,
      );
      return run(c, [[5 * S, timer('tick')]], w.state).state;
    },
    input: [5 * S, readBack(9.9)],
    requests: ['cycle:keep-alive'],
  },
  {
    name: 'a read-back that differs from what the write read back is a lost setpoint',
    given: (c) => inPeriod(10, c),
    input: [5 * S, readBack(9.5)],
    requests: ['write:write 10'],
  },
  {
    name: 'an applied limit at or below the setpoint is not a loss',
    given: (c) => inPeriod(10, c),
    input: [5 * S, readBack(6, 'applied')],
    requests: ['cycle:keep-alive'],
  },
  {
    name: 'an applied limit above the setpoint is',
    given: (c) => inPeriod(10, c),
    input: [5 * S, readBack(16, 'applied')],
    requests: ['write:write 10'],
  },
  {
    name: 'an unreadable setpoint is rewritten once a period has passed since the last write',
    given: (c) => inPeriod(10, c, { limitReadable: false }),
    input: [5 * S, readBack(null)],
    requests: ['write:write 10'],
  },
  {
    name: 'that refresh is not recorded when it works',
    given: (c) => run(c, [[5 * S, readBack(null)]], inPeriod(10, c, { limitReadable: false })).state,
    input: [5 * S, written(10)],
    events: [],
  },
  {
    name: 'but is when it fails',
    given: (c) => run(c, [[5 * S, readBack(null)]], inPeriod(10, c, { limitReadable: false })).state,
    input: [5 * S, written(10, false)],
    data: [['charger.write', { reason: 'refresh', ok: false }]],
  },
  // verification
  {
    name: 'a verify reading above the limit inside the window polls again',
    given: (c) => run(c, [[0, timer('verify')]], connectedWith(6, c).state).state,
    input: [0, reading('verify', [15, 15, 15])],
    timers: ['verify@2000'],
    state: (s, t) => t.match(s.verification, { status: 'pending', measuredA: 15 }),
  },
  {
    name: 'within the tolerance it is confirmed, with the time since the write',
    given: (c) => run(c, [[8 * S, timer('verify')]], connectedWith(6, c).state).state,
    input: [8 * S, reading('verify', [7, 6.5, 7])],
    data: [['charger.verified', { limitA: 6, confirmMs: 8000, measuredA: 7, attempt: 1, late: false }]],
  },
  {
    name: 'when the window runs out the limit is rewritten (attempt 2)',
    given: (c) => run(c, [[20 * S, timer('verify')]], connectedWith(6, c).state).state,
    input: [20 * S, reading('verify', [15, 15, 15])],
    requests: ['write:write 6'],
    state: (s, t) => t.match(s.verification, { status: 'pending', attempt: 2, startedAtMs: T0 + 20 * S }),
  },
  {
    name: 'a verify retry that is acknowledged polls after pollMs, not verifying afresh',
    given: (c) =>
      run(
        c,
        [
          [20 * S, timer('verify')],
          [20 * S, reading('verify', [15, 15, 15])],
        ],
        connectedWith(6, c).state,
      ).state,
    input: [20 * S, written(6)],
    data: [['charger.write', { reason: 'verify-retry' }]],
    timers: ['verify@22000'],
  },
  {
    name: "after the last retry's window: alarm",
    given: (c) => {
      const r = run(
        c,
        [
          [20 * S, timer('verify')],
          [20 * S, reading('verify', [15, 15, 15])],
          [20 * S, written(6)],
          [40 * S, timer('verify')],
          [40 * S, reading('verify', [15, 15, 15])],
          [40 * S, written(6)],
          [60 * S, timer('verify')],
        ],
        connectedWith(6, c).state,
      );
      return r.state;
    },
    input: [60 * S, reading('verify', [15.5, 15, 15])],
    events: ['charger.alarm'],
    data: [
      [
        'charger.alarm',
        { reason: 'measured current above the limit', limitA: 6, measuredA: 15.5, allowedA: 7, attempts: 3, windowMs: 20000, sinceWriteMs: 60000 },
      ],
    ],
  },
  {
    name: 'a charger that measures no current is verified by read-back only',
    given: (c) => run(c, [[0, timer('verify')]], connectedWith(8, c).state).state,
    input: [0, reading('verify')],
    data: [['charger.verified', { limitA: 8, by: 'read-back', late: false }]],
    state: (s, t) => t.equal(s.verification.status, 'read-back-only'),
  },
  {
    name: 'a verify read that fails is recorded and polled again',
    given: (c) => run(c, [[0, timer('verify')]], connectedWith(8, c).state).state,
    input: [0, { type: 'read-failed', lane: 'verify', error: 'no answer', lost: false }],
    data: [['charger.read.error', { error: 'no answer', during: 'verification' }]],
    timers: ['verify@2000'],
  },
  // a newer limit
  {
    name: 'a limit asked for while a write is on the wire asks for nothing yet',
    given: (c) => run(c, [[S, setLimit(10)]], connectedWith(16, c).state).state,
    input: [S, setLimit(6)],
    requests: [],
    state: (s, t) => t.equal(s.desiredA, 6),
  },
  {
    name: 'a newer limit after a failed write is written at once',
    given: (c) =>
      run(
        c,
        [
          [S, setLimit(10)],
          [S, setLimit(6)],
        ],
        connectedWith(16, c).state,
      ).state,
    input: [2 * S, written(10, false)],
    requests: ['write:write 6'],
    events: ['charger.write'],
    data: [['charger.write', { limitA: 10, ok: false, error: 'no answer', reason: 'change' }]],
    state: (s, t) => {
      t.equal(s.lastError, 'no answer');
      t.equal(s.write?.reason, 'change');
    },
  },
  {
    name: 'the limit the charger already has is not written again',
    given: (c) => connectedWith(16, c).state,
    input: [S, setLimit(16, 'again')],
    requests: [],
    state: (s, t) => t.equal(s.explanation, 'again'),
  },
  {
    name: 'dry run records what it would write, once per value',
    config: { dryRun: true },
    given: (c) => connectedWith(null, c).state,
    input: [S, setLimit(6)],
    requests: [],
    data: [['charger.would-write', { limitA: 6, explanation: 'x' }]],
  },
  // connection loss
  {
    name: 'a keep-alive on a dropped connection: disconnected, connecting again',
    given: (c) => run(c, [[5 * S, readBack(10)]], inPeriod(10, c)).state,
    input: [5 * S, feedFailed(true)],
    events: ['charger.keepalive.error', 'charger.disconnected'],
    requests: ['cycle:connect'],
    state: (s, t) => {
      t.equal(s.connected, false);
      t.equal(s.appliedA, null);
    },
  },
  {
    name: 'a keep-alive that times out fails the period but keeps the connection',
    given: (c) => run(c, [[5 * S, readBack(10)]], inPeriod(10, c)).state,
    input: [5 * S, feedFailed(false)],
    events: ['charger.keepalive.error'],
    timers: ['tick@10000'],
    state: (s, t) => t.equal(s.failedCycles, 1),
  },
  {
    name: 'a connection the bus re-established runs the whole connect again',
    given: (c) => settled(10, c),
    input: [5 * S, timer('tick', true)],
    events: ['charger.reconnected'],
    requests: ['cycle:connect'],
  },
  {
    name: 'after failed periods a re-enable charger is enabled again when it answers',
    given: (c) => {
      const s = settled(10, c, { canReenable: true });
      return run(
        c,
        [
          [5 * S, timer('tick')],
          [5 * S, readBack(10)],
          [5 * S, feedFailed(false)],
          [10 * S, timer('tick')],
          [10 * S, readBack(10)],
          [10 * S, fed],
          [10 * S, reading('cycle', [9.5, 9.5, 9.5])],
        ],
        s,
      ).state;
    },
    input: [10 * S, { type: 'reenabled', notWritten: [] }],
    data: [['charger.reenabled', { afterFailedPeriods: 1, ok: true, notes: [] }]],
    requests: ['write:write 10'],
  },
  {
    name: 'a connect that answers after close leaves the charger alone',
    given: (c) =>
      run(c, [
        [0, start],
        [0, setLimit(6)],
        [0, { type: 'close' }],
      ]).state,
    input: [0, connected()],
    requests: [],
    events: [],
    state: (s, t) => t.equal(s.connected, false),
  },
  {
    name: 'a failed connect after close arms no retry',
    given: (c) =>
      run(c, [
        [0, start],
        [0, { type: 'close' }],
      ]).state,
    input: [0, connectFailed],
    timers: [],
  },
  {
    name: 'a reading within the limit after an alarm confirms late and clears the alarm',
    given: (c) => {
      const r = run(
        c,
        [
          [20 * S, timer('verify')],
          [20 * S, reading('verify', [15, 15, 15])],
          [20 * S, written(6)],
          [40 * S, timer('verify')],
          [40 * S, reading('verify', [15, 15, 15])],
          [40 * S, written(6)],
          [60 * S, timer('verify')],
          [60 * S, reading('verify', [15, 15, 15])],
          [71 * S, timer('tick')],
          [71 * S, readBack(6)],
          [71 * S, fed],
        ],
        connectedWith(6, c).state,
      );
      return r.state;
    },
    input: [71 * S, reading('cycle', [5.8, 5.7, 5.9])],
    events: ['charger.verified'],
    data: [['charger.verified', { limitA: 6, confirmMs: 71000, measuredA: 5.9, attempt: 3, late: true }]],
    state: (s, t) => t.equal(s.verification.status, 'confirmed'),
  },
  {
    name: 'close clears every armed timer',
    given: (c) => connectedWith(10, c).state,
    input: [0, { type: 'close' }],
    timers: ['-tick', '-verify'],
  },
];

runTable(t, cases);

t.test('connect backoff doubles up to its cap, then the limit asked for while down is written', async (t) => {
  const config = makeConfig({ reconnect: { initialMs: 1000, maxMs: 3000 } });
  let r = run(config, [
    [0, start],
    [0, setLimit(6)],
  ]);
  let at = 0;
  const retries: number[] = [];
  const connects: number[] = [0];
  for (let i = 0; i < 4; i++) {
    r = run(config, [[at, connectFailed]], r.state);
    retries.push(eventData(r.effects, 'charger.connect-failed')!['retryInMs'] as number);
    const [armed] = timers(r.effects);
    at = Number(armed!.split('@')[1]);
    r = run(config, [[at, timer('connect')]], r.state);
    t.same(requests(r.effects), ['cycle:connect']);
    connects.push(at);
  }
  t.same(retries, [1000, 2000, 3000, 3000]);
  t.same(connects, [0, 1000, 3000, 6000, 9000]);
  r = run(
    config,
    [
      [at, connected()],
      [at, fed],
    ],
    r.state,
  );
  t.same(requests(r.effects), ['write:write 6']);
  t.equal(r.state.connectFailures, 0);
  t.equal(r.state.lastError, null);
});

t.test('three periods without an answer count as disconnected', async (t) => {
  // No reading falls due in these periods: each ends with its keep-alive.
  const config = makeConfig({ readingPeriodMs: 60 * S });
  let s = settled(10, config);
  const kinds: string[] = [];
  for (let p = 1; p <= 3; p++) {
    const r = run(
      config,
      [
        [p * 5 * S, timer('tick')],
        [p * 5 * S, readBack(10)],
        [p * 5 * S, feedFailed(false)],
      ],
      s,
    );
    s = r.state;
    kinds.push(...r.all.flatMap(events));
  }
  t.same(kinds, ['charger.keepalive.error', 'charger.keepalive.error', 'charger.keepalive.error', 'charger.disconnected']);
  t.equal(s.connected, false);
  t.equal(s.cycle.at, 'connecting');
});

t.test('the step is pure: the state given is not changed, the same input gives the same result', async (t) => {
  const config = makeConfig();
  const before = connectedWith(10, config).state;
  const copy = structuredClone(before);
  const a = step(config, before, setLimit(6), T0 + S);
  const b = step(config, before, setLimit(6), T0 + S);
  t.same(before, copy, 'input state untouched');
  t.same(a, b);
  t.throws(() => step(config, before, setLimit(6), Number.NaN), /finite/);
});
