// Where things are while the suite runs. The tests run compiled from .build/ (test/run-tests.mjs
// builds it), so a module a test starts as a process is the compiled sibling of its source, and
// the data files (fixtures, configs, scenarios, the unit file) are read from the checkout.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled tree: .build/ (this file is .build/test/helpers/paths.js). */
export const BUILD = fileURLToPath(new URL('../../', import.meta.url));

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'hcalcs-agent') return dir;
    if (dirname(dir) === dir) throw new Error(`no hcalcs-agent package.json above ${from}`);
  }
}

/** The checkout (where package.json is). */
export const ROOT = findRoot(BUILD);

/** A file of the checkout, e.g. source('test/fixtures/han-vectors.jsonl'). */
export const source = (rel: string): string => join(ROOT, rel);

/** A compiled module, e.g. built('test/fixtures/lock-holder.js'). */
export const built = (rel: string): string => join(BUILD, rel);

/** The agent's command line entry point, compiled: `node MAIN_JS run ...`. */
export const MAIN_JS = built('agent/main.js');
