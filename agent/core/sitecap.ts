// Sharing an optional site cap among chargers. The rule, in order:
// 1. If the chargers' own targets fit under the cap, nothing changes.
// 2. If even their minimums do not fit, chargers that may pause are paused, starting from the
//    last in the config, until the minimums of the rest fit (earlier chargers keep charging).
// 3. If they still do not fit (no charger may pause), every charger gets its minimum and the
//    explanation says the cap could not be met: below the minimum a charger cannot signal.
// 4. Otherwise the cap is shared in equal shares ("water level"): each charger gets the same
//    current, raised to its minimum and lowered to its own target, floored to 0.1 A so the
//    shares never add up to more than the cap.

import type { Amps } from './types.js';

export interface ShareItem {
  id: string;
  minA: Amps;
  allowPause: boolean;
  targetA: Amps;
}

export interface Share {
  allocA: Amps;
  note: string | null;
  unmet: boolean;
}

export function shareSiteCap(capA: Amps, items: ShareItem[]): Map<string, Share> {
  const out = new Map<string, Share>();
  for (const i of items) out.set(i.id, { allocA: i.targetA, note: null, unmet: false });
  const active = items.filter((i) => i.targetA > 0);
  const total = active.reduce((s, i) => s + i.targetA, 0);
  if (total <= capA) return out;

  let running = [...active];
  const sumMin = (): number => running.reduce((s, i) => s + i.minA, 0);
  for (let k = running.length - 1; k >= 0 && sumMin() > capA; k--) {
    const it = running[k];
    if (!it || !it.allowPause) continue;
    running = running.filter((r) => r !== it);
    out.set(it.id, { allocA: 0, note: `paused to keep the site cap ${capA} A (the others' minimums fill it)`, unmet: false });
  }
  if (sumMin() > capA) {
    for (const it of running) {
      out.set(it.id, {
        allocA: it.minA,
        note: `site cap ${capA} A cannot be met: the minimums add up to ${sumMin()} A and these chargers may not pause`,
        unmet: true,
      });
    }
    return out;
  }
  const level = (l: number): number => running.reduce((s, i) => s + Math.min(i.targetA, Math.max(i.minA, l)), 0);
  let lo = 0;
  let hi = Math.max(...running.map((i) => i.targetA));
  for (let n = 0; n < 60; n++) {
    const mid = (lo + hi) / 2;
    if (level(mid) <= capA) lo = mid;
    else hi = mid;
  }
  for (const it of running) {
    const exact = Math.min(it.targetA, Math.max(it.minA, lo));
    const allocA = Math.max(it.minA, Math.floor(exact * 10 + 1e-9) / 10);
    const note = allocA < it.targetA ? `site cap ${capA} A shared among ${running.length} charging: ${allocA} A here` : null;
    out.set(it.id, { allocA: Math.min(allocA, it.targetA), note, unmet: false });
  }
  return out;
}
