// The agent's cron timing against node-cron's own: for the same expression and instant, the
// next run must be the one node-cron's scheduler would pick (its TimeMatcher is the oracle,
// imported from its bundle since the package does not export it).
import t from 'tap';
import fc from 'fast-check';
import { nextCronMatch, scheduleCron } from '../../../agent/cron-schedule.js';
// @ts-expect-error: node-cron's internal bundle has no type declarations.
import { T as TimeMatcher } from '../../../node_modules/node-cron/dist/_shared.js';

const oracle = (expr: string, atMs: number): number => (new TimeMatcher(expr) as { getNextMatch(d: Date): Date }).getNextMatch(new Date(atMs)).getTime();

t.test('the schedules the config uses, and node-cron tokens, at fixed instants', async (t) => {
  const at = Date.UTC(2026, 10, 30, 7, 44, 12, 345);
  const cases: Array<[string, number]> = [
    ['*/15 * * * *', Date.UTC(2026, 10, 30, 7, 45, 0)],
    ['17 3 * * *', Date.UTC(2026, 11, 1, 3, 17, 0)],
    ['*/10 * * * * *', Date.UTC(2026, 10, 30, 7, 44, 20)],
  ];
  for (const [expr, want] of cases) {
    if (new Date(at).getTimezoneOffset() === 0) t.equal(nextCronMatch(expr, at), want, expr);
    t.equal(nextCronMatch(expr, at), oracle(expr, at), `${expr} as node-cron`);
  }
  for (const expr of ['0 0 L * *', '0 12 LW * *', '0 12 15W * *', '0 6 L-3 * *', '30 8 * * 5L', '0 9 * * 1#2', '0 0 29 2 *', '@daily', '0 0 1 jan,jul mon-fri']) {
    t.equal(nextCronMatch(expr, at), oracle(expr, at), expr);
  }
});

t.test('matches node-cron for random expressions and instants', async (t) => {
  const n = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });
  const field = (lo: number, hi: number, extra: fc.Arbitrary<string>[] = []) =>
    fc.oneof(
      fc.constant('*'),
      n(1, Math.max(1, Math.floor((hi - lo) / 2))).map((s) => `*/${s}`),
      n(lo, hi).map(String),
      fc.tuple(n(lo, hi), n(lo, hi)).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
      fc.tuple(n(lo, hi), n(lo, hi)).map(([a, b]) => `${a},${b}`),
      ...extra,
    );
  const expr = fc
    .tuple(
      fc.option(field(0, 59), { nil: undefined }),
      field(0, 59),
      field(0, 23),
      field(1, 31, [fc.constant('L'), fc.constant('LW'), n(1, 28).map((d) => `${d}W`), n(1, 5).map((k) => `L-${k}`)]),
      field(1, 12),
      field(0, 6, [n(0, 6).map((d) => `${d}L`), fc.tuple(n(0, 6), n(1, 5)).map(([d, k]) => `${d}#${k}`)]),
    )
    .map(([s, ...rest]) => (s === undefined ? rest : [s, ...rest]).join(' '));
  const instant = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) });
  fc.assert(
    fc.property(expr, instant, (e, at) => {
      let want: number | string;
      try {
        want = oracle(e, at);
      } catch (err) {
        want = (err as Error).message;
      }
      let got: number | string;
      try {
        got = nextCronMatch(e, at);
      } catch (err) {
        got = (err as Error).message;
      }
      t.equal(got, want, `${e} after ${new Date(at).toISOString()}`);
      return got === want;
    }),
    { numRuns: 300 },
  );
});

t.test('scheduleCron fires at the match and stops', async (t) => {
  let fired = 0;
  const job = scheduleCron('* * * * * *', () => fired++);
  while (fired < 2) await new Promise((r) => setTimeout(r, 50));
  job.stop();
  const after = fired;
  await new Promise((r) => setTimeout(r, 1300));
  t.equal(fired, after, 'no run after stop');
});
