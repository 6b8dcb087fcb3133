// The whole agent as plain JavaScript in a temp directory, for tests that run it as a child
// process many times: the TypeScript loader costs seconds per start on a busy machine, a
// transpiled copy starts in well under one. Transpile only (each file on its own, no type
// check: that is `npm run typecheck`'s job), with the data files the agent reads at run time
// copied beside it as scripts/copy-assets.mjs does for dist/. Made once per test process.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let built: string | null = null;

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** Path of the transpiled agent/main.js. */
export function agentMainJs(): string {
  if (built !== null) return join(built, 'agent', 'main.js');
  const out = mkdtempSync(join(tmpdir(), 'hcalcs-agent-js-'));
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    // ES modules (the package is "type": "module"); transpileModule cannot see package.json.
    module: ts.ModuleKind.ES2022,
    esModuleInterop: true,
    resolveJsonModule: true,
    sourceMap: false,
  };
  for (const top of ['agent', 'drivers', 'config']) {
    for (const file of walk(join(ROOT, top))) {
      const rel = relative(ROOT, file);
      const dest = join(out, rel);
      mkdirSync(dirname(dest), { recursive: true });
      if (file.endsWith('.ts') && !file.endsWith('.d.ts')) {
        const js = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file }).outputText;
        writeFileSync(dest.replace(/\.ts$/, '.js'), js);
      } else if (/\.(json|yaml|md)$/.test(file)) {
        cpSync(file, dest);
      }
    }
  }
  // Packages resolve from the checkout's node_modules.
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
  writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }));
  built = out;
  return join(out, 'agent', 'main.js');
}
