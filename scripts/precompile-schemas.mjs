// Writes the agent's schema validators ahead of time (see drivers/schema-validator.ts): each
// next to its compiled loader in OUTDIR, from the schema text that loader reads there. Run by
// scripts/copy-assets.mjs, after tsc and after the schemas are copied, in both builds (dist/
// and the tests' .build/). The output is build output, never committed.
//   node scripts/precompile-schemas.mjs [OUTDIR]   (default dist)
import { writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** [compiled loader, the export naming its validator] */
const SPECS = [
  ['config/load.js', 'configValidatorSpec'],
  ['drivers/charger/profile.js', 'profileValidatorSpec'],
  ['agent/scenario/load.js', 'scenarioValidatorSpec'],
];

export async function precompileSchemas(outDir) {
  const { precompiledSource } = await import(pathToFileURL(join(outDir, 'drivers/schema-validator.js')).href);
  for (const [loader, name] of SPECS) {
    const spec = (await import(pathToFileURL(join(outDir, loader)).href))[name];
    if (spec === undefined) throw new Error(`${loader} exports no ${name}`);
    const file = fileURLToPath(spec.precompiled);
    if (!file.startsWith(outDir)) throw new Error(`${loader}: ${name}.precompiled (${file}) is outside ${outDir}`);
    writeFileSync(file, precompiledSource(spec));
    console.log(`precompiled ${relative(root, file)}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await precompileSchemas(resolve(root, process.argv[2] ?? 'dist'));
