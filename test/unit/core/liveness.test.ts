// Smart Charge Points Regulations Reg 7: with fallback 'normal', a silent link never blocks
// charging for ever. Whatever happened before, if the HAN then falls silent and the agent is
// left to its own wake-ups, every charger ends at the limit the owner and the charger allow,
// with no switch or fallback cap left, after at most stale + hold + delay + ramp.
import t from 'tap';
import fc from 'fast-check';
import { configArb, idle, itemsArb, seedArb, simulate } from './sim.js';
import { checkIncreasesWaited } from './checks.js';
import { describe } from '../../../agent/core/index.js';

const RUNS = Number(process.env['CORE_PROPERTY_RUNS'] ?? 1000);
const SEED = Number(process.env['CORE_PROPERTY_SEED'] ?? Date.now() & 0x7fffffff);

t.test(`a silent link with fallback normal ends every switch cap (${RUNS} runs)`, (t) => {
  fc.assert(
    fc.property(configArb, itemsArb, seedArb, (base, items, seed) => {
      const config = { ...base, link: { ...base.link, fallback: 'normal' as const } };
      const trace = simulate(config, items, seed, false);
      const last = trace[trace.length - 1];
      if (!last) return;
      const rampMs = config.restore.ramp ? (32 / config.restore.ramp.stepA + 1) * config.restore.ramp.intervalMs : 0;
      const untilMs = last.atMs + config.link.staleAfterMs + config.link.holdMs + config.restore.maxDelayMs + rampMs + 1000;
      const quiet = idle(config, last, untilMs);
      checkIncreasesWaited(config, [...trace, ...quiet]);
      const endState = quiet[quiet.length - 1]?.after ?? last.after;
      const view = describe(config, endState, untilMs);
      for (const ch of view.chargers) {
        const capped = ch.claims.filter((c) => (c.source === 'switch' || c.source === 'link-fallback') && c.capA !== null);
        if (capped.length > 0) throw new Error(`charger ${ch.id} still capped by ${capped.map((c) => c.text).join('; ')}`);
        if (ch.appliedA !== ch.targetA) throw new Error(`charger ${ch.id} at ${String(ch.appliedA)} A, not its target ${ch.targetA} A: ${ch.explanation}`);
      }
    }),
    { numRuns: RUNS, seed: SEED },
  );
  t.pass(`charging resumes (seed ${SEED})`);
  t.end();
});
