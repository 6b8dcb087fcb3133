// The agent compiled once into a fresh temp dir, for tests that start it as a process many
// times: under tap's TypeScript loader each start costs seconds of CPU, compiled it costs
// a fraction. The build is the project's own (tsconfig.build.json), with the data files
// copied beside it as scripts/copy-assets.mjs does for dist/.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BuiltAgent {
  /** node + the compiled main module: prepend to the agent's arguments. */
  command: string[];
  dir: string;
  remove(): void;
}

export async function buildAgent(): Promise<BuiltAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-built-'));
  const out = join(dir, 'dist');
  await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { cwd: ROOT });
  for (const [from, keep] of [
    ['drivers/charger/profiles', (f: string) => f.endsWith('.json')],
    ['config', (f: string) => f.endsWith('.json') || f.endsWith('.yaml')],
    ['agent/scenario', (f: string) => f.endsWith('.json')],
  ] as const) {
    mkdirSync(join(out, from), { recursive: true });
    for (const f of readdirSync(join(ROOT, from)).filter(keep)) cpSync(join(ROOT, from, f), join(out, from, f));
  }
  // The compiled modules find their dependencies the way an installed package does.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  return { command: [process.execPath, join(out, 'agent/main.js')], dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
