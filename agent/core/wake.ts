// The one time the core next needs a tick: the earliest of the stale deadline, a hold end, a
// lease end (or its re-ask), a boost end, a restore due time and a ramp step.

import type { CoreConfig, Ms } from './types.js';
import type { CoreState } from './state.js';
import { holdEndMs, nextLeaseWakeMs, staleDeadlineMs } from './link.js';

export interface Timer {
  kind: 'stale' | 'hold-end' | 'lease' | 'boost-end' | 'restore' | 'ramp';
  atMs: Ms;
  switchIdx?: number;
  chargerId?: string;
}

export function timers(config: CoreConfig, state: CoreState): Timer[] {
  const out: Timer[] = [];
  if (state.link.staleSinceMs === null) {
    const d = staleDeadlineMs(config, state);
    if (d !== null) out.push({ kind: 'stale', atMs: d });
  } else {
    if (!state.link.globalFallback) out.push({ kind: 'hold-end', atMs: state.link.staleSinceMs + config.link.holdMs });
    for (const sw of Object.values(state.switches)) {
      const end = holdEndMs(config, state, sw);
      if (!sw.inFallback && end !== null) out.push({ kind: 'hold-end', atMs: end, switchIdx: sw.idx });
    }
  }
  for (const sw of Object.values(state.switches)) {
    const at = nextLeaseWakeMs(config, sw);
    if (at !== null) out.push({ kind: 'lease', atMs: at, switchIdx: sw.idx });
  }
  for (const [key, g] of Object.entries(state.boost.active)) out.push({ kind: 'boost-end', atMs: g.untilMs, switchIdx: Number(key) });
  for (const [id, rec] of Object.entries(state.chargers)) {
    if (rec.restore) out.push({ kind: 'restore', atMs: rec.restore.dueMs, chargerId: id });
    if (rec.ramp) out.push({ kind: 'ramp', atMs: rec.ramp.nextMs, chargerId: id });
  }
  return out.sort((a, z) => a.atMs - z.atMs);
}

export function nextWakeMs(config: CoreConfig, state: CoreState): Ms | null {
  const all = timers(config, state);
  return all.length === 0 ? null : (all[0]?.atMs ?? null);
}
