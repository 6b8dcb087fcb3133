// What a switch tells the core, as a signal rather than a boolean, so that a level from an
// Auxiliary Proportional Controller (SRV 7.13-7.16: 0-100 %) can replace open/closed later
// without touching claims, boost, link or restore: they all ask this file for a cap.
//   binary open    -> the binding's reduced current
//   binary closed  -> no cap
//   level p %      -> reduced + (max - reduced) * p / 100, floored to 0.1 A; 100 % -> no cap
// HAN line protocol v1 carries only open/closed, so today every signal is binary.

import type { SwitchReport, SwitchState } from './inputs.js';
import type { Amps } from './types.js';

export type SwitchSignal = { kind: 'binary'; state: SwitchState } | { kind: 'level'; percent: number };

export function signalFromMessage(msg: SwitchReport): SwitchSignal {
  return { kind: 'binary', state: msg.state };
}

export function sameSignal(a: SwitchSignal, b: SwitchSignal): boolean {
  if (a.kind === 'binary' && b.kind === 'binary') return a.state === b.state;
  if (a.kind === 'level' && b.kind === 'level') return a.percent === b.percent;
  return false;
}

export function signalText(sig: SwitchSignal): string {
  return sig.kind === 'binary' ? sig.state : `at ${sig.percent} %`;
}

/** The cap a signal puts on a charger, or null for none. */
export function signalCapA(sig: SwitchSignal, reducedA: Amps, fullA: Amps): Amps | null {
  if (sig.kind === 'binary') return sig.state === 'open' ? reducedA : null;
  const p = Math.min(100, Math.max(0, sig.percent));
  if (p >= 100) return null;
  const span = Math.max(0, fullA - reducedA);
  return Math.floor((reducedA + (span * p) / 100) * 10) / 10;
}

/** Does going from `before` to `after` raise (or remove) the cap? */
export function signalLifts(before: SwitchSignal | null, after: SwitchSignal): boolean {
  if (before === null) return false;
  const capBefore = signalCapA(before, 0, 100);
  const capAfter = signalCapA(after, 0, 100);
  if (capBefore === null) return false;
  return capAfter === null || capAfter > capBefore;
}
