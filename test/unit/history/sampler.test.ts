// The history sampler: one compact row per charger and interval, energy by the trapezoid of
// two powers, nothing from a stale reading, and a power estimate (flagged) from currents.
import t from 'tap';
import { HistorySampler, type SampleData, type SampledCharger } from '../../../agent/history/sampler.js';
import { ManualClock } from '../../helpers/fakes.js';

function charger(clock: ManualClock, reading: () => { currentsA?: number[]; powerW?: number } | null, fresh = () => clock.now()): SampledCharger {
  return {
    id: 'c1',
    state: () => {
      const r = reading();
      return {
        connected: true,
        appliedLimitA: 16,
        lastReading: r === null ? null : { vehicleState: 'C', charging: true, ...r },
        lastReadingAtMs: r === null ? null : fresh(),
      };
    },
  };
}

t.test('energy is the trapezoid of the powers over each interval', async (t) => {
  const clock = new ManualClock(0);
  let w = 7000;
  const rows: SampleData[] = [];
  const s = new HistorySampler({
    chargers: [charger(clock, () => ({ powerW: w, currentsA: [10, 10, 10] }))],
    intervalMs: 60_000,
    clock,
    record: (_, d) => rows.push(d),
  });
  s.start();
  clock.advance(60_000);
  w = 11000;
  clock.advance(60_000);
  s.stop();
  clock.advance(600_000);
  t.equal(rows.length, 2, 'one row per interval, none after stop');
  t.equal(rows[0]?.wh, 0, 'the first sample has nothing before it');
  t.equal(rows[1]?.wh, 150, '(7 kW + 11 kW) / 2 for one minute = 150 Wh');
  t.same(rows[1]?.a, [10, 10, 10]);
  t.equal(rows[1]?.e, undefined, "the charger's own power, not an estimate");
});

t.test('no power register: estimated from the currents at 230 V, and flagged', async (t) => {
  const clock = new ManualClock(0);
  const rows: SampleData[] = [];
  const s = new HistorySampler({ chargers: [charger(clock, () => ({ currentsA: [16] }))], intervalMs: 60_000, clock, record: (_, d) => rows.push(d) });
  s.sampleAll();
  clock.advance(60_000);
  s.sampleAll();
  t.equal(rows[1]?.w, 3680);
  t.equal(rows[1]?.e, true);
  t.equal(rows[1]?.wh, 61.333);
});

t.test('a stale or missing reading records nothing, and the next one starts afresh', async (t) => {
  const clock = new ManualClock(0);
  let readAt = 0;
  const rows: SampleData[] = [];
  const s = new HistorySampler({
    chargers: [
      charger(
        clock,
        () => ({ powerW: 1000 }),
        () => readAt,
      ),
    ],
    intervalMs: 60_000,
    clock,
    record: (_, d) => rows.push(d),
  });
  s.sampleAll();
  clock.advance(180_000);
  s.sampleAll();
  t.equal(rows.length, 1, 'a reading three intervals old says nothing about now');
  readAt = clock.now();
  s.sampleAll();
  t.equal(rows[1]?.wh, 0, 'no energy across the gap');
  const none: SampleData[] = [];
  new HistorySampler({ chargers: [charger(clock, () => null)], intervalMs: 60_000, clock, record: (_, d) => none.push(d) }).sampleAll();
  t.same(none, []);
});
