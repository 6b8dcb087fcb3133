// `hcalcs-agent sim meter|charger`: the rig's simulators as processes.

import { simChargerCommand } from './sim-charger.js';
import { simMeterCommand } from './sim-meter.js';
import { EXIT } from './shared/exit-codes.js';

export function simCommand(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what === 'meter') return simMeterCommand(rest);
  if (what === 'charger') return simChargerCommand(rest);
  process.stderr.write('usage: hcalcs-agent sim meter|charger [options]   (--help on either for its options)\n');
  return Promise.resolve(what === undefined || what === '--help' ? (what === undefined ? EXIT.USAGE : 0) : EXIT.USAGE);
}
