// `hcalcs-agent manual-limit --charger ID (--limit A | --clear)`: the owner's own cap for one
// charger, a claim the decision core weighs with the others (it can lower, never lift, what
// a DNO asked for) and an explicit owner action, so an increase it allows is exempt from
// the restore delay. Left in the command queue for the running agent, like restore-now.

import { parseArgs } from 'node:util';
import { openEventLog } from '../event-log/store.js';
import { EX_USAGE } from './check-config.js';
import { configForCommand } from '../compose.js';

const USAGE = 'usage: hcalcs-agent manual-limit [--config PATH] --charger ID (--limit A | --clear)\n';

export async function manualLimitCommand(argv: string[]): Promise<number> {
  const loaded = configForCommand('manual-limit', argv);
  if (!loaded.ok) return loaded.code;
  let values: { charger?: string; limit?: string; clear?: boolean };
  try {
    ({ values } = parseArgs({
      args: loaded.rest,
      options: { charger: { type: 'string' }, limit: { type: 'string' }, clear: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`manual-limit: ${(err as Error).message}\n${USAGE}`);
    return EX_USAGE;
  }
  const limitA = values.limit === undefined ? null : Number(values.limit);
  if (!values.charger || (limitA === null) === !values.clear || (limitA !== null && !(Number.isFinite(limitA) && limitA >= 0))) {
    process.stderr.write(`manual-limit: give --charger and either --limit A (a number >= 0) or --clear\n${USAGE}`);
    return EX_USAGE;
  }
  if (!loaded.config.chargers.some((c) => c.id === values.charger)) {
    process.stderr.write(`manual-limit: no charger "${values.charger}" in ${loaded.path}\n`);
    return EX_USAGE;
  }
  const log = openEventLog(loaded.config.eventLog.path);
  try {
    const id = log.enqueueCommand({ name: 'manual-limit', args: { chargerId: values.charger, limitA, by: 'owner', via: 'cli' } });
    process.stdout.write(
      `manual-limit ${limitA === null ? 'clear' : `${limitA} A`} for ${values.charger} queued (command ${id}); the running agent applies it within a second\n`,
    );
    return 0;
  } finally {
    log.close();
  }
}
