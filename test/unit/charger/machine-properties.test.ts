// Properties of the charger machine over random runs: the port answers in any order with any
// outcome, time jumps from timer to timer, limits arrive at any moment, the charger reboots.
// Checked on every step (machine-sim.ts): never two requests in flight on one lane, so never
// two writes; the state a step was given is left as it was; the timers the machine believes armed are the ones armed; the applied limit is
// the last one the charger acknowledged. Then the port answers everything: the last limit
// asked for is held by the charger within a few keep-alive periods.
import t from 'tap';
import fc from 'fast-check';
import type { ChargerFacts } from '../../../drivers/charger/machine/types.js';
import { S, goodFailsafe, makeConfig } from './machine-fixtures.js';
import { Sim, type Action } from './machine-sim.js';

const RUNS = Number(process.env['CHARGER_PROPERTY_RUNS'] ?? 300);
// A fresh seed each run widens the search; a failure prints it (replay: CHARGER_PROPERTY_SEED=...).
const SEED = Number(process.env['CHARGER_PROPERTY_SEED'] ?? Date.now() & 0x7fffffff);

const factsArb: fc.Arbitrary<ChargerFacts> = fc.record({
  keepAliveKind: fc.constantFrom('life-bit', 'heartbeat-value', 'toggle', 'counter', 'rewrite-setpoint', 'poll', 'none'),
  limitReadable: fc.boolean(),
  canReenable: fc.boolean(),
  keepAlivePeriodMs: fc.constantFrom(null, 1000, 5000),
  failsafe: fc.constantFrom(goodFailsafe, { ...goodFailsafe, ok: false }),
});

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('answer' as const),
      pick: fc.nat(3),
      outcome: fc.constantFrom('ok' as const, 'ok' as const, 'timeout' as const, 'lost' as const),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: 'advance' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('set-limit' as const), limitA: fc.constantFrom(0, 6, 10, 16, 32) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reboot' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'bus-reconnect' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('car' as const), drawA: fc.constantFrom(null, 16, 32) }) },
);

t.test(`the machine keeps its promises over ${RUNS} random runs (seed ${SEED})`, async (t) => {
  let steps = 0;
  fc.assert(
    fc.property(factsArb, fc.boolean(), fc.array(actionArb, { maxLength: 120, size: 'max' }), (facts, dryRun, actions) => {
      // A short backoff cap keeps the answering phase short; the cap itself is in the table tests.
      const sim = new Sim(makeConfig({ dryRun, reconnect: { initialMs: 1000, maxMs: 8000 } }), facts);
      sim.feed({ type: 'start' });
      for (const a of actions) sim.act(a);
      const desired = sim.state.desiredA;
      // Enough for a reconnect after the longest backoff, then a few periods (up to 30 s each).
      sim.settle(sim.nowMs + 100 * S);
      steps += sim.steps;
      if (dryRun) {
        if (sim.writesRequested.length > 0) throw new Error(`dry run wrote ${sim.writesRequested.join(', ')}`);
        return;
      }
      if (!sim.state.connected) throw new Error('not connected though the port answers');
      if (desired === null) return;
      if (sim.state.appliedA !== desired) throw new Error(`applied ${sim.state.appliedA}, asked for ${desired}`);
      if (sim.setpointA !== desired) throw new Error(`the charger holds ${sim.setpointA}, asked for ${desired}`);
      if (sim.writesRequested.at(-1) !== desired) throw new Error(`the last write was ${sim.writesRequested.at(-1)}, asked for ${desired}`);
    }),
    { numRuns: RUNS, seed: SEED },
  );
  t.ok(steps > RUNS, `${steps} steps checked`);
});
