// The one time the core next needs a tick: the earliest of the stale deadline, a hold end, a
// lease end (or its re-ask), a boost end, a restore due time, a ramp step, the end of the
// start grace or of the unconfirmed cap, and the close of a bad-line window.

import type { CoreConfig, Ms } from './types.js';
import type { CoreState } from './state.js';
import { holdEndMs, nextLeaseWakeMs, staleDeadlineMs } from './link.js';
import { nextBootWakeMs } from './boot.js';
import { nextBadLinesWakeMs } from './badlines.js';

export interface Timer {
  kind: 'stale' | 'hold-end' | 'lease' | 'boost-end' | 'restore' | 'ramp' | 'start' | 'bad-lines';
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
  // A restore that fell due while an unconfirmed switch holds the target down waits for the
  // input that lifts it; it needs no tick (and asking for one in the past would spin).
  const last = state.lastStepMs ?? -Infinity;
  for (const [id, rec] of Object.entries(state.chargers)) {
    if (rec.restore && rec.restore.dueMs > last) out.push({ kind: 'restore', atMs: rec.restore.dueMs, chargerId: id });
    if (rec.ramp && rec.ramp.nextMs > last) out.push({ kind: 'ramp', atMs: rec.ramp.nextMs, chargerId: id });
  }
  const boot = nextBootWakeMs(config, state);
  if (boot !== null) out.push({ kind: 'start', atMs: boot });
  const bad = nextBadLinesWakeMs(state);
  if (bad !== null) out.push({ kind: 'bad-lines', atMs: bad });
  return out.sort((a, z) => a.atMs - z.atMs);
}

export function nextWakeMs(config: CoreConfig, state: CoreState): Ms | null {
  const all = timers(config, state);
  return all.length === 0 ? null : (all[0]?.atMs ?? null);
}
