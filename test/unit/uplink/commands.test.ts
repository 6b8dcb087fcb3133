// Remote commands: only restore-now and a manual-limit that can only lower; the view they
// are judged against comes from the real core (initialState, step, describe).
import t from 'tap';
import fc from 'fast-check';
import { decideCommand } from '../../../agent/uplink/commands.js';
import { describe, initialState, step, type StatusView } from '../../../agent/core/index.js';
import { T0, garageConfig as garage } from '../../helpers/garage.js';

// The charger with no switch bound and no restore delay: a start holds a bound charger at its
// reduced current until the meter speaks, and these tests are about the owner's cap alone.
const garageConfig = { ...garage, bindings: [], restore: { ...garage.restore, maxDelayMs: 0 } };

function viewWith(manualA: number | null): StatusView {
  let s = step(garageConfig, initialState(garageConfig, 1), { type: 'tick' }, T0).state;
  if (manualA !== null) s = step(garageConfig, s, { type: 'owner-manual-limit', chargerId: 'garage', limitA: manualA }, T0 + 1000).state;
  return describe(garageConfig, s, T0 + 2000);
}

const free = viewWith(null); // garage at 32 A, no manual cap
const capped = viewWith(10); // garage at 10 A under the owner's 10 A cap

t.equal(free.chargers[0]?.appliedA, 32);
t.equal(capped.chargers[0]?.appliedA, 10);
t.equal(capped.chargers[0]?.manualLimitA, 10);

const cases: Array<[string, string, string, boolean, StatusView | undefined, RegExp | Record<string, unknown>]> = [
  ['restore-now, empty payload', 'restore-now', '', false, free, { by: 'fleet', via: 'mqtt' }],
  ['restore-now with a request id', 'restore-now', '{"requestId":"r-1"}', false, free, { by: 'fleet', via: 'mqtt', requestId: 'r-1' }],
  ['a retained command', 'restore-now', '', true, free, /retained/],
  ['an unknown command', 'clear-manual-limit', '{}', false, free, /unknown command/],
  ['a payload that is not JSON', 'manual-limit', 'limit=5', false, free, /not JSON/],
  ['a JSON array', 'manual-limit', '[1]', false, free, /JSON object/],
  ['a new cap below the applied limit', 'manual-limit', '{"chargerId":"garage","limitA":20}', false, free, { chargerId: 'garage', limitA: 20, by: 'fleet' }],
  ['a cap equal to the applied limit', 'manual-limit', '{"chargerId":"garage","limitA":32}', false, free, { limitA: 32 }],
  ['a cap above the applied limit', 'manual-limit', '{"chargerId":"garage","limitA":40}', false, free, /only lower/],
  ['under a 10 A cap, 8 A', 'manual-limit', '{"chargerId":"garage","limitA":8}', false, capped, { limitA: 8 }],
  ['under a 10 A cap, 12 A (would raise)', 'manual-limit', '{"chargerId":"garage","limitA":12}', false, capped, /only lower/],
  ['clearing the cap', 'manual-limit', '{"chargerId":"garage","limitA":null}', false, capped, /clearing/],
  ['no limitA', 'manual-limit', '{"chargerId":"garage"}', false, capped, /limitA is required/],
  ['a negative limit', 'manual-limit', '{"chargerId":"garage","limitA":-1}', false, free, />= 0/],
  ['a string limit', 'manual-limit', '{"chargerId":"garage","limitA":"6"}', false, free, />= 0/],
  ['an unknown charger', 'manual-limit', '{"chargerId":"shed","limitA":6}', false, free, /no charger "shed"/],
  ['no state yet', 'manual-limit', '{"chargerId":"garage","limitA":6}', false, undefined, /no state yet/],
];

for (const [what, name, payload, retained, view, want] of cases) {
  const d = decideCommand(name, Buffer.from(payload), retained, view);
  if (want instanceof RegExp) {
    t.notOk(d.ok, `${what}: refused`);
    if (!d.ok) t.match(d.reason, want, `${what}: ${d.reason}`);
  } else {
    t.ok(d.ok, `${what}: accepted`);
    if (d.ok) t.match(d.args, want, `${what}: args`);
  }
}

t.test('a manual-limit waiting in the queue for the same charger blocks a remote one', async (t) => {
  const pending = [{ name: 'manual-limit', args: { chargerId: 'garage', limitA: 6, by: 'owner', via: 'cli' } }];
  const d = decideCommand('manual-limit', '{"chargerId":"garage","limitA":20}', false, free, pending);
  t.notOk(d.ok);
  if (!d.ok) t.match(d.reason, /waiting to be applied/);
  t.ok(decideCommand('manual-limit', '{"chargerId":"garage","limitA":20}', false, free, [{ name: 'restore-now', args: {} }]).ok, 'other commands do not');
  t.ok(decideCommand('restore-now', '', false, free, pending).ok, 'restore-now is not held up');
});

t.test('property: an accepted manual-limit is never above the applied limit or the cap in force', async (t) => {
  fc.assert(
    fc.property(fc.option(fc.integer({ min: 0, max: 32 }), { nil: null }), fc.double({ min: -5, max: 60, noNaN: true }), (cap, limitA) => {
      const view = viewWith(cap);
      const c = view.chargers[0]!;
      const d = decideCommand('manual-limit', JSON.stringify({ chargerId: 'garage', limitA }), false, view);
      if (!d.ok) return true;
      return limitA >= 0 && limitA <= (c.appliedA as number) && (c.manualLimitA === null || limitA <= c.manualLimitA);
    }),
    { numRuns: 300 },
  );
  t.pass('held');
});
