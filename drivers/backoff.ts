// The one retry schedule of the program: after the nth failure in a row, wait initialMs
// doubled n-1 times, capped at maxMs. The HAN link's reconnects, the Modbus bus's connects
// and its silent devices, and the charger machine's reconnects
// (drivers/charger/machine/connect.ts) and write retries (machine/write.ts) all use it, so a
// backoff reads and behaves the same wherever the log shows one.

export interface BackoffOptions {
  /** The wait after the first failure. */
  initialMs: number;
  /** The longest wait. */
  maxMs: number;
}

/** The wait after `failures` failures in a row (1 = the first). */
export function backoffMs(o: BackoffOptions, failures: number): number {
  return Math.min(o.initialMs * 2 ** (failures - 1), o.maxMs);
}
