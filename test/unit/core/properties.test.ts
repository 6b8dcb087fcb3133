// Property-based tests over random configs and random sequences of inputs with random time
// gaps (restarts through a JSON round trip included). See checks.ts for each invariant.
import t from 'tap';
import fc from 'fast-check';
import { configArb, itemsArb, seedArb, simulate, type Item } from './sim.js';
import type { CoreConfig } from '../../../agent/core/types.js';
import { checkBounds, checkIncreasesWaited, checkOpenSwitchCaps, checkRestart, checkStartCaps, checkWakes } from './checks.js';

const RUNS = Number(process.env['CORE_PROPERTY_RUNS'] ?? 1000);
// A fresh seed each run widens the search; a failure prints it (replay: CORE_PROPERTY_SEED=...).
const SEED = Number(process.env['CORE_PROPERTY_SEED'] ?? Date.now() & 0x7fffffff);

// Counterexamples found by earlier runs, replayed every run before the random ones.
// 1. CI seed 724563242: a resume after the link went stale caps the bound charger at the
//    fallback, freeing site-cap share; with restore.maxDelayMs 0 the others' rise is due at once.
const KNOWN_CASES = [
  [
    {
      chargers: [
        { id: 'b', minCurrentA: 6, maxCurrentA: 10, allowPause: false },
        { id: 'a', minCurrentA: 6, maxCurrentA: 16, allowPause: false },
        { id: 'c', minCurrentA: 6, maxCurrentA: 16, allowPause: false },
      ],
      bindings: [{ switchIdx: 1, chargerIds: ['b'], reducedCurrentA: 0 }],
      boost: { liftsDnoOpen: false },
      labels: { pattern: 'ev|charg', flags: 'i', policy: 'enforce' },
      link: { staleAfterMs: 60000, holdMs: 0, fallback: 'reduced' },
      restore: { maxDelayMs: 0, meterRandomisesCalendar: false },
      siteCapA: 40,
    },
    [
      { gapMs: 0, action: { type: 'han', message: { verb: 'SWITCH', idx: 1, state: 'open', cause: 'dno', type: 'HCALCS' } } },
      { gapMs: 0, action: { type: 'han', message: { verb: 'END', what: 'switches' } } },
      { gapMs: 120000, action: { type: 'restart' } },
    ],
    0,
  ],
] as unknown as [CoreConfig, Item[], number][];

t.test(`safety, delay, bounds, restart and wake invariants hold over ${RUNS} random runs`, (t) => {
  let steps = 0;
  const checks = {
    openSwitchCaps: checkOpenSwitchCaps,
    startCaps: checkStartCaps,
    increasesWaited: checkIncreasesWaited,
    bounds: checkBounds,
    restart: checkRestart,
  };
  fc.assert(
    fc.property(configArb, itemsArb, seedArb, (config, items, seed) => {
      const trace = simulate(config, items, seed, false);
      steps += trace.length;
      for (const [name, check] of Object.entries(checks)) {
        try {
          check(config, trace);
        } catch (err) {
          throw new Error(`${name}: ${(err as Error).message}`);
        }
      }
      checkWakes(trace);
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: false, examples: KNOWN_CASES },
  );
  t.pass(`${RUNS} runs, ${steps} steps checked (seed ${SEED})`);
  t.end();
});
