// `hcalcs-agent check-config [--config PATH] [--print]`: validates the config file the agent
// would run with and prints every problem as `path: message`, so a field engineer can fix
// a file on site before restarting the service. Exit codes follow sysexits.h.

import { stringify } from 'yaml';
import { CONFIG_ENV, configPathFrom, DEFAULT_CONFIG_PATH } from '../../config/config-path.js';
import type { ProfileLimits } from '../../config/core-config.js';
import { loadConfig } from '../../config/load.js';
import type { CrossCheckOptions } from '../../config/cross-checks.js';
import { EXIT } from './shared/exit-codes.js';

export interface TextSink {
  write(text: string): unknown;
}

export interface CheckConfigContext {
  out: TextSink;
  err: TextSink;
  /** Profile ids that exist; without it profile names are not checked. */
  knownProfiles?: string[];
  profileLimits?: ProfileLimits;
  /** The charger layer's profiles: every charger's merged profile is validated (supersedes the two above). */
  profiles?: CrossCheckOptions['profiles'];
  /** The same as `run` sees them (--as-run): a broken profile file disables its chargers with a warning. */
  profilesAsRun?: CrossCheckOptions['profiles'];
  /** Default process.env (for HCALCS_CONFIG). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Default process.cwd() (relative eventLog.path). */
  cwd?: string;
}

export const CHECK_CONFIG_USAGE = `usage: hcalcs-agent check-config [--config PATH] [--print]
  Validates the config file and prints every problem as "path: message".
  --config PATH  the file to check (default: $${CONFIG_ENV}, else ${DEFAULT_CONFIG_PATH})
  --print        also print the config as the agent reads it, defaults filled in
  --as-run       judge as run does: a charger whose profile file is broken is a warning
                 (run disables it and drives the others), not an error; for ExecStartPre
Exit status: 0 valid, ${EXIT.CONFIG} invalid or unreadable, ${EXIT.USAGE} bad arguments.
`;

export async function checkConfigCommand(argv: string[], ctx: CheckConfigContext): Promise<number> {
  const where = configPathFrom(argv, ctx.env ?? process.env);
  if (!where.ok) {
    ctx.err.write(`check-config: ${where.error}\n${CHECK_CONFIG_USAGE}`);
    return EXIT.USAGE;
  }
  let print = false;
  let asRun = false;
  for (const a of where.rest) {
    if (a === '--help' || a === '-h') {
      ctx.out.write(CHECK_CONFIG_USAGE);
      return EXIT.OK;
    }
    if (a === '--print') print = true;
    else if (a === '--as-run') asRun = true;
    else {
      ctx.err.write(`check-config: unknown argument ${JSON.stringify(a)}\n${CHECK_CONFIG_USAGE}`);
      return EXIT.USAGE;
    }
  }
  const options = {
    ...(ctx.knownProfiles ? { knownProfiles: ctx.knownProfiles } : {}),
    ...(ctx.profileLimits ? { profileLimits: ctx.profileLimits } : {}),
    ...(ctx.profiles ? { profiles: asRun && ctx.profilesAsRun ? ctx.profilesAsRun : ctx.profiles } : {}),
    ...(ctx.cwd ? { cwd: ctx.cwd } : {}),
  };
  const result = loadConfig(where.path, options);
  if (!result.ok) {
    const n = result.problems.length;
    ctx.err.write(`${where.path}: ${n} problem${n === 1 ? '' : 's'}\n`);
    for (const p of result.problems) ctx.err.write(`${p}\n`);
    return EXIT.CONFIG;
  }
  const { config, warnings } = result;
  for (const w of warnings) ctx.err.write(`warning: ${w}\n`);
  const nc = config.chargers.length;
  const nb = config.bindings.length;
  ctx.out.write(`config OK: ${nc} chargers, ${nb} bindings (${where.path})\n`);
  if (print) ctx.out.write(stringify(config));
  return EXIT.OK;
}
