// An independent, deliberately small model of what the core was told, for the safety
// property: which bound switch stands open, whether a boost may lift it, whether its label
// lets the agent act, and whether the link could be in fallback. Where the model cannot be
// sure (a link that may be stale), the property does not assert: it never guesses in the
// core's favour.

import type { CoreConfig, Input } from '../../../agent/core/types.js';
import type { SwitchCause } from '../../../agent/core/inputs.js';
import { MIN } from './fixtures.js';

interface SwitchModel {
  state: 'open' | 'closed';
  cause: SwitchCause;
  dev: string | null;
}

export class Model {
  sw = new Map<number, SwitchModel>();
  labels = new Map<number, { text: string | null; missing: boolean }>();
  seen = new Set<number>();
  loads: number[] | null = null;
  periodMin: number | null = null;
  boostUntil = new Map<number, number>();
  lastLineMs: number | null = null;
  startMs: number | null = null;

  constructor(private readonly config: CoreConfig) {}

  apply(input: Input, nowMs: number): void {
    if (this.startMs === null) this.startMs = nowMs;
    if (input.type !== 'han') return;
    this.lastLineMs = nowMs;
    const m = input.message;
    switch (m.verb) {
      case 'SWITCH': {
        const prev = this.sw.get(m.idx);
        const dev = m.dev ?? prev?.dev ?? null;
        const changed = !prev || prev.state !== m.state || prev.dev !== dev;
        const cause = !changed && m.cause === 'unknown' && prev ? prev.cause : m.cause;
        this.sw.set(m.idx, { state: m.state, cause, dev });
        return;
      }
      case 'LABEL':
        this.labels.set(m.idx, { text: m.text, missing: false });
        this.seen.add(m.idx);
        return;
      case 'END': {
        if (m.what !== 'switches') return;
        const candidates = new Set<number>([...this.config.bindings.flatMap((b) => (b.switchIdx === undefined ? [] : [b.switchIdx])), ...this.sw.keys()]);
        for (const idx of candidates) {
          if (this.seen.has(idx)) continue;
          this.labels.set(idx, { text: this.labels.get(idx)?.text ?? null, missing: true });
        }
        this.seen.clear();
        return;
      }
      case 'BOOSTCFG':
        this.loads = m.loads;
        this.periodMin = m.periodMin;
        for (const idx of [...this.boostUntil.keys()]) if (!m.loads.includes(idx)) this.boostUntil.delete(idx);
        return;
      case 'BOOST':
        if (m.action === 'cancel') this.boostUntil.clear();
        else if (this.loads !== null && this.periodMin !== null) for (const idx of this.loads) this.boostUntil.set(idx, nowMs + this.periodMin * MIN);
        return;
      default:
        return;
    }
  }

  labelAlarm(idx: number): boolean {
    const l = this.labels.get(idx);
    if (!l) return false;
    return l.missing || (l.text !== null && !/ev|charg/i.test(l.text));
  }

  /** The highest limit each charger may have now if the model is sure, else nothing. */
  caps(nowMs: number): Map<string, { capA: number; why: string }> {
    const out = new Map<string, { capA: number; why: string }>();
    const c = this.config;
    const maybeStale = this.lastLineMs === null || nowMs - this.lastLineMs >= c.link.staleAfterMs;
    if (maybeStale && c.link.fallback === 'normal') return out;
    for (const b of c.bindings) {
      if (b.switchIdx === undefined) continue;
      const s = this.sw.get(b.switchIdx);
      if (!s || s.state !== 'open') continue;
      if (b.dev !== undefined && s.dev !== b.dev) continue;
      if (c.labels.policy === 'enforce' && this.labelAlarm(b.switchIdx)) continue;
      const until = this.boostUntil.get(b.switchIdx);
      const boostLifts = until !== undefined && nowMs < until && (s.cause !== 'dno' || c.boost.liftsDnoOpen);
      if (boostLifts) continue;
      for (const id of b.chargerIds) {
        const ch = c.chargers.find((x) => x.id === id);
        if (!ch) continue;
        const floor = b.reducedCurrentA >= ch.minCurrentA ? b.reducedCurrentA : ch.allowPause ? 0 : ch.minCurrentA;
        const prev = out.get(id);
        if (!prev || floor < prev.capA) out.set(id, { capA: floor, why: `switch ${b.switchIdx} open (cause ${s.cause}), reduced ${b.reducedCurrentA} A` });
      }
    }
    return out;
  }
}
