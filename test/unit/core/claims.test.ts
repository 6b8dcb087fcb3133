// Rule 1: limits from claims, clamping, switch binding by idx and dev, site cap sharing.
import t from 'tap';
import { DEV_A, DEV_B, S, T0, endSwitches, hb, label, runTable, sw, makeConfig, run, limits, type Case, type Timed } from './fixtures.js';

const two = [
  { id: 'c1', minCurrentA: 6, maxCurrentA: 32, allowPause: false },
  { id: 'c2', minCurrentA: 6, maxCurrentA: 16, allowPause: true },
];

// The meter has answered a READ (labels, then END) without reporting switch 2.
const answered: Timed[] = [
  [0, label(2, 'EV charger')],
  [0, endSwitches],
];

const cases: Case[] = [
  {
    // Was: the first step wrote each charger's maximum while switch 2 was unknown (issue 7).
    name: 'the first step writes no bound charger while its switch is unconfirmed, and says why',
    config: { chargers: two, bindings: [{ switchIdx: 2, chargerIds: ['c1', 'c2'], reducedCurrentA: 6 }] },
    input: [0, hb()],
    limits: {},
    events: ['core.started'],
    explain: {
      c1: /^no limit written yet; not written until the meter confirms or 12:00:10Z; target 6 A <- switch 2 not confirmed by the meter since the start \(never reported\): counts as open$/,
    },
  },
  {
    name: 'the meter answering READ with no switch 2 at all: normal charging (through the restore delay from the reduced current)',
    config: { chargers: two, bindings: [{ switchIdx: 2, chargerIds: ['c1', 'c2'], reducedCurrentA: 6 }] },
    start: [[0, hb()]],
    input: [S, endSwitches],
    limits: { c1: 32, c2: 16 },
    events: ['start.confirmed', 'restore.scheduled', 'restore.done', 'limit.changed'],
    data: [['limit.changed', { fromA: null, toA: 32, reason: 'restore' }]],
    explain: { c1: /^32 A <- charger c1 maximum 32 A; switch 2 state unknown$/ },
  },
  {
    name: 'a later step with nothing new writes nothing',
    start: answered,
    input: [5 * S, hb()],
    limits: {},
    noEvents: ['limit.changed'],
  },
  {
    name: 'an open switch caps its chargers at the reduced current, with the explanation',
    start: answered,
    input: [S, sw(2, 'open', 'dno', { dev: DEV_A, seq: 41, durMin: 30 })],
    limits: { c1: 6 },
    events: ['switch.state', 'limit.changed'],
    explain: { c1: /^6 A <- switch 2 open, cause dno, since 12:00:01Z$/ },
    data: [
      ['switch.state', { idx: 2, state: 'open', cause: 'dno', dev: DEV_A, seq: 41, durMin: 30, changed: true, bound: true, leaseEndMs: T0 + S + 30 * 60 * S }],
      ['limit.changed', { fromA: 32, toA: 6, reason: 'decrease' }],
    ],
  },
  {
    name: 'the same state repeated is not a change: no write, since unchanged',
    start: [[0, sw(2, 'open')]],
    input: [30 * S, sw(2, 'open', 'unknown')],
    limits: {},
    data: [['switch.state', { changed: false, cause: 'unknown' }]],
    explain: { c1: /since 12:00:00Z/ },
  },
  {
    name: 'a charger bound to several switches takes the lowest',
    config: {
      bindings: [
        { switchIdx: 1, chargerIds: ['c1'], reducedCurrentA: 10 },
        { switchIdx: 3, chargerIds: ['c1'], reducedCurrentA: 8 },
      ],
    },
    start: [
      [0, sw(3, 'closed')],
      [0, sw(1, 'open')],
    ],
    input: [S, sw(3, 'open', 'supplier')],
    limits: { c1: 8 },
    explain: { c1: /^8 A <- switch 3 open, cause supplier.*switch 1 open, cause dno/ },
  },
  {
    name: 'a switch with a different dev than the binding does not drive it, and says so',
    config: { bindings: [{ switchIdx: 2, dev: DEV_A, chargerIds: ['c1'], reducedCurrentA: 6 }] },
    start: answered,
    input: [S, sw(2, 'open', 'dno', { dev: DEV_B })],
    limits: {},
    events: ['switch.dev-mismatch'],
    data: [['switch.dev-mismatch', { idx: 2, dev: DEV_B, expectedDev: DEV_A }]],
    explain: { c1: /binding wants 00-DB-12-34-56-78-90-97: not acted on/ },
  },
  {
    name: 'a line without dev keeps the mismatching device last reported on that number',
    config: { bindings: [{ switchIdx: 2, dev: DEV_A, chargerIds: ['c1'], reducedCurrentA: 6 }] },
    start: [[0, sw(2, 'closed', 'dno', { dev: DEV_B })]],
    input: [S, sw(2, 'open')],
    limits: {},
  },
  {
    name: 'idx and dev both matching drive the binding and clear the mismatch',
    config: { bindings: [{ switchIdx: 2, dev: DEV_A, chargerIds: ['c1'], reducedCurrentA: 6 }] },
    start: [[0, sw(2, 'closed', 'dno', { dev: DEV_B })]],
    input: [S, sw(2, 'open', 'dno', { dev: DEV_A })],
    limits: { c1: 6 },
    events: ['switch.dev-match', 'switch.state'],
  },
  {
    name: 'a binding by dev alone finds the switch on whatever number reports that dev',
    config: { bindings: [{ dev: DEV_A, chargerIds: ['c1'], reducedCurrentA: 10 }] },
    start: [[0, hb()]],
    input: [S, sw(4, 'open', 'dno', { dev: DEV_A })],
    limits: { c1: 10 },
  },
  {
    name: "the owner's manual limit caps, and applies at once",
    start: answered,
    input: [S, { type: 'owner-manual-limit', chargerId: 'c1', limitA: 12 }],
    limits: { c1: 12 },
    explain: { c1: /^12 A <- owner's manual limit 12 A; switch 2 state unknown$/ },
  },
  {
    name: 'an unknown charger in an owner action is refused and recorded',
    start: [[0, hb()]],
    input: [S, { type: 'owner-manual-limit', chargerId: 'nope', limitA: 12 }],
    limits: {},
    data: [['owner.rejected', { chargerId: 'nope', reason: 'no such charger' }]],
  },
  {
    name: 'a reduced current below the minimum pauses a charger that may pause',
    config: { chargers: [two[1]!], bindings: [{ switchIdx: 2, chargerIds: ['c2'], reducedCurrentA: 4 }] },
    start: [[0, hb()]],
    input: [S, sw(2, 'open')],
    limits: { c2: 0 },
    explain: { c2: /paused: 4 A is below the charger's minimum 6 A/ },
  },
  {
    name: 'a reduced current below the minimum holds the minimum when pausing is not allowed',
    config: { bindings: [{ switchIdx: 2, chargerIds: ['c1'], reducedCurrentA: 4 }] },
    start: [[0, hb()]],
    input: [S, sw(2, 'open')],
    limits: { c1: 6 },
    explain: { c1: /held at the charger's minimum 6 A above the cap 4 A \(pausing not allowed\)/ },
  },
];

runTable(t, cases);

const three = [
  { id: 'a', minCurrentA: 6, maxCurrentA: 16, allowPause: true },
  { id: 'b', minCurrentA: 6, maxCurrentA: 16, allowPause: true },
  { id: 'c', minCurrentA: 6, maxCurrentA: 16, allowPause: true },
];

const siteCases: Array<{ name: string; cap: number; chargers: typeof three; want: Record<string, number>; explain?: RegExp }> = [
  { name: 'a cap above the sum changes nothing', cap: 48, chargers: three, want: { a: 16, b: 16, c: 16 } },
  { name: 'equal shares floored to 0.1 A', cap: 32, chargers: three, want: { a: 10.6, b: 10.6, c: 10.6 } },
  { name: 'minimums that do not fit pause the last charger that may pause', cap: 15, chargers: three, want: { a: 7.5, b: 7.5, c: 0 } },
  {
    name: 'a charger that may not pause keeps charging; the last that may pause yields',
    cap: 12,
    chargers: [three[0]!, three[1]!, { ...three[2]!, allowPause: false }],
    want: { a: 6, b: 0, c: 6 },
  },
  {
    name: 'nobody may pause: everyone at the minimum and the explanation says the cap is not met',
    cap: 10,
    chargers: three.map((c) => ({ ...c, allowPause: false })),
    want: { a: 6, b: 6, c: 6 },
    explain: /site cap 10 A cannot be met: the minimums add up to 18 A/,
  },
];

for (const c of siteCases) {
  t.test(`site cap: ${c.name}`, (t) => {
    const config = makeConfig({ chargers: c.chargers, bindings: [], siteCapA: c.cap });
    const r = run(config, [[0, hb()]]);
    t.same(limits(r.effects), c.want);
    if (c.explain) t.match(r.state.chargers['a']?.explanation, c.explain);
    t.end();
  });
}

t.test('site cap: a charger capped by its switch leaves the rest of the cap to the others', (t) => {
  const config = makeConfig({ chargers: three, bindings: [{ switchIdx: 2, chargerIds: ['a'], reducedCurrentA: 6 }], siteCapA: 30 });
  const r = run(config, [[0, sw(2, 'open')]]);
  t.same(limits(r.effects), { a: 6, b: 12, c: 12 });
  t.end();
});
