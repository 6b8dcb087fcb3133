// `hcalcs-agent manual-limit --charger ID (--limit A | --clear)`: the owner's own cap for one
// charger, a claim the decision core weighs with the others (it can lower, never lift, what
// a DNO asked for) and an explicit owner action, so an increase it allows is exempt from
// the restore delay. Left in the command queue for the running agent, like restore-now.
import { parseOptions } from './shared/args.js';
import { EXIT } from './shared/exit-codes.js';
import { defaultIo, leaveCommand, ownerConfig, type OwnerIo } from './shared/owner-command.js';

export const MANUAL_LIMIT_USAGE = `usage: hcalcs-agent manual-limit --charger ID (--limit A | --clear) [--queue] [--config PATH]
  The owner's own cap for a charger (it can lower, never lift, a DNO's limit). A is a
  decimal number within the charger's range (0 pauses, where the charger allows it).
  Needs a running agent; --queue leaves it for the agent's next start instead.
`;

const OPTIONS = {
  charger: { type: 'string' },
  limit: { type: 'decimal', min: 0 },
  clear: { type: 'boolean' },
  queue: { type: 'boolean' },
  config: { type: 'string', short: 'c' },
} as const;

export async function manualLimitCommand(argv: string[], io: OwnerIo = defaultIo()): Promise<number> {
  const usage = (m: string) => {
    io.err.write(`hcalcs-agent manual-limit: ${m}\n${MANUAL_LIMIT_USAGE}`);
    return EXIT.USAGE;
  };
  const parsed = parseOptions(argv, OPTIONS);
  if (parsed.kind === 'help') {
    io.out.write(MANUAL_LIMIT_USAGE);
    return EXIT.OK;
  }
  if (parsed.kind === 'error') return usage(parsed.message);
  const v = parsed.values;
  if (v.charger === undefined) return usage('--charger is needed');
  if ((v.limit === undefined) === (v.clear !== true)) return usage('give either --limit A or --clear');
  const cfg = ownerConfig('manual-limit', v.config, io);
  if (typeof cfg === 'number') return cfg;
  const charger = cfg.config.chargers.find((c) => c.id === v.charger);
  if (charger === undefined) {
    return usage(`no charger "${v.charger}" in ${cfg.path} (there: ${cfg.config.chargers.map((c) => c.id).join(', ')})`);
  }
  const limitA = v.limit ?? null;
  if (limitA !== null) {
    const pause = limitA === 0 && charger.allowPause;
    if (!pause && (limitA < charger.minCurrentA || limitA > charger.maxCurrentA)) {
      return usage(
        `--limit ${limitA} is outside ${charger.id}'s range ${charger.minCurrentA}-${charger.maxCurrentA} A` +
          `${charger.allowPause ? ' (or 0 to pause)' : ''}`,
      );
    }
  }
  return leaveCommand(
    'manual-limit',
    cfg.config,
    { name: 'manual-limit', args: { chargerId: charger.id, limitA, by: 'owner', via: 'cli' } },
    `manual-limit ${limitA === null ? 'clear' : `${limitA} A`} for ${charger.id}`,
    v.queue === true,
    io,
  );
}
