// The machine's memory: a fresh one, and the copy each step works on so the state it was
// given stays as it was.

import type { Cycle, MachineState } from './types.js';

export function initialState(): MachineState {
  return {
    started: false,
    closed: false,
    connected: false,
    lastError: null,
    appliedA: null,
    desiredA: null,
    explanation: null,
    wouldWriteA: null,
    lastReading: null,
    lastReadingAtMs: null,
    lastWrite: null,
    verification: { status: 'idle' },
    verifyGen: 0,
    verifyFromMs: 0,
    connectFailures: 0,
    writeFailures: 0,
    failedCycles: 0,
    facts: null,
    timers: { tick: false, verify: false, connect: false, 'write-retry': false },
    cycle: { at: 'idle' },
    write: null,
    verifyLane: { at: 'idle' },
  };
}

/**
 * A copy deep enough for a step: the parts handlers change in place are copied; readings,
 * write outcomes and facts are only ever replaced, so they are shared. (structuredClone
 * costs about ten times as much, on the path from a new limit to its write.)
 */
export function cloneState(s: MachineState): MachineState {
  return {
    ...s,
    verification: { ...s.verification },
    timers: { ...s.timers },
    cycle: 't' in s.cycle ? ({ ...s.cycle, t: { ...s.cycle.t } } as Cycle) : s.cycle,
    write: s.write === null ? null : { ...s.write },
    verifyLane: { ...s.verifyLane },
  };
}
