// Writes the agent's schema validators ahead of time (see drivers/schema-validator.ts): each
// next to its compiled loader in OUTDIR, from the schema text that loader reads there. Run by
// scripts/copy-assets.mjs, after tsc and after the schemas are copied, in both builds (dist/
// and the tests' .build/). The output is build output, never committed.
//   node scripts/precompile-schemas.mjs [OUTDIR]           (default dist)
//   node scripts/precompile-schemas.mjs --check OUTDIR     exit 1 unless OUTDIR's loaders use
//       the precompiled validators (release.sh, on the bundle with its own node_modules: a
//       fallback would still validate, but would pay Ajv's compile in every command)
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

async function specs(outDir) {
  const helper = await import(pathToFileURL(join(outDir, 'drivers/schema-validator.js')).href);
  const out = [];
  for (const [loader, name] of SPECS) {
    const spec = (await import(pathToFileURL(join(outDir, loader)).href))[name];
    if (spec === undefined) throw new Error(`${loader} exports no ${name}`);
    const file = fileURLToPath(spec.precompiled);
    if (!file.startsWith(outDir)) throw new Error(`${loader}: ${name}.precompiled (${file}) is outside ${outDir}`);
    out.push({ spec, file });
  }
  return { helper, specs: out };
}

export async function precompileSchemas(outDir) {
  const { helper, specs: all } = await specs(outDir);
  for (const { spec, file } of all) {
    writeFileSync(file, helper.precompiledSource(spec));
    console.log(`precompiled ${relative(root, file)}`);
  }
}

async function check(outDir) {
  const { helper, specs: all } = await specs(outDir);
  let ok = true;
  for (const { spec, file } of all) {
    const from = helper.loadValidator(spec).from;
    console.log(`${file}: ${from}`);
    ok &&= from === 'precompiled';
  }
  return ok;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  if (args[0] === '--check') process.exit((await check(resolve(args[1] ?? 'dist'))) ? 0 : 1);
  await precompileSchemas(resolve(root, args[0] ?? 'dist'));
}
