// The smallest installation the shell tests use: one charger "garage" (6-32 A) driven by
// switch 2 (6 A while open), with the default rules.
import type { CoreConfig } from '../../agent/core/types.js';

export const T0 = Date.parse('2026-11-28T12:00:00Z');

export const garageConfig: CoreConfig = {
  chargers: [{ id: 'garage', minCurrentA: 6, maxCurrentA: 32, allowPause: false }],
  bindings: [{ switchIdx: 2, chargerIds: ['garage'], reducedCurrentA: 6 }],
  boost: { liftsDnoOpen: true },
  labels: { pattern: '\\bEV\\b|charg', flags: 'i', policy: 'warn' },
  link: { staleAfterMs: 60_000, holdMs: 300_000, fallback: 'normal' },
  restore: { maxDelayMs: 600_000, meterRandomisesCalendar: false },
};
