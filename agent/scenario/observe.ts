// What a scenario's assertions look at besides the rig: the agent's event log (read only, as
// `hcalcs-agent log` reads it), `status --json` paths, and how a value compares to a Match.

import { existsSync } from 'node:fs';
import { openEventLog } from '../event-log/store.js';
import type { EventLog, EventRow } from '../event-log/types.js';
import type { Match } from './types.js';

export class EventReader {
  private log: EventLog | null = null;

  constructor(private readonly path: string) {}

  private open(): EventLog | null {
    if (this.log === null && existsSync(this.path)) {
      try {
        this.log = openEventLog(this.path, { readonly: true });
      } catch {
        // Not created completely yet: the next poll tries again.
        this.log = null;
      }
    }
    return this.log;
  }

  /** The newest row's id (0: none yet): the cursor for "events since this step". */
  lastId(): number {
    return this.open()?.query({ limit: 1 })[0]?.id ?? 0;
  }

  /** Rows of `kind` after row `afterId`, oldest first. */
  since(kind: string, afterId: number): EventRow[] {
    const log = this.open();
    if (log === null) return [];
    // The newest rows first bound the scan; the cursor is recent in every scenario.
    return log.query({ kind, limit: 5000 }).filter((r) => r.id > afterId);
  }

  close(): void {
    this.log?.close();
    this.log = null;
  }
}

/**
 * A value at a dot path: `link.state`, `chargers.garage.appliedA`, `switches.2.state`.
 * In a list a word picks the item whose id or idx equals it; `[n]` picks by position.
 */
export function valueAtPath(root: unknown, path: string): { found: boolean; value: unknown } {
  let node = root;
  for (const seg of path.split('.').flatMap((s) => s.split(/(?=\[)/))) {
    if (node === null || typeof node !== 'object') return { found: false, value: undefined };
    const pos = /^\[(\d+)\]$/.exec(seg);
    if (pos) {
      if (!Array.isArray(node)) return { found: false, value: undefined };
      node = node[Number(pos[1])];
    } else if (Array.isArray(node)) {
      node = node.find((item: unknown) => {
        const o = item as Record<string, unknown> | null;
        return o !== null && typeof o === 'object' && (String(o.id) === seg || String(o.idx) === seg);
      });
    } else {
      if (!(seg in (node as object))) return { found: false, value: undefined };
      node = (node as Record<string, unknown>)[seg];
    }
    if (node === undefined) return { found: false, value: undefined };
  }
  return { found: true, value: node };
}

const DEFAULT_TOLERANCE = 0.05;

export function matches(m: Match, v: unknown): boolean {
  if (typeof m === 'number') return typeof v === 'number' && Math.abs(v - m) <= DEFAULT_TOLERANCE;
  if (m === null || typeof m !== 'object') return v === m;
  const num = typeof v === 'number' ? v : null;
  if ((m.atLeast !== undefined || m.atMost !== undefined || m.between !== undefined || m.approx !== undefined) && num === null) return false;
  if (m.atLeast !== undefined && num! < m.atLeast - 1e-9) return false;
  if (m.atMost !== undefined && num! > m.atMost + 1e-9) return false;
  if (m.between !== undefined && (num! < m.between[0] - 1e-9 || num! > m.between[1] + 1e-9)) return false;
  if (m.approx !== undefined && Math.abs(num! - m.approx) > (m.tolerance ?? DEFAULT_TOLERANCE)) return false;
  if (m.not !== undefined && (typeof m.not === 'number' ? typeof v === 'number' && Math.abs(v - m.not) <= DEFAULT_TOLERANCE : v === m.not)) return false;
  if (m.matches !== undefined && !new RegExp(m.matches).test(typeof v === 'string' ? v : JSON.stringify(v))) return false;
  return true;
}

export function show(v: unknown): string {
  if (typeof v === 'number') return String(Math.round(v * 1000) / 1000);
  if (v === undefined) return '(absent)';
  return JSON.stringify(v);
}
