// Rule 9: describe() shows everything `hcalcs-agent status` needs, as plain JSON.
// Rule 8: the switch signal is shaped for a proportional level.
import t from 'tap';
import { DEV_A, DEV_B, MIN, S, T0, boostCfg, endSwitches, label, makeConfig, press, run, sw, hb } from './fixtures.js';
import { describe } from '../../../agent/core/index.js';
import { signalCapA, signalLifts, signalText } from '../../../agent/core/signal.js';

t.test('status of a reduced charger, a boost, a label alarm and a pending restore', (t) => {
  const config = makeConfig({
    chargers: [
      { id: 'c1', minCurrentA: 6, maxCurrentA: 32, allowPause: false },
      { id: 'c2', minCurrentA: 6, maxCurrentA: 16, allowPause: false },
    ],
    bindings: [
      { switchIdx: 2, dev: DEV_A, chargerIds: ['c1'], reducedCurrentA: 6 },
      { switchIdx: 3, chargerIds: ['c2'], reducedCurrentA: 8 },
    ],
    restore: { maxDelayMs: 600 * S },
  });
  const r = run(config, [
    [0, boostCfg([3], 30)],
    [S, sw(2, 'open', 'dno', { dev: DEV_A, durMin: 30, seq: 7 })],
    [2 * S, label(2, 'Heat pump')],
    [3 * S, sw(3, 'open', 'supplier')],
    [4 * S, press],
    [5 * S, sw(4, 'closed', 'calendar', { dev: DEV_B })],
    [6 * S, endSwitches],
  ]);
  const v = describe(config, r.state, T0 + 10 * S);
  t.same(JSON.parse(JSON.stringify(v)), v, 'plain JSON');
  t.match(
    v.switches.find((s) => s.idx === 2),
    {
      state: 'open',
      cause: 'dno',
      dev: DEV_A,
      bound: true,
      chargerIds: ['c1'],
      since: '2026-11-28T12:00:01.000Z',
      durMin: 30,
      leaseEndMs: T0 + S + 30 * MIN,
      leaseExpired: false,
      seq: 7,
      label: 'Heat pump',
      labelOk: false,
      labelMissing: false,
    },
  );
  t.match(
    v.switches.find((s) => s.idx === 3),
    { label: null, labelOk: null, labelMissing: true },
  );
  t.match(v.boost, { known: true, loads: [3], periodMin: 30, lastPressMs: T0 + 4 * S, liftsDnoOpen: true });
  t.match(v.boost.switches, [
    { idx: 2, onButton: false, activeUntilMs: null, lastDenial: { reason: 'switch 2 not on the Boost Button' } },
    { idx: 3, onButton: true, activeUntilMs: T0 + 4 * S + 30 * MIN, liftsOpen: true },
  ]);
  t.match(v.chargers, [
    {
      id: 'c1',
      appliedA: 6,
      targetA: 6,
      explanation: /^6 A <- switch 2 open, cause dno, since 12:00:01Z; boost denied: switch 2 not on the Boost Button; label alarm/,
    },
    { id: 'c2', appliedA: 16, targetA: 16 },
  ]);
  t.match(v.link, { transport: 'unknown', state: 'fresh', lastLineMs: T0 + 6 * S, staleDeadlineMs: T0 + 66 * S, fallback: 'normal' });
  t.same(
    v.alarms.map((a) => [a.kind, a.switchIdx]),
    [
      ['label-mismatch', 2],
      ['label-missing', 3],
    ],
  );
  t.same(
    v.pending.map((p) => p.kind),
    ['stale', 'lease', 'boost-end'],
  );
  t.equal(v.nextWakeMs, T0 + 66 * S);
  t.equal(v.counters.linesOk, 7);
  t.end();
});

t.test('status shows a pending restore with its due time, and a stale link', (t) => {
  const config = makeConfig({ restore: { maxDelayMs: 600 * S } });
  const r = run(config, [
    [0, sw(2, 'open')],
    [S, sw(2, 'closed', 'dno')],
    [62 * S, hb()],
    [200 * S, { type: 'tick' }],
  ]);
  const v = describe(config, r.state, T0 + 200 * S);
  const due = r.state.chargers['c1']?.restore?.dueMs;
  if (due !== undefined && due <= T0 + 200 * S) {
    t.equal(v.chargers[0]?.restore, null, 'restore already done');
  } else {
    t.match(v.chargers[0]?.restore, { fromA: 6, toA: 32, dueMs: due });
    t.ok(v.pending.some((p) => p.kind === 'restore' && p.chargerId === 'c1'));
  }
  t.match(v.link, { state: 'stale', staleSinceMs: T0 + 122 * S });
  t.ok(v.alarms.some((a) => a.kind === 'link-stale'));
  t.end();
});

t.test('the signal shape: binary today, a level later, one cap function', (t) => {
  const table: Array<[Parameters<typeof signalCapA>[0], number | null]> = [
    [{ kind: 'binary', state: 'open' }, 6],
    [{ kind: 'binary', state: 'closed' }, null],
    [{ kind: 'level', percent: 0 }, 6],
    [{ kind: 'level', percent: 50 }, 19],
    [{ kind: 'level', percent: 100 }, null],
    [{ kind: 'level', percent: 33 }, 14.5],
  ];
  for (const [sig, cap] of table) t.equal(signalCapA(sig, 6, 32), cap, `${signalText(sig)} -> ${String(cap)}`);
  t.ok(signalLifts({ kind: 'binary', state: 'open' }, { kind: 'binary', state: 'closed' }));
  t.notOk(signalLifts({ kind: 'binary', state: 'closed' }, { kind: 'binary', state: 'open' }));
  t.ok(signalLifts({ kind: 'level', percent: 20 }, { kind: 'level', percent: 40 }));
  t.end();
});
