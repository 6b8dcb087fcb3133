// Every process of the agent checks a JSON Schema at start (the config, charger profiles,
// scenarios), and compiling one with Ajv (loading Ajv, generating the validator's code and
// evaluating it) was half the CPU of a console command. The build writes each validator's code
// ahead of time (Ajv's standalone output, scripts/precompile-schemas.mjs); a process uses it only
// if it was generated from the very schema text this process reads, and otherwise compiles the
// schema as before: a tree that was not built, or a schema edited after the build, must never
// be checked against another schema than its own.
//
// The generated modules are CommonJS, loaded with require: the loaders are synchronous, a
// validator is loaded only by a process that validates, and a module dropped from require's
// cache can be collected once validated with (`run` holds its validators weakly). Ajv's ESM
// output would need a top-level await in every loader and still calls require() for its
// runtime helpers (ajv 8.20).

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Options, ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

export interface ValidatorSpec {
  /** The schema's text as this process reads it; it is the schema (JSON). */
  text: () => string;
  /** Ajv's options, the same at build time and at run time. */
  options: Options;
  /** Where the build writes the precompiled validator (a .cjs next to the loader). */
  precompiled: URL;
}

export interface LoadedValidator {
  validate: ValidateFunction;
  schema: unknown;
  /** Whether the build's validator was used or Ajv compiled the schema in this process. */
  from: 'precompiled' | 'compiled';
}

export function schemaSha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

type Precompiled = ValidateFunction & { schemaSha256?: unknown };

function precompiled(spec: ValidatorSpec): Precompiled | undefined {
  const file = fileURLToPath(spec.precompiled);
  try {
    return require(file) as Precompiled;
  } catch {
    // Missing (an unbuilt tree) or unreadable: compiling here is always right, only slower.
    return undefined;
  } finally {
    delete require.cache[file];
  }
}

/** The schema's validator: the build's when it matches the schema text, else compiled now. */
export function loadValidator(spec: ValidatorSpec): LoadedValidator {
  const text = spec.text();
  const schema: unknown = JSON.parse(text);
  const pre = precompiled(spec);
  if (pre !== undefined && pre.schemaSha256 === schemaSha256(text)) return { validate: pre, schema, from: 'precompiled' };
  const { Ajv } = require('ajv') as typeof import('ajv');
  return { validate: new Ajv(spec.options).compile(schema as object), schema, from: 'compiled' };
}

// Held weakly, one per spec: `run` validates its config and profiles once at start, and a
// validator (the build's module, or Ajv's compile with the Ajv instance behind it) would
// otherwise stay resident for the life of the service. A command that checks many documents in
// one go reuses it, since a WeakRef's target lives at least until the current job ends.
const held = new Map<ValidatorSpec, WeakRef<LoadedValidator>>();

/** loadValidator(spec), loaded once and then reused while something still holds it. */
export function heldValidator(spec: ValidatorSpec): LoadedValidator {
  let v = held.get(spec)?.deref();
  if (v === undefined) {
    v = loadValidator(spec);
    held.set(spec, new WeakRef(v));
  }
  return v;
}

/** The source of the module the build writes to spec.precompiled: CommonJS, with the schema text's hash. */
export function precompiledSource(spec: ValidatorSpec): string {
  const text = spec.text();
  const { Ajv } = require('ajv') as typeof import('ajv');
  const standalone = (require('ajv/dist/standalone/index.js') as typeof import('ajv/dist/standalone/index.js')).default;
  const ajv = new Ajv({ ...spec.options, code: { ...spec.options.code, source: true, esm: false } });
  const code = standalone(ajv, ajv.compile(JSON.parse(text) as object));
  const head = '// Written by the build (scripts/precompile-schemas.mjs) from the schema whose SHA-256 ends this file.';
  return `${head}\n${code}\nmodule.exports.schemaSha256 = ${JSON.stringify(schemaSha256(text))};\n`;
}
