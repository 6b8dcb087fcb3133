// Rule 2: the Boost Button (SRV 7.9/7.10/7.11).
import t from 'tap';
import { MIN, S, T0, boostCfg, cancel, hb, press, runTable, sw, type Case } from './fixtures.js';

const openOnButton: [number, ReturnType<typeof hb>][] = [
  [0, boostCfg([2, 3], 30)],
  [S, sw(2, 'open', 'dno')],
];

const cases: Case[] = [
  {
    name: 'a press grants a boost to a switch on the button: the limit lifts at once, exempt',
    start: openOnButton,
    input: [2 * S, press],
    limits: { c1: 32 },
    events: ['boost.press', 'boost.granted', 'restore.exempt', 'limit.changed'],
    data: [
      ['boost.granted', { idx: 2, untilMs: T0 + 2 * S + 30 * MIN, periodMin: 30, liftsOpen: true, rule: 'boost.liftsDnoOpen=true' }],
      ['restore.exempt', { reason: 'boost', fromA: 6, toA: 32 }],
    ],
    explain: {
      c1: /^32 A <- charger c1 maximum 32 A; switch 2 open, cause dno, since 12:00:01Z \(lifted by boost\); boost on switch 2 until 12:30:02Z lifts it/,
    },
    // the stale deadline (last line + 60 s) comes before the boost end
    wake: T0 + 2 * S + 60 * S,
  },
  {
    name: 'a press for a switch not on the button is denied, recorded and explained',
    start: [
      [0, boostCfg([3], 30)],
      [S, sw(2, 'open', 'dno')],
    ],
    input: [2 * S, press],
    limits: {},
    events: ['boost.press', 'boost.granted', 'boost.denied'],
    data: [['boost.denied', { idx: 2, reason: 'switch 2 not on the Boost Button' }]],
    explain: { c1: /^6 A <- switch 2 open, cause dno, since 12:00:01Z; boost denied: switch 2 not on the Boost Button$/ },
  },
  {
    name: 'a press before any BOOSTCFG grants nothing and asks for the button details',
    start: [[S, sw(2, 'open', 'dno')]],
    input: [2 * S, press],
    limits: {},
    sends: ['READ what=boost'],
    data: [['boost.denied', { idx: 2, reason: 'Boost Button details not known yet (no BOOSTCFG received)' }]],
  },
  {
    name: 'with boost.liftsDnoOpen=false a boost does not lift a dno open, and says which rule decided',
    config: { boost: { liftsDnoOpen: false } },
    start: openOnButton,
    input: [2 * S, press],
    limits: {},
    data: [['boost.granted', { idx: 2, liftsOpen: false, rule: 'boost.liftsDnoOpen=false' }]],
    explain: { c1: /^6 A <- switch 2 open, cause dno.*does not lift a dno open \(boost.liftsDnoOpen=false\)/ },
  },
  {
    name: 'with boost.liftsDnoOpen=false a boost still lifts a supplier open',
    config: { boost: { liftsDnoOpen: false } },
    start: [
      [0, boostCfg([2], 30)],
      [S, sw(2, 'open', 'supplier')],
    ],
    input: [2 * S, press],
    limits: { c1: 32 },
  },
  {
    name: 'removing the switch from the button ends its boost at once (a decrease, same step)',
    start: [...openOnButton, [2 * S, press]],
    input: [3 * S, boostCfg([3], 30)],
    limits: { c1: 6 },
    events: ['boost.config', 'boost.ended', 'limit.changed'],
    data: [
      ['boost.ended', { idx: 2, reason: 'removed-from-button' }],
      ['boost.config', { loads: [3], removed: [2], added: [] }],
    ],
  },
  {
    name: 'BOOST action=cancel ends the boost',
    start: [...openOnButton, [2 * S, press]],
    input: [3 * S, cancel],
    limits: { c1: 6 },
    data: [['boost.ended', { idx: 2, reason: 'cancelled' }]],
  },
  {
    name: 'a boost ends at its period',
    config: { link: { staleAfterMs: 2 * 60 * MIN } },
    start: [...openOnButton, [2 * S, press]],
    input: [2 * S + 30 * MIN, { type: 'tick' }],
    limits: { c1: 6 },
    data: [['boost.ended', { idx: 2, reason: 'period', untilMs: T0 + 2 * S + 30 * MIN }]],
  },
  {
    name: 'a second press restarts the period',
    start: [...openOnButton, [2 * S, press]],
    input: [10 * MIN, press],
    limits: {},
    data: [['boost.granted', { idx: 2, renewed: true, untilMs: T0 + 40 * MIN }]],
  },
  {
    name: 'a switch added to the button after the press gets no boost from it',
    start: [
      [0, boostCfg([3], 30)],
      [S, sw(2, 'open', 'dno')],
      [2 * S, press],
    ],
    input: [3 * S, boostCfg([2, 3], 30)],
    limits: {},
    explain: { c1: /^6 A <- switch 2 open/ },
  },
  {
    name: "the meter's own boost closing a switch on the button is exempt from the restore delay",
    config: { restore: { maxDelayMs: 600 * S } },
    start: openOnButton,
    input: [2 * S, sw(2, 'closed', 'boost')],
    limits: { c1: 32 },
    data: [['restore.exempt', { reason: 'boost-switch' }]],
    noEvents: ['restore.scheduled'],
  },
  {
    name: "the meter's boost closing a switch not on the button is honoured but waits the delay, recorded",
    config: { restore: { maxDelayMs: 600 * S } },
    start: [
      [0, boostCfg([3], 30)],
      [S, sw(2, 'open', 'dno')],
    ],
    input: [2 * S, sw(2, 'closed', 'boost')],
    limits: {},
    events: ['switch.state', 'boost.inconsistent', 'restore.scheduled'],
    noEvents: ['restore.exempt'],
  },
  {
    name: 'a boost that does not lift (dno, liftsDnoOpen=false) releases no pending restore',
    config: {
      boost: { liftsDnoOpen: false },
      restore: { maxDelayMs: 600 * S },
      chargers: [{ id: 'c1', minCurrentA: 6, maxCurrentA: 32, allowPause: true }],
      bindings: [
        { switchIdx: 2, chargerIds: ['c1'], reducedCurrentA: 6 },
        { switchIdx: 3, chargerIds: ['c1'], reducedCurrentA: 0 },
      ],
    },
    // switch 3 pauses the charger; its close leaves 0 -> 6 A waiting; switch 2 (dno) caps at 6 A
    start: [
      [0, boostCfg([2], 30)],
      [S, sw(2, 'open', 'dno')],
      [2 * S, sw(3, 'open', 'dno')],
      [3 * S, sw(3, 'closed', 'dno')],
    ],
    input: [4 * S, press],
    limits: {},
    applied: { c1: 0 },
    noEvents: ['restore.exempt'],
  },
];

runTable(t, cases);
