// The coverage report and gate over the product's own code (agent/, drivers/, config/,
// scripts/), from the V8 coverage tap collected in .tap/coverage for every test process and
// every child process they started, mapped back to the TypeScript through .build/'s source maps.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Report } from 'c8';

/** Prints the text report; returns the share of lines covered and the line count. */
export async function coverageReport(root) {
  const report = new Report({
    reporter: ['text', 'json-summary'],
    reportsDirectory: join(root, '.tap', 'report'),
    tempDirectory: join(root, '.tap', 'coverage'),
    src: [root],
    include: ['agent/**', 'drivers/**', 'config/**', 'scripts/**'],
    exclude: ['**/*.d.ts', '.build/**', 'dist/**', 'test/**', 'node_modules/**'],
    excludeAfterRemap: true,
    skipFull: true,
  });
  await report.run();
  const total = JSON.parse(readFileSync(join(root, '.tap', 'report', 'coverage-summary.json'), 'utf8')).total;
  return { pct: total.lines.pct, lines: total.lines.total };
}
