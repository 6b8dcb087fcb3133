// Which reported switch drives which binding. A binding names a switch number, a device id
// or both; with both, both must match, so a different HCALCS answering on the same number
// (a swapped or re-paired device) never drives the chargers.

import type { BindingSpec, CoreConfig } from './types.js';
import type { CoreState, SwitchRecord } from './state.js';

export function findSwitch(state: CoreState, b: BindingSpec): SwitchRecord | null {
  if (b.switchIdx !== undefined) {
    const rec = state.switches[String(b.switchIdx)];
    if (!rec) return null;
    if (b.dev !== undefined && rec.dev !== b.dev) return null;
    return rec;
  }
  if (b.dev === undefined) return null;
  let best: SwitchRecord | null = null;
  for (const rec of Object.values(state.switches)) {
    if (rec.dev !== b.dev) continue;
    if (best === null || rec.lastReportMs > best.lastReportMs) best = rec;
  }
  return best;
}

export function bindingName(b: BindingSpec): string {
  if (b.switchIdx !== undefined) return `switch ${b.switchIdx}`;
  return `switch dev ${b.dev ?? '?'}`;
}

/** Switch numbers that drive at least one binding now. */
export function boundIdxs(config: CoreConfig, state: CoreState): number[] {
  const out = new Set<number>();
  for (const b of config.bindings) {
    if (b.switchIdx !== undefined) out.add(b.switchIdx);
    else {
      const rec = findSwitch(state, b);
      if (rec) out.add(rec.idx);
    }
  }
  return [...out].sort((a, z) => a - z);
}

export function isBound(config: CoreConfig, state: CoreState, idx: number): boolean {
  return boundIdxs(config, state).includes(idx);
}

/** Chargers driven by the switch recorded under `idx`. */
export function chargersOfIdx(config: CoreConfig, state: CoreState, idx: number): string[] {
  const out: string[] = [];
  for (const b of config.bindings) {
    const rec = findSwitch(state, b);
    if (rec && rec.idx === idx) for (const id of b.chargerIds) if (!out.includes(id)) out.push(id);
  }
  return out;
}
