// What the link handed on, counted by outcome: the link itself keeps no line counters (the
// core counts lines once), so its tests count the 'line' events they received.
import type { HanLine } from '../../../drivers/han/link.js';

export function tally(lines: readonly HanLine[]): { ok: number; ignored: number; rejected: Record<string, number> } {
  const out = { ok: 0, ignored: 0, rejected: {} as Record<string, number> };
  for (const l of lines) {
    if (l.outcome.kind === 'message') out.ok++;
    else if (l.outcome.kind === 'ignored') out.ignored++;
    else if (l.outcome.kind === 'rejected') out.rejected[l.outcome.reason] = (out.rejected[l.outcome.reason] ?? 0) + 1;
  }
  return out;
}
