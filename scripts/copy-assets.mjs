// Copies the data files the built agent reads at run time (charger profiles, the config
// schema, the demo config, the scenario schema) next to the compiled code, so dist/ runs on its own.
// `node scripts/copy-assets.mjs OUTDIR` does the same for another build (the tests' .build/).
// Then the schema validators are precompiled from those copies (scripts/precompile-schemas.mjs),
// so every build that runs this step ships validators that match its schemas.
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { precompileSchemas } from './precompile-schemas.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(root, process.argv[2] ?? 'dist');
const copies = [
  ['drivers/charger/profiles', (f) => f.endsWith('.json')],
  ['config', (f) => f.endsWith('.json') || f.endsWith('.yaml')],
  ['config/examples', (f) => f.endsWith('.yaml')],
  ['agent/scenario', (f) => f.endsWith('.json')],
];
for (const [dir, keep] of copies) {
  const from = join(root, dir);
  if (!existsSync(from)) continue;
  const to = join(outDir, dir);
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) if (keep(f)) cpSync(join(from, f), join(to, f));
}

await precompileSchemas(outDir);
