// How a bench hands its figures to test/bench/run.mjs: one marked line per table row, beside
// its own human-readable output.
export const ROW_MARK = '##bench-row ';

/**
 * @param {string} target what the design asks for
 * @param {string} figure what was measured (with the load average)
 * @param {'met' | 'missed' | 'recorded'} verdict
 */
export function reportRow(target, figure, verdict) {
  process.stdout.write(`${ROW_MARK}${JSON.stringify({ target, figure, verdict })}\n`);
}
