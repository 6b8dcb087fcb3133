// A charger's limit is computed afresh from claims. Every claim names its source; caps
// combine by taking the lowest (the safe choice: no source can raise what another lowers).
// A boost is not a cap: it suspends the claim of its own switch. Priority only orders the
// explanation and breaks ties between equal caps (the switch is named before the charger).

import type { Amps, BindingSpec, ChargerSpec, CoreConfig, Ms } from './types.js';
import type { CoreState, SwitchRecord } from './state.js';
import { bindingName, findSwitch } from './bindings.js';
import { boostEffect, liftRule } from './boost.js';
import { labelBlocks, labelWarning } from './labels.js';
import { holdEndMs, inFallback } from './link.js';
import { signalCapA, signalText } from './signal.js';
import { clockText } from './time.js';
import { confirmed, unconfirmedEndMs } from './boot.js';

export type ClaimSource = 'switch' | 'link-fallback' | 'label' | 'boost' | 'owner' | 'site-cap' | 'charger';

export const PRIORITY: Record<ClaimSource, number> = {
  switch: 10,
  'link-fallback': 20,
  label: 35,
  boost: 30,
  owner: 40,
  'site-cap': 50,
  charger: 60,
};

export interface Claim {
  source: ClaimSource;
  priority: number;
  /** The cap this claim puts on the charger; null for a claim that only explains. */
  capA: Amps | null;
  text: string;
  switchIdx?: number;
  /** Set on the cap of a switch the meter has not confirmed since the start: the cap the
   *  saved (or missing) state alone would give. A write is held back only for such a cap. */
  unconfirmedSavedCapA?: Amps | null;
}

function claim(source: ClaimSource, capA: Amps | null, text: string, switchIdx?: number): Claim {
  const c: Claim = { source, priority: PRIORITY[source], capA, text };
  if (switchIdx !== undefined) c.switchIdx = switchIdx;
  return c;
}

function bindingClaims(config: CoreConfig, state: CoreState, b: BindingSpec, charger: ChargerSpec, nowMs: Ms): Claim[] {
  const name = bindingName(b);
  const sw = findSwitch(state, b);
  if (!confirmed(state, sw)) {
    // Stale + hold since the start without an answer: the link fallback decides (reduced),
    // or (normal) the saved state stands as it did before this rule, like a live link's.
    const end = unconfirmedEndMs(config, state);
    const lapsed = end !== null && nowMs >= end;
    if (inFallback(config, state, sw, nowMs) || (lapsed && config.link.fallback === 'reduced')) return [fallbackClaim(config, state, b, name, sw, nowMs)];
    if (!lapsed) return [unconfirmedClaim(config, state, b, charger, name, sw, nowMs)];
  }
  if (!sw) {
    const out: Claim[] = [];
    const mm = b.switchIdx !== undefined ? state.devMismatch[String(b.switchIdx)] : undefined;
    if (mm) out.push(claim('switch', null, `${name} reports dev ${mm.dev ?? 'none'}, binding wants ${mm.expectedDev}: not acted on`, b.switchIdx));
    if (inFallback(config, state, null, nowMs)) out.push(fallbackClaim(config, state, b, name, null, nowMs));
    else if (!mm) out.push(claim('switch', null, `${name} state unknown`, b.switchIdx));
    return out;
  }
  const blocked = labelBlocks(config, state, sw.idx);
  if (blocked) return [claim('label', null, blocked, sw.idx)];

  const base = inFallback(config, state, sw, nowMs)
    ? fallbackClaim(config, state, b, `switch ${sw.idx}`, sw, nowMs)
    : claim(
        'switch',
        signalCapA(sw.signal, b.reducedCurrentA, charger.maxCurrentA),
        `switch ${sw.idx} ${signalText(sw.signal)}, cause ${sw.cause}, since ${clockText(sw.sinceMs)}`,
        sw.idx,
      );
  const out: Claim[] = [];
  const boost = base.capA !== null ? boostEffect(config, state, sw, nowMs) : null;
  if (boost && boost.lifts) {
    out.push({ ...base, capA: null, text: `${base.text} (lifted by boost)` });
    out.push(claim('boost', null, boost.text, sw.idx));
  } else {
    out.push(base);
    if (boost) out.push(claim('boost', null, boost.text, sw.idx));
    const denial = state.boost.denials[String(sw.idx)];
    if (denial && base.capA !== null) out.push(claim('boost', null, `boost denied: ${denial.reason}`, sw.idx));
  }
  const warn = labelWarning(config, state, sw.idx);
  if (warn) out.push(claim('label', null, warn, sw.idx));
  return out;
}

/** What the saved (or missing) state says, capped at the reduced current until the meter speaks. */
function unconfirmedClaim(config: CoreConfig, state: CoreState, b: BindingSpec, charger: ChargerSpec, name: string, sw: SwitchRecord | null, nowMs: Ms): Claim {
  let saved: Amps | null = null;
  let last = 'never reported';
  if (sw) {
    last = `last ${signalText(sw.signal)}, cause ${sw.cause}`;
    const blocked = labelBlocks(config, state, sw.idx);
    const base = blocked ? null : signalCapA(sw.signal, b.reducedCurrentA, charger.maxCurrentA);
    const boost = base !== null ? boostEffect(config, state, sw, nowMs) : null;
    saved = boost && boost.lifts ? null : base;
  }
  const capA = saved === null ? b.reducedCurrentA : Math.min(saved, b.reducedCurrentA);
  const c = claim('switch', capA, `${name} not confirmed by the meter since the start (${last}): counts as open`, sw?.idx ?? b.switchIdx);
  c.unconfirmedSavedCapA = saved;
  return c;
}

function fallbackClaim(config: CoreConfig, state: CoreState, b: BindingSpec, name: string, sw: SwitchRecord | null, nowMs: Ms): Claim {
  const unconfirmedEnd = confirmed(state, sw) ? null : unconfirmedEndMs(config, state);
  const holdEnd = holdEndMs(config, state, sw);
  const last = sw ? ` (last ${signalText(sw.signal)}, cause ${sw.cause})` : ' (state never known)';
  let head: string;
  if (holdEnd !== null && nowMs >= holdEnd) {
    const since = state.link.staleSinceMs ?? 0;
    head = `link stale since ${clockText(since)}, hold ended ${clockText(holdEnd)}`;
  } else {
    head = `not confirmed by the meter for stale + hold since the start (until ${clockText(unconfirmedEnd ?? nowMs)})`;
  }
  const idx = sw?.idx ?? b.switchIdx;
  if (config.link.fallback === 'normal') return claim('link-fallback', null, `${head}: fallback normal for ${name}${last} (Reg 7)`, idx);
  return claim('link-fallback', b.reducedCurrentA, `${head}: fallback reduced for ${name}${last}`, idx);
}

export function chargerClaims(config: CoreConfig, state: CoreState, charger: ChargerSpec, nowMs: Ms): Claim[] {
  const out: Claim[] = [];
  for (const b of config.bindings) {
    if (b.chargerIds.includes(charger.id)) out.push(...bindingClaims(config, state, b, charger, nowMs));
  }
  const manual = state.chargers[charger.id]?.manualA ?? null;
  if (manual !== null) out.push(claim('owner', manual, `owner's manual limit ${manual} A`));
  out.push(claim('charger', charger.maxCurrentA, `charger ${charger.id} maximum ${charger.maxCurrentA} A`));
  return out;
}

/** The lowest cap and the claim that sets it (first by priority among equals). */
export function decisiveClaim(claims: Claim[]): Claim | null {
  let best: Claim | null = null;
  for (const c of claims) {
    if (c.capA === null) continue;
    if (best === null || best.capA === null || c.capA < best.capA || (c.capA === best.capA && c.priority < best.priority)) best = c;
  }
  return best;
}

/** IEC 61851: 0 (pause) or min..max. Below the minimum pauses if allowed, else holds the minimum. */
export function clampLimit(charger: ChargerSpec, capA: Amps): { limitA: Amps; note: string | null } {
  if (capA >= charger.minCurrentA) return { limitA: Math.min(capA, charger.maxCurrentA), note: null };
  if (charger.allowPause) {
    return { limitA: 0, note: capA > 0 ? `paused: ${capA} A is below the charger's minimum ${charger.minCurrentA} A` : null };
  }
  return {
    limitA: charger.minCurrentA,
    note: `held at the charger's minimum ${charger.minCurrentA} A above the cap ${capA} A (pausing not allowed)`,
  };
}

export { liftRule };
