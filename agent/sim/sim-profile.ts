// Which profile a simulated charger runs: a shipped one by id, a profile JSON file (a maker's
// new charger before it ships), or `generic` with a register map as the config's `registers:`.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { loadProfiles, ProfileError, resolveProfile, validateProfile, type Profile } from '../../drivers/charger/profile.js';
import type { ChargerConfig } from '../../config/types.js';

export function simProfile(opts: {
  profile?: string | undefined;
  profileFile?: string | undefined;
  registersFile?: string | undefined;
}): Profile | { error: string } {
  try {
    if (opts.profileFile !== undefined) {
      if (opts.profile !== undefined) return { error: 'give --profile or --profile-file, not both' };
      try {
        return validateProfile(JSON.parse(readFileSync(opts.profileFile, 'utf8')));
      } catch (err) {
        if (err instanceof ProfileError) return { error: err.errors.map((e) => `${opts.profileFile}: ${e}`).join('\n') };
        throw err;
      }
    }
    if (opts.profile === undefined) return { error: '--profile ID (or --profile-file FILE) is required' };
    let registers: Record<string, unknown> | undefined;
    if (opts.registersFile !== undefined) {
      const data: unknown = parseYaml(readFileSync(opts.registersFile, 'utf8'));
      if (typeof data !== 'object' || data === null || Array.isArray(data)) return { error: `${opts.registersFile}: expected a register map (an object)` };
      registers = data as Record<string, unknown>;
    }
    // generic builds its base from the charger's config (transport, unit, current range), which a
    // simulator has none of: a Modbus TCP charger with the IEC 61851 floor and a 32 A ceiling,
    // which the register file's setpoint minA/maxA override.
    const config = {
      id: 'sim',
      profile: opts.profile,
      transport: { type: 'tcp', host: '127.0.0.1', port: 502 },
      minCurrentA: 6,
      maxCurrentA: 32,
      ...(registers ? { registers } : {}),
    } as ChargerConfig;
    return resolveProfile(config, loadProfiles());
  } catch (err) {
    if (err instanceof ProfileError) return { error: err.errors.join('\n') };
    return { error: (err as Error).message };
  }
}
