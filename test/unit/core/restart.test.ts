// Rule 5: restart. resume() re-applies the saved state at once, before the HAN answers.
import t from 'tap';
import { MIN, S, T0, boostCfg, hb, kinds, limits, makeConfig, press, resumeAt, run, sw, events, wakes } from './fixtures.js';
import { drawDelayMs, seedRng } from '../../../agent/core/rng.js';
import { initialState, resume, step } from '../../../agent/core/index.js';

const delayed = makeConfig({ restore: { maxDelayMs: 600 * S } });
const firstDelay = drawDelayMs(seedRng(1), 600 * S).delayMs;

t.test('resume re-emits every saved limit at once: a reduction survives the restart', (t) => {
  const config = makeConfig({
    chargers: [
      { id: 'c1', minCurrentA: 6, maxCurrentA: 32, allowPause: false },
      { id: 'c2', minCurrentA: 6, maxCurrentA: 16, allowPause: false },
    ],
  });
  const before = run(config, [[0, sw(2, 'open')]]);
  const r = resumeAt(config, before.state, 30 * MIN);
  t.same(limits(r.effects), { c1: 6, c2: 32 > 16 ? 16 : 16 });
  t.same(kinds(r.effects).slice(0, 1), ['core.resumed']);
  t.equal(events(r.effects, 'limit.reapplied').length, 2);
  t.notOk(kinds(r.effects).includes('link.stale'), 'the HAN gets one stale period to answer');
  t.same(wakes(r.effects), [T0 + 31 * MIN]);
  t.end();
});

t.test('a pending restore keeps its due time across a restart', (t) => {
  const before = run(delayed, [
    [0, sw(2, 'open')],
    [10 * S, sw(2, 'closed', 'dno')],
  ]);
  const due = T0 + 10 * S + firstDelay;
  t.ok(firstDelay > 20 * S, `this seed draws a delay worth testing (${firstDelay} ms)`);
  const r = resumeAt(delayed, before.state, 20 * S);
  t.same(limits(r.effects), { c1: 6 }, 'still the reduced limit');
  t.same(wakes(r.effects), [Math.min(due, T0 + 80 * S)]);
  t.equal(r.state.chargers['c1']?.restore?.dueMs, due);
  t.end();
});

// Was: a restore that fell due while the agent was down applied at resume, at once. After more
// than a stale period down (a street's power cut, or a clock stepped forward) every gateway
// would then raise together, so a cold start drops it and the rise draws a fresh delay (issue 7).
t.test('after a cold restart a pending restore is dropped and the rise draws a fresh delay once the meter confirms', (t) => {
  const before = run(delayed, [
    [0, sw(2, 'open')],
    [10 * S, sw(2, 'closed', 'dno')],
  ]);
  const down = 10 * S + firstDelay + 5 * S;
  const r = resumeAt(delayed, before.state, down);
  t.same(limits(r.effects), { c1: 6 }, 'the saved reduced limit is written again at once');
  t.match(events(r.effects, 'restore.cancelled')[0]?.data, { reason: /cold start/ });
  t.match(events(r.effects, 'core.resumed')[0]?.data, { cold: true });
  const c = run(delayed, [[down + S, sw(2, 'closed', 'dno')]], r.state);
  t.same(limits(c.effects), {}, 'confirmed closed: the rise waits');
  const sched = events(c.effects, 'restore.scheduled')[0]?.data as { dueMs: number; delayMs: number } | undefined;
  t.ok(sched, 'a fresh delay is drawn');
  t.equal(sched?.dueMs, T0 + down + S + (sched?.delayMs ?? NaN));
  t.end();
});

t.test('a boost that ended while down ends at resume: the reduction comes back at once', (t) => {
  const config = makeConfig({ link: { staleAfterMs: 2 * 60 * MIN } });
  const before = run(config, [
    [0, boostCfg([2], 30)],
    [S, sw(2, 'open')],
    [2 * S, press],
  ]);
  t.same(before.state.chargers['c1']?.appliedA, 32);
  const r = resumeAt(config, before.state, 40 * MIN);
  t.same(limits(r.effects), { c1: 6 });
  t.match(events(r.effects, 'boost.ended')[0]?.data, { idx: 2, reason: 'period' });
  t.end();
});

t.test('a boost still running at a quick restart keeps its end time; the charger is not dipped while the meter answers', (t) => {
  const config = makeConfig({ link: { staleAfterMs: 2 * 60 * MIN } });
  const before = run(config, [
    [0, boostCfg([2], 30)],
    [S, sw(2, 'open')],
    [2 * S, press],
  ]);
  const r = resumeAt(config, before.state, 30 * S);
  // Unconfirmed, switch 2 counts as open without a boost: 6 A, but the charger was told 32 A,
  // so nothing is written until the meter answers (or the start grace ends).
  t.same(limits(r.effects), {});
  t.equal(r.state.chargers['c1']?.held, true);
  t.equal(r.state.boost.active['2']?.untilMs, T0 + 2 * S + 30 * MIN);
  const c = run(config, [[31 * S, sw(2, 'open')]], r.state);
  t.same(limits(c.effects), { c1: 32 }, 'confirmed: the boost lifts it again, the same limit re-written');
  t.match(events(c.effects, 'limit.reapplied')[0]?.data, { limitA: 32, reason: 'start' });
  t.end();
});

t.test('a stale episode running before the restart keeps its start, so restarts cannot stretch a hold', (t) => {
  const config = makeConfig();
  const before = run(config, [
    [0, sw(2, 'open')],
    [61 * S, { type: 'tick' }],
  ]);
  const r = resumeAt(config, before.state, 5 * MIN);
  t.equal(r.state.link.staleSinceMs, T0 + 60 * S);
  t.same(wakes(r.effects), [T0 + 60 * S + 10 * MIN]);
  t.end();
});

t.test('the generator continues across a restart (a JSON round trip)', (t) => {
  const inputs = [
    [0, sw(2, 'open')],
    [10 * S, sw(2, 'closed', 'dno')],
    [20 * S, sw(2, 'open')],
    [30 * S, sw(2, 'closed', 'dno')],
  ] as const;
  const straight = run(
    delayed,
    inputs.map(([a, b]) => [a, b]),
  );
  const half = run(
    delayed,
    inputs.slice(0, 2).map(([a, b]) => [a, b]),
  );
  const resumed = resumeAt(delayed, half.state, 15 * S);
  const rest = run(
    delayed,
    inputs.slice(2).map(([a, b]) => [a, b]),
    resumed.state,
  );
  t.same(events(rest.effects, 'restore.scheduled')[0]?.data, events(straight.effects, 'restore.scheduled')[0]?.data);
  t.end();
});

t.test('a saved state that is not usable is refused with a clear error', (t) => {
  const config = makeConfig();
  t.throws(() => resume(config, null, T0), /saved core state is not usable: not an object/);
  t.throws(() => resume(config, { v: 99 }, T0), /saved core state is not usable: version 99, expected 1/);
  t.throws(() => resume(config, { ...initialState(config, 1), link: null }, T0), /link: missing/);
  t.throws(() => step(config, initialState(config, 1), hb(), NaN), /nowMs must be a finite number/);
  t.end();
});

t.test('a charger added to the config since the save gets its first limit at resume', (t) => {
  const one = makeConfig();
  const before = run(one, [[0, sw(2, 'open')]]);
  const two = makeConfig({
    chargers: [
      { id: 'c1', minCurrentA: 6, maxCurrentA: 32, allowPause: false },
      { id: 'c9', minCurrentA: 6, maxCurrentA: 16, allowPause: false },
    ],
    bindings: [{ switchIdx: 2, chargerIds: ['c1', 'c9'], reducedCurrentA: 6 }],
  });
  const r = resumeAt(two, before.state, MIN);
  t.same(limits(r.effects), { c1: 6, c9: 6 });
  t.end();
});
