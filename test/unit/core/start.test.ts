// Start and restart (boot.ts): a switch the meter has not confirmed since the start counts as
// open; a write that would only dip a charger waits for the meter, up to the start grace.
import t from 'tap';
import { MIN, S, T0, endSwitches, events, hb, kinds, limits, makeConfig, resumeAt, run, sends, sw, wakes, type Timed } from './fixtures.js';
import type { CoreConfig } from '../../../agent/core/types.js';
import { DEFAULT_START_GRACE_MS } from '../../../agent/core/boot.js';

const G = DEFAULT_START_GRACE_MS;
const delayed = makeConfig({ restore: { maxDelayMs: 600 * S } });

interface StartCase {
  name: string;
  config?: CoreConfig;
  /** Before the restart (omit for a fresh start). */
  before?: Timed[];
  /** Inputs after the (re)start, each with the exact apply-limit effects expected. */
  after: Array<[offsetMs: number, input: Timed[1] | 'resume', limits: Record<string, number>, events?: string[]]>;
}

const cases: StartCase[] = [
  {
    name: 'fresh, the meter silent: nothing within the grace, then the reduced current, READ again',
    after: [
      [0, { type: 'tick' }, {}, ['core.started']],
      [G, { type: 'tick' }, { c1: 6 }, ['start.grace-ended', 'limit.changed']],
    ],
  },
  {
    name: 'fresh, the meter silent, fallback normal: full charging only after stale + hold (through the delay)',
    config: makeConfig({ link: { holdMs: 5 * MIN } }),
    after: [
      [0, { type: 'tick' }, {}],
      [G, { type: 'tick' }, { c1: 6 }],
      [60 * S + 5 * MIN - 1, { type: 'tick' }, {}],
      [60 * S + 5 * MIN, { type: 'tick' }, { c1: 32 }, ['link.fallback', 'restore.scheduled', 'restore.done', 'limit.changed']],
    ],
  },
  {
    name: 'fresh, the meter silent, fallback reduced: reduced for good',
    config: makeConfig({ link: { fallback: 'reduced' } }),
    after: [
      [0, { type: 'tick' }, {}],
      [G, { type: 'tick' }, { c1: 6 }],
      [2 * 60 * MIN, { type: 'tick' }, {}],
    ],
  },
  {
    name: 'fresh, the meter says closed: reduced first, the rise waits the random delay (cold-load pickup)',
    config: delayed,
    after: [
      [0, { type: 'tick' }, {}],
      [S, sw(2, 'closed', 'reset'), { c1: 6 }, ['start.confirmed', 'restore.scheduled', 'limit.changed']],
    ],
  },
  {
    name: 'fresh, the meter says open: the reduced current at once',
    config: delayed,
    after: [
      [0, { type: 'tick' }, {}],
      [S, sw(2, 'open'), { c1: 6 }],
    ],
  },
  {
    name: 'fresh, END what=switches without switch 2: confirmed unknown, normal charging through the delay',
    config: delayed,
    after: [
      [0, { type: 'tick' }, {}],
      [S, endSwitches, { c1: 6 }, ['start.confirmed', 'restore.scheduled']],
    ],
  },
  {
    name: 'fresh, a meter that only sends HB: reduced after the grace, saved state after stale + hold',
    config: makeConfig({ link: { holdMs: MIN } }),
    after: [
      [0, hb(), {}],
      [G, hb(), { c1: 6 }],
      [30 * S, hb(), {}],
      [60 * S, hb(), {}],
      [90 * S, hb(), {}],
      [2 * MIN, hb(), { c1: 32 }, ['start.unconfirmed-fallback']],
    ],
  },
  {
    name: 'resume, saved open: written again at once',
    before: [[0, sw(2, 'open')]],
    after: [[10 * S, 'resume', { c1: 6 }, ['core.resumed', 'limit.reapplied']]],
  },
  {
    name: 'quick resume, saved closed at 32 A: nothing written until the meter confirms, then 32 A again (no dip)',
    before: [[0, sw(2, 'closed')]],
    after: [
      [20 * S, 'resume', {}],
      [21 * S, sw(2, 'closed'), { c1: 32 }, ['start.confirmed', 'limit.reapplied']],
    ],
  },
  {
    name: 'quick resume, saved closed, the meter now says open: reduced at once',
    before: [[0, sw(2, 'closed')]],
    after: [
      [20 * S, 'resume', {}],
      [21 * S, sw(2, 'open'), { c1: 6 }, ['limit.changed']],
    ],
  },
  {
    name: 'quick resume, saved closed, the meter silent: reduced when the grace ends',
    before: [[0, sw(2, 'closed')]],
    after: [
      [20 * S, 'resume', {}],
      [20 * S + G, { type: 'tick' }, { c1: 6 }, ['start.grace-ended', 'limit.changed']],
    ],
  },
  {
    name: 'cold resume (down > a stale period), saved closed: the charger may stand at its failsafe, so reduced then the delay',
    config: delayed,
    before: [
      [0, sw(2, 'closed')],
      [700 * S, hb()],
    ],
    after: [
      [700 * S + 5 * MIN, 'resume', {}],
      [700 * S + 5 * MIN + S, sw(2, 'closed'), { c1: 6 }, ['restore.scheduled', 'limit.changed']],
    ],
  },
  {
    name: 'resume with the clock stepped back (negative downtime) is a cold start',
    config: delayed,
    before: [
      [10 * MIN, sw(2, 'closed')],
      [30 * MIN, { type: 'tick' }],
    ],
    after: [
      [0, 'resume', {}],
      [S, sw(2, 'closed'), { c1: 6 }, ['restore.scheduled']],
    ],
  },
  {
    name: 'two bindings, one confirmed open: the known cap is written at once, the unconfirmed one caps too',
    config: makeConfig({
      bindings: [
        { switchIdx: 1, chargerIds: ['c1'], reducedCurrentA: 10 },
        { switchIdx: 2, chargerIds: ['c1'], reducedCurrentA: 6 },
      ],
    }),
    after: [
      [0, sw(1, 'open'), { c1: 6 }],
      [S, sw(2, 'closed'), { c1: 10 }],
    ],
  },
];

for (const c of cases) {
  t.test(c.name, (t) => {
    const config = c.config ?? makeConfig();
    let state = c.before ? run(config, c.before).state : undefined;
    for (const [off, input, want, kindsWanted] of c.after) {
      let effects;
      if (input === 'resume') {
        if (!state) throw new Error('resume needs a before');
        const r = resumeAt(config, state, off);
        state = r.state;
        effects = r.effects;
      } else {
        const r = run(config, [[off, input]], state);
        state = r.state;
        effects = r.effects;
      }
      t.same(limits(effects), want, `at +${off} ms (${input === 'resume' ? 'resume' : input.type}) limits`);
      let i = 0;
      const have = kinds(effects);
      for (const k of have) if (k === kindsWanted?.[i]) i++;
      if (kindsWanted) t.equal(i, kindsWanted.length, `events ${kindsWanted.join(', ')} in ${have.join(', ')}`);
    }
    t.end();
  });
}

t.test('the grace end asks the meter again and is woken for', (t) => {
  const config = makeConfig();
  const r0 = run(config, [[0, { type: 'tick' }]]);
  t.same(wakes(r0.effects), [T0 + G], 'woken at the end of the grace');
  const r1 = run(config, [[G, { type: 'tick' }]], r0.state);
  t.same(sends(r1.effects), ['READ what=switches']);
  t.match(events(r1.effects, 'start.grace-ended')[0]?.data, { unconfirmed: [2], heldChargers: ['c1'] });
  t.end();
});

t.test('the grace is configurable', (t) => {
  const config = makeConfig({ link: { startGraceMs: 3 * S } });
  const r = run(config, [
    [0, { type: 'tick' }],
    [3 * S, { type: 'tick' }],
  ]);
  t.same(limits(r.effects), { c1: 6 });
  t.end();
});

t.test('saved deadlines are clamped on a quick resume: never further than their own length from now', (t) => {
  const before = run(delayed, [
    [0, sw(2, 'open')],
    [10 * S, sw(2, 'closed', 'dno')],
  ]);
  const saved = JSON.parse(JSON.stringify(before.state));
  // As if saved by a clock a year ahead: the due time is a year away.
  const YEAR = 365 * 24 * 60 * MIN;
  saved.chargers.c1.restore.dueMs += YEAR;
  const r = resumeAt(delayed, saved, 20 * S);
  const due = r.state.chargers['c1']?.restore?.dueMs ?? NaN;
  t.ok(due <= T0 + 20 * S + 600 * S, `due ${due - T0} ms after T0, at most the maximum delay from now`);
  t.end();
});
