// Input the core does not know (a HAN verb from a newer parser, an input type from a newer
// shell) is recorded as core.bad-input, naming what it was, and otherwise acts as nothing
// more than what it surely is: a HAN line is a sign of life (as a heartbeat), an unknown input
// a tick. No limit moves because of it, so a mismatched build cannot move a charger.
import t from 'tap';
import type { Effect, Input } from '../../../agent/core/types.js';
import { events, han, makeConfig, run, S } from './fixtures.js';

const config = makeConfig();
const settled = run(config, [[0, { type: 'tick' }]]).state;

/** The effects without core.bad-input, and the state, after one input at S from `settled`. */
function after(input: Input) {
  const r = run(config, [[S, input]], structuredClone(settled));
  const rest = r.effects.filter((e: Effect) => !(e.type === 'event' && e.kind === 'core.bad-input'));
  return { r, rest };
}

t.test('a HAN message with a verb the core does not know: recorded, else a heartbeat', async (t) => {
  const odd = after(han({ verb: 'TARIFF', seq: 7 } as unknown as Parameters<typeof han>[0]));
  const hb = after(han({ verb: 'HB', seq: 7 }));
  t.same(
    events(odd.r.effects, 'core.bad-input').map((e) => e.data),
    [{ reason: 'unknown message verb', verb: 'TARIFF' }],
  );
  t.same(odd.rest, hb.rest, 'the same effects as a heartbeat');
  t.same(odd.r.state.switches, hb.r.state.switches, 'no switch recorded');
});

t.test('an input type the core does not know: recorded, else a tick', async (t) => {
  const odd = after({ type: 'meter-tariff', band: 'peak' } as unknown as Input);
  const tick = after({ type: 'tick' });
  t.same(
    events(odd.r.effects, 'core.bad-input').map((e) => e.data),
    [{ reason: 'unknown input type', type: 'meter-tariff' }],
  );
  t.same(odd.rest, tick.rest, 'the same effects as a tick');
  t.same(odd.r.state.switches, tick.r.state.switches);
});
