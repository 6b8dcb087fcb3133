// Property-based tests over random configs and random sequences of inputs with random time
// gaps (restarts through a JSON round trip included). See checks.ts for each invariant.
import t from 'tap';
import fc from 'fast-check';
import { configArb, itemsArb, seedArb, simulate } from './sim.js';
import { checkBounds, checkIncreasesWaited, checkOpenSwitchCaps, checkRestart, checkStartCaps, checkWakes } from './checks.js';

const RUNS = Number(process.env['CORE_PROPERTY_RUNS'] ?? 1000);
// A fresh seed each run widens the search; a failure prints it (replay: CORE_PROPERTY_SEED=...).
const SEED = Number(process.env['CORE_PROPERTY_SEED'] ?? Date.now() & 0x7fffffff);

t.test(`safety, delay, bounds, restart and wake invariants hold over ${RUNS} random runs`, (t) => {
  let steps = 0;
  const checks = { openSwitchCaps: checkOpenSwitchCaps, startCaps: checkStartCaps, increasesWaited: checkIncreasesWaited, bounds: checkBounds, restart: checkRestart };
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
    { numRuns: RUNS, seed: SEED, endOnFailure: false },
  );
  t.pass(`${RUNS} runs, ${steps} steps checked (seed ${SEED})`);
  t.end();
});
