// `hcalcs-agent sim meter|charger`: the rig's simulators as processes.

import { simChargerCommand } from './sim-charger.js';
import { simMeterCommand } from './sim-meter.js';
import { EXIT } from './shared/exit-codes.js';

export const SIM_USAGE = 'usage: hcalcs-agent sim meter|charger [options]   (--help on either for its options)\n';

export function simCommand(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what === 'meter') return simMeterCommand(rest);
  if (what === 'charger') return simChargerCommand(rest);
  // Asked for, the usage is the answer (stdout, 0), as for every command; otherwise a mistake.
  if (what === '--help' || what === '-h') {
    process.stdout.write(SIM_USAGE);
    return Promise.resolve(EXIT.OK);
  }
  process.stderr.write(SIM_USAGE);
  return Promise.resolve(EXIT.USAGE);
}
