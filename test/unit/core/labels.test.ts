// Rule 3: labels (SECMP0046 requirement 2).
import t from 'tap';
import { S, endSwitches, hb, label, runTable, sw, type Case } from './fixtures.js';

const cases: Case[] = [
  {
    name: 'a matching label raises nothing',
    start: [[0, hb()]],
    input: [S, label(2, 'EV Charger')],
    limits: {},
    noEvents: ['label.alarm'],
    data: [['label.state', { idx: 2, text: 'EV Charger', ok: true, bound: true }]],
  },
  {
    name: 'warn: a wrong label raises an alarm and the switch still acts, explained',
    start: [[0, label(2, 'Heat pump')]],
    input: [S, sw(2, 'open')],
    limits: { c1: 6 },
    explain: {
      c1: /^6 A <- switch 2 open, cause dno, since 12:00:01Z; label alarm: switch 2 label "Heat pump" does not match \/ev\|charg\/i \(labels.policy=warn, acting anyway\)$/,
    },
  },
  {
    name: 'the alarm event carries the label, the pattern and the policy',
    start: [[0, hb()]],
    input: [S, label(2, 'Heat pump')],
    data: [['label.alarm', { idx: 2, problem: 'mismatch', text: 'Heat pump', pattern: '/ev|charg/i', policy: 'warn' }]],
  },
  {
    name: 'enforce: a wrong label makes the agent ignore that switch, explained',
    config: { labels: { policy: 'enforce' } },
    start: [
      [0, endSwitches],
      [0, label(2, 'Heat pump')],
    ],
    input: [S, sw(2, 'open')],
    limits: {},
    explain: { c1: /^32 A <- charger c1 maximum 32 A; switch 2 ignored: switch 2 label "Heat pump" does not match \/ev\|charg\/i \(labels.policy=enforce\)$/ },
  },
  {
    name: 'enforce: a label that turns wrong while open lifts the claim (through the restore delay)',
    config: { labels: { policy: 'enforce' }, restore: { maxDelayMs: 100 * S } },
    start: [
      [0, label(2, 'EV charger')],
      [S, sw(2, 'open')],
    ],
    input: [2 * S, label(2, 'Heat pump')],
    limits: {},
    events: ['label.alarm', 'restore.scheduled'],
  },
  {
    name: 'a READ answer without a LABEL for a bound switch raises a missing-label alarm',
    start: [[0, sw(2, 'closed', 'calendar')]],
    input: [S, endSwitches],
    events: ['read.end', 'label.alarm'],
    data: [
      ['label.alarm', { idx: 2, problem: 'missing' }],
      ['read.end', { what: 'switches', missingLabels: [2] }],
    ],
  },
  {
    name: 'a READ answer with the label raises nothing',
    start: [
      [0, sw(2, 'closed', 'calendar')],
      [S, label(2, 'EV Charger')],
    ],
    input: [2 * S, endSwitches],
    noEvents: ['label.alarm'],
  },
  {
    name: 'enforce: a missing label makes the agent ignore the switch',
    config: { labels: { policy: 'enforce' } },
    start: [
      [0, sw(2, 'open')],
      [S, endSwitches],
    ],
    input: [2 * S, hb()],
    applied: { c1: 32 },
    explain: { c1: /switch 2 ignored: switch 2 label missing from the last READ/ },
  },
  {
    name: 'a good label clears the alarm',
    start: [[0, label(2, 'Heat pump')]],
    input: [S, label(2, 'EV charger 1')],
    events: ['label.state', 'label.cleared'],
  },
  {
    name: 'an unbound switch with any label raises nothing',
    start: [[0, hb()]],
    input: [S, label(4, 'Immersion heater')],
    noEvents: ['label.alarm'],
    data: [['label.state', { idx: 4, bound: false, ok: false }]],
  },
  {
    name: 'an invalid pattern matches nothing, so every bound label alarms',
    config: { labels: { pattern: '(' } },
    start: [[0, hb()]],
    input: [S, label(2, 'EV Charger')],
    events: ['label.alarm'],
  },
];

runTable(t, cases);
