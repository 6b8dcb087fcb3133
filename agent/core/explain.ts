// One line a field engineer can read: the limit, the claim that set it, then everything else
// that was weighed. e.g.
//   6 A <- switch 2 open, cause dno, since 12:03:01Z; boost denied: switch 2 not on the Boost Button

import type { Amps } from './types.js';
import type { PendingRestore } from './state.js';
import type { Target } from './targets.js';
import { clockText } from './time.js';

export function explain(appliedA: Amps, t: Target, restore: PendingRestore | null, ramp: { nextMs: number } | null): string {
  const reason = t.decisive ? t.decisive.text : 'no claims';
  const others = t.claims.filter((c) => c !== t.decisive && c.source !== 'charger').map((c) => c.text);
  let head: string;
  if (appliedA < t.targetA) {
    const wait = restore
      ? `restore to ${t.targetA} A due ${clockText(restore.dueMs)} (random delay, Reg 11)`
      : ramp
        ? `ramping to ${t.targetA} A, next step ${clockText(ramp.nextMs)}`
        : `held below ${t.targetA} A`;
    head = `${appliedA} A <- ${wait}; target ${t.targetA} A <- ${reason}`;
  } else {
    head = `${appliedA} A <- ${reason}`;
  }
  return [head, ...others, ...t.notes].join('; ');
}

export function claimsData(t: Target): Array<{ source: string; capA: Amps | null; text: string }> {
  return t.claims.map((c) => ({ source: c.source, capA: c.capA, text: c.text }));
}
