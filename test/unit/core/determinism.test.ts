// Determinism and purity: the same inputs at the same times give the same outputs, whether
// the state is handed back as is or through a JSON round trip (as the shell persists it), and
// step never changes the state it was given.
import t from 'tap';
import fc from 'fast-check';
import { configArb, itemsArb, seedArb, simulate } from './sim.js';
import { step } from '../../../agent/core/index.js';

const RUNS = Number(process.env['CORE_PROPERTY_RUNS'] ?? 1000);
const SEED = Number(process.env['CORE_PROPERTY_SEED'] ?? Date.now() & 0x7fffffff);

t.test(`the same inputs at the same times give the same effects and states (${RUNS} runs)`, (t) => {
  fc.assert(
    fc.property(configArb, itemsArb, seedArb, (config, items, seed) => {
      const a = simulate(config, items, seed, true);
      const b = simulate(config, items, seed, false);
      if (a.length !== b.length) throw new Error(`${a.length} steps with JSON round trips, ${b.length} without`);
      const ea = JSON.stringify(a.map((x) => [x.atMs, x.effects]));
      const eb = JSON.stringify(b.map((x) => [x.atMs, x.effects]));
      if (ea !== eb) {
        const i = a.findIndex((x, k) => JSON.stringify(x.effects) !== JSON.stringify(b[k]?.effects));
        throw new Error(`step ${i} at ${a[i]?.atMs}: effects differ\n${JSON.stringify(a[i]?.effects)}\n${JSON.stringify(b[i]?.effects)}`);
      }
      if (JSON.stringify(a[a.length - 1]?.after) !== JSON.stringify(b[b.length - 1]?.after)) throw new Error('final states differ');
    }),
    { numRuns: RUNS, seed: SEED },
  );
  t.pass(`deterministic (seed ${SEED})`);
  t.end();
});

t.test(`step leaves the state it was given untouched and the new one is plain JSON (${RUNS / 4} runs)`, (t) => {
  fc.assert(
    fc.property(configArb, itemsArb, seedArb, (config, items, seed) => {
      for (const tr of simulate(config, items, seed, false)) {
        if (tr.kind !== 'step' || !tr.input || tr.input.type === 'restart') continue;
        const frozen = JSON.stringify(tr.before);
        const again = step(config, tr.before, tr.input, tr.atMs);
        if (JSON.stringify(tr.before) !== frozen) throw new Error(`step mutated its input state at ${tr.atMs}`);
        const plain = JSON.parse(JSON.stringify(again.state)) as unknown;
        if (JSON.stringify(plain) !== JSON.stringify(again.state)) throw new Error('state is not plain JSON');
        if (JSON.stringify(again.effects) !== JSON.stringify(tr.effects)) throw new Error(`replaying one step at ${tr.atMs} gave other effects`);
      }
    }),
    { numRuns: Math.ceil(RUNS / 4), seed: SEED },
  );
  t.pass(`pure (seed ${SEED})`);
  t.end();
});
