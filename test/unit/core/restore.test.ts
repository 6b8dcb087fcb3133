// Rule 6: the restore delay (Smart Charge Points Regulations Reg 11), its exemptions and ramp.
import t from 'tap';
import { S, T0, endSwitches, events, hb, limits, makeConfig, run, runTable, sw, type Case } from './fixtures.js';
import { drawDelayMs, seedRng } from '../../../agent/core/rng.js';
import type { Input } from '../../../agent/core/types.js';

const delayed = { restore: { maxDelayMs: 600 * S } };
// seed 1 draws this first delay; computed from the generator, not typed in
const firstDelay = drawDelayMs(seedRng(1), 600 * S).delayMs;

const cases: Case[] = [
  {
    name: 'a decrease applies in the same step even with a delay configured',
    config: delayed,
    start: [[0, hb()]],
    input: [S, sw(2, 'open')],
    limits: { c1: 6 },
    noEvents: ['restore.scheduled'],
  },
  {
    name: 'an increase after a reduction waits a random delay, persisted and explained',
    config: delayed,
    start: [[0, sw(2, 'open')]],
    input: [10 * S, sw(2, 'closed', 'dno')],
    limits: {},
    data: [['restore.scheduled', { fromA: 6, toA: 32, delayMs: firstDelay, dueMs: T0 + 10 * S + firstDelay, maxDelayMs: 600 * S }]],
    explain: { c1: /^6 A <- restore to 32 A due \d\d:\d\d:\d\dZ \(random delay, Reg 11\); target 32 A <- charger c1 maximum 32 A; switch 2 closed, cause dno/ },
    wake: Math.min(T0 + 10 * S + firstDelay, T0 + 70 * S),
  },
  {
    name: 'the restore applies when its due time comes',
    config: { ...delayed, link: { staleAfterMs: 3600 * S } },
    start: [
      [0, sw(2, 'open')],
      [10 * S, sw(2, 'closed', 'dno')],
    ],
    input: [10 * S + firstDelay, { type: 'tick' }],
    limits: { c1: 32 },
    events: ['restore.done', 'limit.changed'],
    data: [['limit.changed', { fromA: 6, toA: 32, reason: 'restore' }]],
  },
  {
    name: 'a new reduction cancels the pending restore',
    config: delayed,
    start: [
      [0, sw(2, 'open')],
      [10 * S, sw(2, 'closed', 'dno')],
    ],
    input: [11 * S, sw(2, 'open', 'dno')],
    limits: {},
    data: [['restore.cancelled', { reason: 'target back at the applied limit' }]],
  },
  {
    name: 'calendar switching the meter randomises is exempt, recorded with the reason',
    config: { restore: { maxDelayMs: 600 * S, meterRandomisesCalendar: true } },
    start: [[0, sw(2, 'open', 'calendar')]],
    input: [10 * S, sw(2, 'closed', 'calendar')],
    limits: { c1: 32 },
    data: [['restore.exempt', { reason: 'calendar-randomised', fromA: 6, toA: 32 }]],
  },
  {
    name: 'calendar switching is delayed when the meter does not randomise it',
    config: delayed,
    start: [[0, sw(2, 'open', 'calendar')]],
    input: [10 * S, sw(2, 'closed', 'calendar')],
    limits: {},
    events: ['restore.scheduled'],
  },
  {
    name: 'a reset (SRV 7.8) restore is delayed like any other',
    config: { restore: { maxDelayMs: 600 * S, meterRandomisesCalendar: true } },
    start: [[0, sw(2, 'open')]],
    input: [10 * S, sw(2, 'closed', 'reset')],
    limits: {},
    events: ['restore.scheduled'],
  },
  {
    name: 'the owner cancels a pending delay: applied at once, recorded',
    config: delayed,
    start: [
      [0, sw(2, 'open')],
      [10 * S, sw(2, 'closed', 'dno')],
    ],
    input: [11 * S, { type: 'owner-restore-now', issuedMs: T0 + 11 * S }],
    limits: { c1: 32 },
    events: ['owner.restore-now', 'restore.exempt', 'limit.changed'],
    data: [
      ['owner.restore-now', { pending: ['c1'], later: [], issuedMs: T0 + 11 * S }],
      ['restore.exempt', { reason: 'owner-restore-now', cancelledDueMs: T0 + 10 * S + firstDelay }],
    ],
  },
  {
    name: 'a restore-now asked while the delay ran, taken from the queue later, still cancels it',
    config: delayed,
    start: [
      [0, sw(2, 'open')],
      [10 * S, sw(2, 'closed', 'dno')],
    ],
    input: [40 * S, { type: 'owner-restore-now', issuedMs: T0 + 10 * S }],
    limits: { c1: 32 },
    events: ['owner.restore-now', 'restore.exempt', 'limit.changed'],
    data: [['owner.restore-now', { pending: ['c1'], later: [] }]],
  },
  {
    name: 'a restore-now that waited in the queue leaves alone a delay that began after the owner asked',
    config: delayed,
    start: [
      [0, sw(2, 'open')],
      [10 * S, sw(2, 'closed', 'dno')],
    ],
    input: [11 * S, { type: 'owner-restore-now', issuedMs: T0 + 5 * S }],
    limits: {},
    events: ['owner.restore-now'],
    data: [['owner.restore-now', { pending: [], later: ['c1'], issuedMs: T0 + 5 * S }]],
  },
  {
    name: "the owner clearing a manual limit raises at once (the owner's own action)",
    config: delayed,
    start: [
      [0, endSwitches],
      [0, { type: 'owner-manual-limit', chargerId: 'c1', limitA: 10 }],
    ],
    input: [S, { type: 'owner-manual-limit', chargerId: 'c1', limitA: null }],
    limits: { c1: 32 },
    data: [['restore.exempt', { reason: 'owner-manual-limit' }]],
  },
  {
    name: 'maxDelayMs 0 disables the delay: the increase applies at once, still recorded',
    start: [[0, sw(2, 'open')]],
    input: [10 * S, sw(2, 'closed', 'dno')],
    limits: { c1: 32 },
    data: [['restore.scheduled', { delayMs: 0 }]],
    events: ['restore.scheduled', 'restore.done'],
  },
];

runTable(t, cases);

t.test('the delay is drawn uniformly from [0, maxDelayMs] and the seed decides it', (t) => {
  let rng = seedRng(42);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const d = drawDelayMs(rng, 1000);
    rng = d.rng;
    min = Math.min(min, d.delayMs);
    max = Math.max(max, d.delayMs);
    sum += d.delayMs;
  }
  t.equal(min, 0);
  t.equal(max, 1000);
  t.ok(Math.abs(sum / n - 500) < 15, `mean ${sum / n} near 500`);
  t.same(drawDelayMs(seedRng(7), 600_000), drawDelayMs(seedRng(7), 600_000));
  t.same(drawDelayMs(seedRng(7), 0), { delayMs: 0, rng: seedRng(7) });
  t.end();
});

t.test('a ramp steps up by stepA every intervalMs after the delay', (t) => {
  const config = makeConfig({
    chargers: [{ id: 'c1', minCurrentA: 6, maxCurrentA: 16, allowPause: false }],
    restore: { maxDelayMs: 0, ramp: { stepA: 4, intervalMs: 10 * S } },
  });
  const r = run(config, [
    [0, sw(2, 'open')],
    [5 * S, sw(2, 'closed', 'dno')],
    [15 * S, { type: 'tick' }],
    [25 * S, { type: 'tick' }],
    [35 * S, { type: 'tick' }],
  ]);
  t.same(
    r.all.map((e) => limits(e).c1),
    [6, 10, 14, 16, undefined],
  );
  t.match(events(r.all[1]!, 'restore.ramp')[0]?.data, { fromA: 6, toA: 10, targetA: 16, nextMs: T0 + 15 * S });
  t.end();
});

t.test('a ramp from a pause starts at the minimum', (t) => {
  const config = makeConfig({
    chargers: [{ id: 'c1', minCurrentA: 6, maxCurrentA: 16, allowPause: true }],
    bindings: [{ switchIdx: 2, chargerIds: ['c1'], reducedCurrentA: 0 }],
    restore: { maxDelayMs: 0, ramp: { stepA: 2, intervalMs: 10 * S } },
  });
  const r = run(config, [
    [0, sw(2, 'open')],
    [5 * S, sw(2, 'closed', 'dno')],
    [15 * S, { type: 'tick' }],
  ]);
  t.same(
    r.all.map((e) => limits(e).c1),
    [0, 6, 8],
  );
  t.end();
});

t.test('a restore-now finishes a ramp whose delay ran when the owner asked, and leaves a later one', (t) => {
  const config = makeConfig({
    chargers: [{ id: 'c1', minCurrentA: 6, maxCurrentA: 16, allowPause: false }],
    restore: { maxDelayMs: 0, ramp: { stepA: 4, intervalMs: 10 * S } },
  });
  const start: Array<[number, Input]> = [
    [0, sw(2, 'open')],
    [5 * S, sw(2, 'closed', 'dno')],
  ];
  const asked = run(config, [...start, [7 * S, { type: 'owner-restore-now', issuedMs: T0 + 5 * S }]]);
  t.same(limits(asked.effects), { c1: 16 }, 'asked when the delay began: the ramp ends at the target at once');
  t.match(events(asked.effects, 'restore.exempt')[0]?.data, { reason: 'owner-restore-now' });
  const before = run(config, [...start, [7 * S, { type: 'owner-restore-now', issuedMs: T0 + 4 * S }]]);
  t.same(limits(before.effects), {}, 'asked before this delay began: the ramp goes on');
  t.match(events(before.effects, 'owner.restore-now')[0]?.data, { pending: [], later: ['c1'] });
  t.end();
});

t.test('a decrease during a ramp stops it at once', (t) => {
  const config = makeConfig({ restore: { maxDelayMs: 0, ramp: { stepA: 4, intervalMs: 10 * S } } });
  const r = run(config, [
    [0, sw(2, 'open')],
    [5 * S, sw(2, 'closed', 'dno')],
    [7 * S, sw(2, 'open', 'dno')],
  ]);
  t.same(limits(r.effects), { c1: 6 });
  t.match(events(r.effects, 'restore.cancelled')[0]?.data, { ramping: true });
  t.end();
});
