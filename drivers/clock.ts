// The one time boundary of the program: the runtime, the charger layer, the HAN link, the
// history sampler and the commands all take a Clock, so tests drive time with a fake instead
// of waiting. It sits in drivers/ because drivers may not import agent/ and the agent may
// import drivers/: the lowest layer both use.

export interface Clock {
  /** Wall time, ms since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Milliseconds from an arbitrary origin that never go back and ignore wall-clock steps
   * (agent/time-base.ts builds the agent's timeline on it). Absent on a fake that has no
   * separate monotonic time: monotonicOf() then falls back to performance.now().
   */
  monotonic?(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  monotonic: () => performance.now(),
};

/** The clock's monotonic time, or the process's where the clock has none. */
export function monotonicOf(clock: Clock): () => number {
  return clock.monotonic ? () => (clock.monotonic as () => number)() : () => performance.now();
}

/** Resolves after ms on the given clock. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}
