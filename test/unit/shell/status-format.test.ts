// What a field engineer reads on the console: running or not, and each charger's limit and why.
import t from 'tap';
import { describe, initialState, step } from '../../../agent/core/index.js';
import { garageConfig, T0 } from '../../helpers/garage.js';
import { formatStatus } from '../../../agent/cli/status.js';

const config = garageConfig;

function viewAfterOpen() {
  let s = step(config, initialState(config, 1), { type: 'tick' }, T0).state;
  s = step(config, s, { type: 'han', message: { verb: 'SWITCH', idx: 2, type: 'HCALCS', state: 'open', cause: 'dno' } }, T0 + 1000).state;
  return describe(config, s, T0 + 2000);
}

const snapshot = { pid: 42, dryRun: false, startedAtMs: T0, updatedAtMs: T0 + 1500, linkUp: true, lastLineAtMs: T0 + 1000, chargers: {} };

t.test('a running agent, a DNO reduction and its reason', async (t) => {
  const text = formatStatus(viewAfterOpen(), { ...snapshot, stoppedAtMs: null }, T0 + 2000);
  t.match(text, /agent +running, pid 42/);
  t.match(text, /#2 HCALCS open, cause dno/);
  t.match(text, /garage +6 A +6 A <- switch 2 open, cause dno/);
});

t.test('a stopped agent is never shown as running, however recent its snapshot', async (t) => {
  const text = formatStatus(viewAfterOpen(), { ...snapshot, stoppedAtMs: T0 + 1500 }, T0 + 2000);
  t.match(text, /NOT RUNNING \(stopped at 12:00:01Z/);
});
