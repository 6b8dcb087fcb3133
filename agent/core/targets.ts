// The limit each charger should have now, from its claims, its own min/max and the site cap;
// the restore delay (restore.ts) decides how fast the applied limit may follow a rise.

import type { Amps, CoreConfig, Ms } from './types.js';
import type { CoreState } from './state.js';
import { chargerClaims, clampLimit, decisiveClaim, PRIORITY, type Claim } from './claims.js';
import { shareSiteCap } from './sitecap.js';

export interface Target {
  chargerId: string;
  targetA: Amps;
  claims: Claim[];
  decisive: Claim | null;
  notes: string[];
  siteCapUnmet: boolean;
}

export function computeTargets(config: CoreConfig, state: CoreState, nowMs: Ms): Map<string, Target> {
  const out = new Map<string, Target>();
  for (const c of config.chargers) {
    const claims = chargerClaims(config, state, c, nowMs).sort((a, z) => a.priority - z.priority);
    const decisive = decisiveClaim(claims);
    const cap = decisive?.capA ?? c.maxCurrentA;
    const { limitA, note } = clampLimit(c, cap);
    out.set(c.id, { chargerId: c.id, targetA: limitA, claims, decisive, notes: note ? [note] : [], siteCapUnmet: false });
  }
  if (config.siteCapA === undefined) return out;
  const shares = shareSiteCap(
    config.siteCapA,
    config.chargers.map((c) => ({ id: c.id, minA: c.minCurrentA, allowPause: c.allowPause, targetA: out.get(c.id)?.targetA ?? 0 })),
  );
  for (const c of config.chargers) {
    const t = out.get(c.id);
    const s = shares.get(c.id);
    if (!t || !s) continue;
    t.siteCapUnmet = s.unmet;
    if (s.note === null) continue;
    if (s.allocA < t.targetA) {
      const capClaim: Claim = { source: 'site-cap', priority: PRIORITY['site-cap'], capA: s.allocA, text: s.note };
      t.claims.push(capClaim);
      t.decisive = capClaim;
      t.targetA = s.allocA;
    } else {
      t.notes.push(s.note);
    }
  }
  return out;
}
