// `hcalcs-agent restore-now`: the owner's explicit override of a pending restore delay
// (Smart Charge Points Regulations, Reg 11 lets the owner cancel it). The command is left in
// the event log's command queue; the running agent takes it within a second and records it.

import { openEventLog } from '../event-log/store.js';
import { EX_USAGE } from './check-config.js';
import { configForCommand } from '../compose.js';

export async function restoreNowCommand(argv: string[]): Promise<number> {
  const loaded = configForCommand('restore-now', argv);
  if (!loaded.ok) return loaded.code;
  if (loaded.rest.length > 0) {
    process.stderr.write(`usage: hcalcs-agent restore-now [--config PATH]\n`);
    return EX_USAGE;
  }
  const log = openEventLog(loaded.config.eventLog.path);
  try {
    const id = log.enqueueCommand({ name: 'restore-now', args: { by: 'owner', via: 'cli' } });
    process.stdout.write(`restore-now queued (command ${id}); the running agent applies it within a second — see 'hcalcs-agent status'\n`);
    return 0;
  } finally {
    log.close();
  }
}
