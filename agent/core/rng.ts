// The only randomness the core has: a 32-bit xorshift generator whose whole state is one
// number kept in CoreState, so a restart (JSON round trip) continues the same sequence and
// the same seed replays the same delays in tests.

const NONZERO_SEED = 0x9e3779b9;

/** Turns any seed into a generator state. Small seeds (1, 2, ...) are mixed first: xorshift
 *  started from a few set bits gives tiny first draws, i.e. near-zero delays. */
export function seedRng(seed: number): number {
  let x = (Number.isFinite(seed) ? Math.trunc(seed) >>> 0 : 0) ^ NONZERO_SEED;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  x = (x ^ (x >>> 16)) >>> 0;
  return valid(x);
}

/** xorshift must never hold 0. */
function valid(x: number): number {
  const s = Number.isFinite(x) ? Math.trunc(x) >>> 0 : 0;
  return s === 0 ? NONZERO_SEED : s;
}

/** One draw: a float in [0, 1) and the next state. */
export function nextUniform(rng: number): { value: number; rng: number } {
  let x = valid(rng);
  x ^= x << 13;
  x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5;
  x >>>= 0;
  return { value: x / 4294967296, rng: x };
}

/** A uniform whole number of milliseconds in [0, maxMs]; 0 (or less) disables the delay. */
export function drawDelayMs(rng: number, maxMs: number): { delayMs: number; rng: number } {
  if (!(maxMs > 0)) return { delayMs: 0, rng };
  const { value, rng: next } = nextUniform(rng);
  return { delayMs: Math.floor(value * (Math.floor(maxMs) + 1)), rng: next };
}
