// The charger layer's answer to "which profiles can this config name, and is each charger's
// merged profile valid": the bridge config validation uses, so check-config and run see
// the same profiles from the same search path.

import type { ProfileLimits } from '../config/core-config.js';
import type { ProfileView } from '../config/cross-checks.js';
import type { Problem } from '../config/schema-errors.js';
import { knownIds, loadCatalogue, profileSearchPath, resolveFromCatalogue, type ProfileCatalogue } from '../drivers/charger/profile-catalogue.js';

export interface ProfileViewOptions {
  /** Default /etc/hcalcs-agent/profiles. */
  siteDir?: string;
  cwd?: string;
}

/** `path: message` -> Problem; a profile file's problems carry the file as their path. */
function toProblem(line: string): Problem {
  const cut = line.indexOf(': ');
  return cut < 0 ? { path: line, message: 'is invalid' } : { path: line.slice(0, cut), message: line.slice(cut + 2) };
}

export function catalogueFor(profilesDir: string | undefined, o: ProfileViewOptions = {}): ProfileCatalogue {
  return loadCatalogue(
    profileSearchPath(profilesDir, { ...(o.siteDir !== undefined ? { siteDir: o.siteDir } : {}), ...(o.cwd !== undefined ? { cwd: o.cwd } : {}) }),
  );
}

export function limitsOf(cat: ProfileCatalogue): ProfileLimits {
  const limits: ProfileLimits = {};
  for (const [id, e] of cat.profiles) limits[id] = { minCurrentA: e.profile.setpoint.minA, maxCurrentA: e.profile.setpoint.maxA };
  return limits;
}

/**
 * @param brokenFiles "error": a charger on a broken profile file makes the config invalid
 *   (check-config); "warning": it is reported and the charger is left for the runtime to
 *   disable (run keeps the other chargers working).
 */
export function profileViewFactory(
  o: ProfileViewOptions & { brokenFiles: 'error' | 'warning'; onCatalogue?: (cat: ProfileCatalogue) => void },
): (profilesDir: string | undefined) => ProfileView {
  return (profilesDir) => {
    const cat = catalogueFor(profilesDir, o);
    o.onCatalogue?.(cat);
    const notices: Problem[] = cat.notices.map((message) => ({ path: 'profiles', message }));
    // A broken file no charger uses yet is named too: the next charger to use it would be disabled.
    for (const b of cat.broken.values())
      notices.push({ path: 'profiles', message: `${b.file} is invalid: ${b.errors.map((e) => e.slice(b.file.length + 2)).join('; ')}` });
    return {
      knownProfiles: knownIds(cat),
      profileLimits: limitsOf(cat),
      notices,
      problemsOf(charger, at) {
        const res = resolveFromCatalogue(charger, cat, at);
        if (res.ok) return [];
        if (o.brokenFiles === 'warning' && cat.broken.has(charger.profile) && charger.profile !== 'generic') {
          notices.push({
            path: at,
            message: `disabled: its profile file ${cat.broken.get(charger.profile)!.file} is invalid (check-config names the problems); the other chargers run`,
          });
          return [];
        }
        return res.problems.map(toProblem);
      },
    };
  };
}
