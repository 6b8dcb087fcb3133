// The build's precompiled schema validators (drivers/schema-validator.ts) against Ajv compiling
// the same schema at run time: the same verdict, the same errors (verbose schema nodes
// included, which config/schema-errors.ts reads) and the same defaults filled, over the shipped
// configs, profiles and scenarios and every one-edit break of them. And the safety net: a
// module generated from other schema text, or none at all, is never used.

import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';
import { configValidatorSpec } from '../../../config/load.js';
import { schemaProblems } from '../../../config/schema-errors.js';
import { profileValidatorSpec } from '../../../drivers/charger/profile.js';
import { loadValidator, precompiledSource, type ValidatorSpec } from '../../../drivers/schema-validator.js';
import { scenarioValidatorSpec } from '../../../agent/scenario/load.js';
import { source, ROOT } from '../../helpers/paths.js';

type Json = unknown;

const WRONG: Json[] = ['x', '', -1, 0, 1.5, 70000, null, true, {}, []];

/** The document and every document one edit away: a value replaced, a key removed or added. */
function oneEditAway(doc: Json): Json[] {
  const out: Json[] = [doc];
  const edit = (at: (string | number)[], change: (parent: Record<string | number, Json>, key: string | number) => void): void => {
    const copy = structuredClone(doc);
    let node = copy as Record<string | number, Json>;
    for (const seg of at.slice(0, -1)) node = node[seg] as Record<string | number, Json>;
    change(node, at[at.length - 1] as string | number);
    out.push(copy);
  };
  const walk = (node: Json, at: (string | number)[]): void => {
    if (at.length > 0) {
      for (const w of WRONG) edit(at, (p, k) => (p[k] = structuredClone(w)));
      if (typeof at[at.length - 1] === 'string') edit(at, (p, k) => delete p[k]);
    }
    if (Array.isArray(node)) node.forEach((v, i) => walk(v, [...at, i]));
    else if (typeof node === 'object' && node !== null) {
      const withExtra = structuredClone(doc);
      let n = withExtra as Record<string, Json>;
      for (const seg of at) n = n[seg] as Record<string, Json>;
      n.bogusKey = 1;
      out.push(withExtra);
      for (const [k, v] of Object.entries(node)) walk(v, [...at, k]);
    }
  };
  walk(doc, []);
  return out;
}

const EDITED = 3;

const runtimeOnly = (spec: ValidatorSpec): ValidatorSpec => ({ ...spec, precompiled: pathToFileURL(join(tmpdir(), 'no-such-dir', 'none.cjs')) });

const files = (dir: string, ext: string): string[] =>
  readdirSync(source(dir))
    .filter((f) => f.endsWith(ext))
    .map((f) => source(`${dir}/${f}`));

const CASES: { name: string; spec: ValidatorSpec; docs: () => Json[] }[] = [
  {
    name: 'config',
    spec: configValidatorSpec,
    docs: () => [source('config/demo.yaml'), ...files('config/examples', '.yaml')].map((f) => parse(readFileSync(f, 'utf8')) as Json),
  },
  {
    name: 'charger profile',
    spec: profileValidatorSpec,
    docs: () => files('drivers/charger/profiles', '.json').map((f) => JSON.parse(readFileSync(f, 'utf8')) as Json),
  },
  {
    name: 'scenario',
    spec: scenarioValidatorSpec,
    docs: () => files('test/scenarios', '.yaml').map((f) => parse(readFileSync(f, 'utf8')) as Json),
  },
];

for (const c of CASES) {
  t.test(`${c.name}: the build's validator agrees with Ajv compiling the schema now`, (t) => {
    const pre = loadValidator(c.spec);
    const now = loadValidator(runtimeOnly(c.spec));
    t.equal(pre.from, 'precompiled', 'the build wrote a validator from the shipped schema');
    t.equal(now.from, 'compiled', 'with no module, the schema is compiled in this process');
    t.strictSame(pre.schema, now.schema);
    // Every shipped document, and every one-edit break of a few of them (enough for each
    // keyword; all of them would take a loaded machine half a minute).
    const shipped = c.docs();
    const docs = [...shipped, ...shipped.slice(0, EDITED).flatMap(oneEditAway)];
    const differ: string[] = [];
    let invalid = 0;
    let filled = 0;
    for (const [i, doc] of docs.entries()) {
      const a = structuredClone(doc);
      const b = structuredClone(doc);
      const okA = pre.validate(a);
      const okB = now.validate(b);
      if (!okA) invalid++;
      if (!isDeepStrictEqual(a, doc)) filled++;
      if (okA !== okB || !isDeepStrictEqual(pre.validate.errors, now.validate.errors) || !isDeepStrictEqual(a, b)) differ.push(`document ${i}`);
      else if (
        !okA &&
        c.spec === configValidatorSpec &&
        !isDeepStrictEqual(schemaProblems(pre.validate.errors ?? [], a), schemaProblems(now.validate.errors ?? [], b))
      )
        differ.push(`document ${i}: problems`);
    }
    t.strictSame(differ, [], `${docs.length} documents, ${invalid} of them invalid`);
    // The corpus must exercise both verdicts (and, for the config, the defaults), or it proves little.
    t.ok(invalid > docs.length / 2 && invalid < docs.length, `${invalid} of ${docs.length} invalid`);
    if (c.spec === configValidatorSpec) t.ok(filled > 0, `${filled} documents had defaults filled`);
    t.end();
  });
}

t.test('a validator generated from other schema text is not used: the schema on disk decides', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-precompiled-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The generated module requires Ajv's runtime helpers, found through node_modules as in dist/.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const schemaFile = join(dir, 'schema.json');
  const spec: ValidatorSpec = {
    ...configValidatorSpec,
    text: () => readFileSync(schemaFile, 'utf8'),
    precompiled: pathToFileURL(join(dir, 'schema.validator.cjs')),
  };
  const shipped = configValidatorSpec.text();
  writeFileSync(schemaFile, shipped);
  writeFileSync(join(dir, 'schema.validator.cjs'), precompiledSource(spec));
  const demo = parse(readFileSync(source('config/demo.yaml'), 'utf8')) as Record<string, unknown>;

  const built = loadValidator(spec);
  t.equal(built.from, 'precompiled', 'generated from this text: used');
  t.equal(built.validate(structuredClone(demo)), true);

  // The schema changes after the build: the demo now lacks a required key.
  const edited = JSON.parse(shipped) as { required: string[] };
  edited.required.push('site');
  writeFileSync(schemaFile, JSON.stringify(edited, null, 2));
  const after = loadValidator(spec);
  t.equal(after.from, 'compiled', 'the module is stale: the schema is compiled here');
  t.equal(after.validate(structuredClone(demo)), false);
  t.strictSame(
    schemaProblems(after.validate.errors ?? [], demo).map((p) => `${p.path}: ${p.message}`),
    ['site: is required'],
  );
  t.equal(built.validate(structuredClone(demo)), true, 'whereas the stale module would have passed it');

  // A module that does not load (truncated by a full disk, say) is not fatal either.
  writeFileSync(schemaFile, shipped);
  writeFileSync(join(dir, 'schema.validator.cjs'), precompiledSource(spec).slice(0, 5000));
  const broken = loadValidator(spec);
  t.equal(broken.from, 'compiled');
  t.equal(broken.validate(structuredClone(demo)), true);
  t.end();
});
