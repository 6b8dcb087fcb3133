// Bad lines cost O(1): the first of a window is recorded in full, the rest counted and
// summarised once per window, and every tally has a bounded set of keys.
import t from 'tap';
import { S, events, kinds, makeConfig, run, T0, type Timed } from './fixtures.js';
import { timers } from '../../../agent/core/wake.js';
import { MAX_KEYS, MAX_SAMPLES, OTHER_KEY, WINDOW_MS } from '../../../agent/core/badlines.js';
import type { Input } from '../../../agent/core/types.js';

const rejected = (i: number): Input => ({ type: 'han-rejected', reason: i % 2 ? 'bad_checksum' : 'line_too_long', line: `JUNK ${i}` });
const ignored = (verb: string): Input => ({ type: 'han-ignored', verb });

t.test('a stream of rejected lines: one row at once, one summary per window, nothing per line', (t) => {
  const config = makeConfig();
  const inputs: Timed[] = [];
  for (let i = 0; i < 1000; i++) inputs.push([i * 10, rejected(i)]);
  const r = run(config, inputs);
  const rows = r.all.flatMap((e) => kinds(e));
  t.equal(rows.filter((k) => k === 'han.rejected').length, 1, 'the first line recorded in full');
  t.equal(rows.filter((k) => k === 'han.rejected-summary').length, 0, 'no summary before the window ends');
  t.equal(r.state.counters.linesRejected, 1000);
  t.same(
    timers(config, r.state)
      .filter((x) => x.kind === 'bad-lines')
      .map((x) => x.atMs),
    [T0 + WINDOW_MS],
    'a tick is asked for at the window end',
  );
  const end = run(config, [[WINDOW_MS, { type: 'tick' }]], r.state);
  const summary = events(end.effects, 'han.rejected-summary')[0]?.data as { count: number; byReason: Record<string, number>; samples: string[] } | undefined;
  t.ok(summary, 'a summary closes the window');
  t.equal(summary?.count, 999);
  t.same(summary?.byReason, { bad_checksum: 500, line_too_long: 499 });
  t.equal(summary?.samples.length, MAX_SAMPLES);
  const later = run(config, [[2 * WINDOW_MS + S, { type: 'tick' }]], end.state);
  t.notOk(kinds(later.effects).includes('han.rejected-summary'), 'an empty window closes quietly');
  const again = run(config, [[2 * WINDOW_MS + 2 * S, rejected(1)]], later.state);
  t.ok(kinds(again.effects).includes('han.rejected'), 'after a quiet window the next bad line is recorded in full again');
  t.end();
});

t.test('20,000 distinct unknown verbs keep the tallies bounded', (t) => {
  const config = makeConfig();
  const inputs: Timed[] = [];
  for (let i = 0; i < 20_000; i++) inputs.push([i, ignored(`V${i}`)]);
  const r = run(config, inputs);
  t.equal(r.state.counters.linesIgnored, 20_000);
  t.ok(Object.keys(r.state.counters.ignoredByVerb).length <= MAX_KEYS, `${Object.keys(r.state.counters.ignoredByVerb).length} keys`);
  t.ok((r.state.counters.ignoredByVerb[OTHER_KEY] ?? 0) > 19_000, 'the rest under one key');
  t.ok(Object.keys(r.state.badLines.ignored.by).length <= MAX_KEYS);
  t.ok(JSON.stringify(r.state).length < 4000, `the state stays small (${JSON.stringify(r.state).length} chars)`);
  t.end();
});
