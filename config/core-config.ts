// The decision core's view of a validated config: seconds become milliseconds, and each
// charger's current range is narrowed to what its profile can signal (a Heidelberg Energy
// Control accepts at most 16 A whatever the installation allows).

import type { BindingSpec, ChargerSpec, CoreConfig } from '../agent/core/types.js';
import type { ChargerConfig, Config } from './types.js';

/** What a profile can signal, by profile id (from drivers/charger/profiles/*.json). */
export type ProfileLimits = Record<string, { minCurrentA?: number; maxCurrentA?: number }>;

export interface CurrentRange {
  minCurrentA: number;
  maxCurrentA: number;
  /** The profile narrowed the configured range. */
  narrowed: boolean;
}

/** The configured min..max intersected with the profile's; min > max means they do not overlap. */
export function effectiveRange(charger: Pick<ChargerConfig, 'profile' | 'minCurrentA' | 'maxCurrentA'>, profileLimits?: ProfileLimits): CurrentRange {
  const p = profileLimits?.[charger.profile];
  const minCurrentA = Math.max(charger.minCurrentA, p?.minCurrentA ?? -Infinity);
  const maxCurrentA = Math.min(charger.maxCurrentA, p?.maxCurrentA ?? Infinity);
  return { minCurrentA, maxCurrentA, narrowed: minCurrentA !== charger.minCurrentA || maxCurrentA !== charger.maxCurrentA };
}

// Rounded: 1.1 s * 1000 is 1100.0000000000002 in floating point.
const sToMs = (s: number): number => Math.round(s * 1000);

/**
 * Throws only if a charger's range and its profile's do not overlap, which loadConfig reports
 * as a problem when given the same profileLimits.
 */
export function toCoreConfig(config: Config, profileLimits?: ProfileLimits): CoreConfig {
  const chargers: ChargerSpec[] = config.chargers.map((c) => {
    const r = effectiveRange(c, profileLimits);
    if (r.minCurrentA > r.maxCurrentA) {
      throw new Error(`charger ${c.id}: configured ${c.minCurrentA}..${c.maxCurrentA} A and profile ${c.profile}'s range do not overlap`);
    }
    return { id: c.id, minCurrentA: r.minCurrentA, maxCurrentA: r.maxCurrentA, allowPause: c.allowPause };
  });
  const bindings: BindingSpec[] = config.bindings.map((b) => {
    const spec: BindingSpec = { chargerIds: [...b.chargers], reducedCurrentA: b.reducedCurrentA };
    if (b.switch !== undefined) spec.switchIdx = b.switch;
    if (b.dev !== undefined) spec.dev = b.dev.toUpperCase();
    return spec;
  });
  const { boost, labels, link, restore, siteCapA } = config.rules;
  const core: CoreConfig = {
    chargers,
    bindings,
    boost: { liftsDnoOpen: boost.liftsDnoOpen },
    labels: { pattern: labels.pattern, flags: labels.flags, policy: labels.policy },
    link: { staleAfterMs: sToMs(link.staleAfterS), holdMs: sToMs(link.holdS), fallback: link.fallback },
    restore: { maxDelayMs: sToMs(restore.maxDelayS), meterRandomisesCalendar: restore.meterRandomisesCalendar },
  };
  if (restore.ramp !== undefined) {
    core.restore.ramp = { stepA: restore.ramp.stepA, intervalMs: sToMs(restore.ramp.intervalS) };
  }
  if (siteCapA !== undefined) core.siteCapA = siteCapA;
  return core;
}
