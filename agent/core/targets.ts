// The limit each charger should have now, from its claims, its own min/max and the site cap;
// the restore delay (restore.ts) decides how fast the applied limit may follow a rise.

import type { Amps, ChargerSpec, CoreConfig, Ms } from './types.js';
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
  /** The target if every switch unconfirmed since the start stood as saved (= targetA when
   *  none is). Higher than targetA: only an unconfirmed switch lowers it (boot.ts). */
  savedViewA: Amps;
  /** savedViewA > targetA. */
  holdable: boolean;
}

/** The target if every unconfirmed switch stood as saved. */
function savedViewA(c: ChargerSpec, claims: Claim[]): Amps {
  let cap = c.maxCurrentA;
  for (const x of claims) {
    const capA = x.unconfirmedSavedCapA !== undefined ? x.unconfirmedSavedCapA : x.capA;
    if (capA !== null && capA < cap) cap = capA;
  }
  return clampLimit(c, cap).limitA;
}

/** What a charger may draw when sharing the site cap: a charger held back at a start may still
 *  draw its saved limit, so the others get no share of what it may be using. */
function demandA(t: Target | undefined): Amps {
  return t === undefined ? 0 : Math.max(t.targetA, t.savedViewA);
}

export function computeTargets(config: CoreConfig, state: CoreState, nowMs: Ms): Map<string, Target> {
  const out = new Map<string, Target>();
  for (const c of config.chargers) {
    const claims = chargerClaims(config, state, c, nowMs).sort((a, z) => a.priority - z.priority);
    const decisive = decisiveClaim(claims);
    const cap = decisive?.capA ?? c.maxCurrentA;
    const { limitA, note } = clampLimit(c, cap);
    const saved = claims.some((x) => x.unconfirmedSavedCapA !== undefined) ? savedViewA(c, claims) : limitA;
    out.set(c.id, {
      chargerId: c.id,
      targetA: limitA,
      claims,
      decisive,
      notes: note ? [note] : [],
      siteCapUnmet: false,
      savedViewA: saved,
      holdable: saved > limitA,
    });
  }
  if (config.siteCapA === undefined) return out;
  const shares = shareSiteCap(
    config.siteCapA,
    config.chargers.map((c) => ({ id: c.id, minA: c.minCurrentA, allowPause: c.allowPause, targetA: demandA(out.get(c.id)) })),
  );
  for (const c of config.chargers) {
    const t = out.get(c.id);
    const s = shares.get(c.id);
    if (!t || !s) continue;
    t.siteCapUnmet = s.unmet;
    if (s.note === null) continue;
    t.savedViewA = Math.min(t.savedViewA, s.allocA);
    t.holdable = t.savedViewA > t.targetA;
    if (s.allocA < t.targetA) {
      const capClaim: Claim = { source: 'site-cap', priority: PRIORITY['site-cap'], capA: s.allocA, text: s.note };
      t.claims.push(capClaim);
      t.decisive = capClaim;
      t.targetA = s.allocA;
      t.savedViewA = s.allocA;
      t.holdable = false;
    } else {
      t.notes.push(s.note);
    }
  }
  return out;
}
