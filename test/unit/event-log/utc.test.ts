import t from 'tap';
import { MAX_UTC_MS, parseUtcInstant, toUtcIso } from '../../../agent/event-log/utc.js';

t.test('toUtcIso: UTC, milliseconds, Z', async (t) => {
  const cases: Array<[number, string]> = [
    [0, '1970-01-01T00:00:00.000Z'],
    [Date.UTC(2026, 10, 28, 12, 3, 1, 123), '2026-11-28T12:03:01.123Z'],
    // British Summer Time does not leak in: 1 July 12:00 UTC stays 12:00.
    [Date.UTC(2026, 6, 1, 12, 0, 0, 5), '2026-07-01T12:00:00.005Z'],
    [MAX_UTC_MS, '9999-12-31T23:59:59.999Z'],
  ];
  for (const [ms, iso] of cases) t.equal(toUtcIso(ms), iso, iso);
  for (const bad of [-1, 1.5, MAX_UTC_MS + 1, NaN]) t.throws(() => toUtcIso(bad), RangeError, String(bad));
});

t.test('parseUtcInstant: what an engineer types', async (t) => {
  const ok: Array<[string, number]> = [
    ['2026-11-28', Date.UTC(2026, 10, 28)],
    ['2026-11-28T12:03', Date.UTC(2026, 10, 28, 12, 3)],
    ['2026-11-28 12:03:01', Date.UTC(2026, 10, 28, 12, 3, 1)],
    ['2026-11-28T12:03:01.5Z', Date.UTC(2026, 10, 28, 12, 3, 1, 500)],
    ['2026-11-28T12:03:01.123z', Date.UTC(2026, 10, 28, 12, 3, 1, 123)],
    ['2026-07-01T13:00+01:00', Date.UTC(2026, 6, 1, 12, 0)],
    ['2026-07-01T13:00+0100', Date.UTC(2026, 6, 1, 12, 0)],
    ['2026-07-01T10:30-01:30', Date.UTC(2026, 6, 1, 12, 0)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['  2026-11-28  ', Date.UTC(2026, 10, 28)],
  ];
  for (const [text, ms] of ok) t.equal(parseUtcInstant(text), ms, text);
  const bad = [
    '',
    'yesterday',
    '28/11/2026',
    '2026-13-01',
    '2025-02-29',
    '2026-11-28T24:00',
    '2026-11-28T12:60',
    '2026-11-28T12:03:61',
    '2026-11-28T12:03+25:00',
    '1700000000000',
  ];
  for (const text of bad) t.throws(() => parseUtcInstant(text), /not a valid|not an ISO 8601/, JSON.stringify(text));
});
