// `hcalcs-agent restore-now`: the owner's explicit override of a pending restore delay
// (Smart Charge Points Regulations, Reg 11 lets the owner cancel it). The command is left in
// the event log's command queue; the running agent takes it within a second and records it.
import { parseOptions } from './shared/args.js';
import { EXIT } from './shared/exit-codes.js';
import { defaultIo, leaveCommand, ownerConfig, type OwnerIo } from './shared/owner-command.js';

export const RESTORE_NOW_USAGE = `usage: hcalcs-agent restore-now [--queue] [--config PATH]
  The owner cancels a pending restore delay (Reg 11). Needs a running agent; --queue
  leaves it for the agent's next start instead.
`;

const OPTIONS = { queue: { type: 'boolean' }, config: { type: 'string', short: 'c' } } as const;

export async function restoreNowCommand(argv: string[], io: OwnerIo = defaultIo()): Promise<number> {
  const parsed = parseOptions(argv, OPTIONS);
  if (parsed.kind === 'help') {
    io.out.write(RESTORE_NOW_USAGE);
    return EXIT.OK;
  }
  if (parsed.kind === 'error') {
    io.err.write(`hcalcs-agent restore-now: ${parsed.message}\n${RESTORE_NOW_USAGE}`);
    return EXIT.USAGE;
  }
  const cfg = ownerConfig('restore-now', parsed.values.config, io);
  if (typeof cfg === 'number') return cfg;
  return leaveCommand('restore-now', cfg.config, { name: 'restore-now', args: { by: 'owner', via: 'cli' } }, 'restore-now', parsed.values.queue === true, io);
}
