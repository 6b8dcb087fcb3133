import t from 'tap';
import { tempLog } from './fixtures/helpers.js';

// Separate from chain.test.ts because each worker thread loads the TypeScript loader again
// under the test runner (seconds on a busy machine); the built agent starts them in ~50 ms.
t.test('verifyParallel: slices checked in worker threads merge to the sequential answer', async (t) => {
  const { log } = tempLog(t);
  log.appendMany(Array.from({ length: 300 }, (_, i) => ({ kind: 'bulk', switchIdx: i % 5, data: { i } })));
  const fallbacks: string[] = [];
  const result = await log.verifyParallel({ threads: 2, minRows: 0, onFallback: (e) => fallbacks.push(e.message) });
  t.same(fallbacks, [], 'the workers ran (no fallback to the sequential walk)');
  t.same(result, { ok: true, count: 300 });
  t.same(result, log.verify());
  const small = await log.verifyParallel({ threads: 2, onFallback: (e) => fallbacks.push(e.message) });
  t.same(small, { ok: true, count: 300 }, 'below minRows: sequential');
});
