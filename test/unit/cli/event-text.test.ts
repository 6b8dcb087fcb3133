// One event as one console line (`log`, `incidents`): per kind, the words an engineer reads
// first. Times are shown in UTC here (timeText(true)) so the expectations hold in any zone.
import t from 'tap';
import { genericText, localiseClockTexts, summarize } from '../../../agent/cli/shared/event-text.js';
import { timeText, type TimeText } from '../../../agent/cli/shared/time-text.js';

const utc = timeText(true);
const AT = Date.UTC(2026, 10, 28, 21, 3, 0);

t.test('each known kind, what matters first', async (t) => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'switch.state',
      { state: 'open', cause: 'dno', durMin: 30, leaseEndMs: AT + 1_800_000, changed: false, label: 'Boost', seq: 7 },
      'open cause dno for 30 min until 21:33:00 (unchanged) label "Boost" seq 7',
    ],
    ['switch.state', { state: 'closed', cause: 'none' }, 'closed cause none'],
    [
      'limit.changed',
      { fromA: 32, toA: 6, reason: 'switch', explanation: '6 A <- switch 2 open since 21:03:00Z' },
      '32->6 A switch: switch 2 open since 21:03:00Z',
    ],
    ['limit.changed', { fromA: null, toA: 16.25, reason: 'start', explanation: 'no claim' }, '16.3 A start: no claim'],
    ['limit.reapplied', { limitA: 6, reason: 'reconnect', explanation: '6 A <- switch 1 open' }, '6 A reconnect: switch 1 open'],
    [
      'restore.scheduled',
      { fromA: 6, toA: 32, dueMs: AT + 123_000, delayMs: 123_000, maxDelayMs: 1_800_000 },
      '6->32 A at 21:05:03 (random delay 123 s of max 1800 s)',
    ],
    ['restore.scheduled', { fromA: 6, toA: 32, delayMs: 2_500 }, '6->32 A at ? (random delay 2.5 s of max ?)'],
    ['restore.done', { fromA: 6, toA: 32 }, '6->32 A: delay over'],
    ['restore.exempt', { fromA: 6, toA: 32, reason: 'boost', detail: 'switch 2' }, '6->32 A now, no delay: boost (switch 2)'],
    ['restore.exempt', { fromA: 6, toA: 32, reason: 'owner' }, '6->32 A now, no delay: owner'],
    ['restore.ramp', { fromA: 6, toA: 32, targetA: 16 }, '6->32 A ramp step to 16 A'],
    ['charger.write', { ok: true, limitA: 6, readBackA: 6, durationMs: 12, reason: 'limit' }, '6 A ok, read back 6 A, 12 ms (limit)'],
    ['charger.write', { ok: true, limitA: 6, readBackA: null, durationMs: 9, reason: 'keepalive' }, '6 A ok, 9 ms (keepalive)'],
    ['charger.write', { ok: false, limitA: 6, error: 'timeout', reason: 'limit' }, '6 A FAILED: timeout (limit)'],
    ['charger.verified', { measuredA: 5.9, limitA: 6, confirmMs: 42_000 }, 'measured 5.9 A within 6 A after 42 s'],
    ['charger.verified', { limitA: 6 }, 'measured - A within 6 A after ?'],
    ['charger.sample', { a: [5.94, 6, 0], w: 4140, e: true, wh: 1234, st: 'C', lim: 6 }, '5.9/6.0/0.0 A 4.14 kW (est) +1.234 kWh state C limit 6 A'],
    ['charger.sample', { st: 'A', lim: 32 }, 'no current state A limit 32 A'],
    ['boost.granted', { idx: 2, untilMs: AT + 3_600_000, periodMin: 60, rule: 'button' }, 'switch 2 until 22:03:00 (60 min), button'],
    ['boost.denied', { idx: 3, reason: 'not a boost switch' }, 'switch 3: not a boost switch'],
    [
      'log.pruned',
      { rows: 1200, cutoffMs: AT, throughId: 1200, throughHash: 'abcdef0123456789abcdef' },
      '1200 rows before 2026-11-28 21:03:00 pruned; chain continues from id 1200 hash abcdef012345...',
    ],
    ['owner.command', { name: 'restore-now', args: { charger: 'wb1' } }, 'restore-now {"charger":"wb1"}'],
  ];
  for (const [kind, data, text] of cases) t.equal(summarize(kind, data, utc), text, `${kind} ${JSON.stringify(data)}`);
});

t.test('an unknown kind: key=value, telling keys first, durations and instants readable', async (t) => {
  const text = summarize('mystery.kind', { z: 1, error: 'boom', waitMs: 1_500, atMs: AT, note: 'two words', obj: { a: 1 }, state: 'x' }, utc);
  t.equal(text, 'state=x error=boom z=1 wait=1.5 s at=21:03:00 note="two words" obj={"a":1}');
  t.equal(genericText({ reason: 'plain words', explanation: 'because' }, utc), 'plain words because', 'a reason and explanation are shown as text');
  t.equal(genericText({ reason: 3 }, utc), 'reason=3', 'a non-text reason keeps its key');
});

t.test('control characters in the data cannot break the line or drive the terminal', async (t) => {
  const text = summarize('boost.denied', { idx: 1, reason: 'evil\n\x1b[2Jline' }, utc);
  t.equal(text, 'switch 1: evil  [2Jline');
  t.notMatch(text, /[\n\x1b]/);
});

t.test('UTC clock texts in an explanation become the local time of the nearest instant', async (t) => {
  // A fixed-offset TimeText (UTC+01:00) stands in for local time so the test is zone-free.
  const plusOne: TimeText = { ...timeText(true), utc: false, time: (ms) => utc.time(ms + 3_600_000) };
  t.equal(localiseClockTexts('since 21:03:00Z', AT + 60_000, plusOne), 'since 22:03:00');
  // Just after midnight UTC, 23:59:00Z is yesterday's: the nearest instant, one minute before.
  const justAfterMidnight = Date.UTC(2026, 10, 29, 0, 0, 30);
  t.equal(localiseClockTexts('since 23:59:00Z', justAfterMidnight, plusOne), 'since 00:59:00');
  t.equal(
    summarize('limit.changed', { fromA: 32, toA: 6, reason: 'switch', explanation: '6 A <- open since 21:03:00Z' }, plusOne, AT),
    '32->6 A switch: open since 22:03:00',
    'summarize localises when given the event time',
  );
  t.equal(
    summarize('limit.changed', { fromA: 32, toA: 6, reason: 'switch', explanation: 'open since 21:03:00Z' }, utc, AT),
    '32->6 A switch: open since 21:03:00Z',
    'left as it is under --utc',
  );
});
