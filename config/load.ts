// Reads the YAML config once at start: YAML syntax, then settings-version migration, then
// the schema (which fills defaults), then the cross-field rules. Every problem found is
// returned together as `path: message`, so one edit-and-check round fixes a file.

import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { heldValidator, type ValidatorSpec } from '../drivers/schema-validator.js';
import type { ProfileLimits } from './core-config.js';
import { crossCheck, type CrossCheckOptions } from './cross-checks.js';
import { mqttCheck, resolveMqttPaths } from './mqtt-checks.js';
import { migrateConfig, MIGRATIONS, type Migration } from './migrate.js';
import { formatPath, ROOT_PATH, schemaProblems, type Problem } from './schema-errors.js';
import type { Config } from './types.js';

export interface LoadOptions {
  /** Profile ids that exist (drivers/charger/profiles/*.json); absent: profiles are not checked. */
  knownProfiles?: readonly string[];
  /** What each profile can signal; narrows charger ranges and is checked against bindings. */
  profileLimits?: ProfileLimits;
  /** Directory relative paths (eventLog.path) are resolved against; default process.cwd(). */
  cwd?: string;
  /** The charger layer's profiles (search path, merged-profile validation); see CrossCheckOptions. */
  profiles?: NonNullable<CrossCheckOptions['profiles']>;
  /** Settings migrations; default the agent's own (config/migrate.ts). For tests. */
  migrations?: readonly Migration[];
}

export type LoadResult = { ok: true; config: Config; warnings: string[] } | { ok: false; problems: string[] };

const schemaUrl = new URL('./schema.json', import.meta.url);

/** The config schema's validator: read from config/schema.json, precompiled by the build. */
export const configValidatorSpec: ValidatorSpec = {
  text: () => readFileSync(schemaUrl, 'utf8'),
  // verbose: errors carry their schema node, to name allowed keys and values.
  // discriminator: errors of a transport come from its own branch only, and defaults
  // inside that branch are filled (ajv skips defaults under a plain oneOf).
  options: { allErrors: true, useDefaults: true, discriminator: true, strictTypes: false, verbose: true },
  precompiled: new URL('./schema.validator.cjs', import.meta.url),
};

/** The config JSON Schema, as shipped next to this module. */
export function configSchema(): unknown {
  return heldValidator(configValidatorSpec).schema;
}

const line = (p: Problem): string => `${p.path}: ${p.message}`;

/** Every path in the document, numbered in the order the file has them. */
function documentOrder(doc: unknown): Map<string, number> {
  const order = new Map<string, number>();
  const walk = (node: unknown, at: (string | number)[]): void => {
    order.set(formatPath(at), order.size);
    if (Array.isArray(node)) node.forEach((v, i) => walk(v, [...at, i]));
    else if (typeof node === 'object' && node !== null) for (const [k, v] of Object.entries(node)) walk(v, [...at, k]);
  };
  walk(doc, []);
  return order;
}

/** Problems in the order of the file, so the list reads top to bottom like the YAML. */
function inFileOrder(problems: Problem[], doc: unknown): Problem[] {
  const order = documentOrder(doc);
  const rank = (path: string): number => {
    // A missing key ranks with its nearest present parent.
    for (let p = path; ;) {
      const n = order.get(p);
      if (n !== undefined) return n;
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      if (cut <= 0) return order.get(p) ?? Infinity;
      p = p.slice(0, cut);
    }
  };
  return problems
    .map((p, i) => ({ p, i, r: rank(p.path) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.p);
}

/** Parses and validates config text; `source` names it in messages that have no line. */
export function parseConfig(text: string, source: string, options: LoadOptions = {}): LoadResult {
  const yamlDoc = parseDocument(text, { prettyErrors: true, merge: true, uniqueKeys: true });
  const problems: string[] = [];
  const warnings: string[] = [];
  const where = (e: { linePos?: [{ line: number; col: number }, ...unknown[]]; message: string }): string => {
    // The yaml package appends " at line N, column M:" and a code frame; keep the first part.
    const msg = e.message.split(/ at line \d+, column \d+/)[0] ?? e.message;
    const pos = e.linePos?.[0];
    return pos ? `${pos.line}:${pos.col}: ${msg}` : `${source}: ${msg}`;
  };
  for (const e of yamlDoc.errors) problems.push(where(e));
  for (const w of yamlDoc.warnings) warnings.push(where(w));
  if (problems.length > 0) return { ok: false, problems };

  let raw: unknown;
  try {
    raw = yamlDoc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, problems: [`${source}: ${(e as Error).message}`] };
  }
  if (raw === null || raw === undefined) {
    return { ok: false, problems: [`${ROOT_PATH}: the file has no settings; it needs at least han, chargers and bindings`] };
  }

  const migrated = migrateConfig(raw, options.migrations ?? MIGRATIONS);
  if (!migrated.ok) return { ok: false, problems: migrated.problems };
  if (migrated.notes.length > 0) {
    warnings.push(`version: this file is version ${migrated.fromVersion}; it was read as version ${String(migrated.doc.version)} (update it):`);
    warnings.push(...migrated.notes.map((n) => `  ${n}`));
  }
  const doc = migrated.doc;

  const { validate } = heldValidator(configValidatorSpec);
  const schemaOk = validate(doc);
  const found = schemaOk ? [] : schemaProblems(validate.errors ?? [], doc);
  const badPaths = new Set(found.map((p) => p.path));
  const cross = crossCheck(doc, badPaths, options);
  const mqtt = mqttCheck(doc, badPaths, options.cwd ?? process.cwd());
  cross.errors.push(...mqtt.errors);
  cross.warnings.push(...mqtt.warnings);
  const crossErrors = cross.errors.filter((p) => !badPaths.has(p.path));
  problems.push(...inFileOrder([...found, ...crossErrors], doc).map(line));
  if (problems.length > 0) return { ok: false, problems };

  const config = doc as unknown as Config;
  for (const b of config.bindings) if (b.dev !== undefined) b.dev = b.dev.toUpperCase();
  config.eventLog.path = resolve(options.cwd ?? process.cwd(), config.eventLog.path);
  resolveMqttPaths(config.mqtt, options.cwd ?? process.cwd());
  warnings.push(...inFileOrder(cross.warnings, doc).map(line));
  return { ok: true, config, warnings };
}

/** Reads and validates the config file at `path`. Never throws. */
/** A config is a few kilobytes; anything near this is not one (or is an attack on the reader). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'is a directory';
  if (st.isFIFO()) return 'is a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'is a character device';
  if (st.isBlockDevice()) return 'is a block device';
  if (st.isSocket()) return 'is a socket';
  return 'is not a regular file';
}

/**
 * The file's text, read only if it is a regular file of at most MAX_CONFIG_BYTES. Opened
 * non-blocking, so a FIFO cannot hold the reader (and the service's start) waiting for a
 * writer, and checked with fstat on the opened descriptor, so what is read is what was checked.
 */
export function readConfigText(path: string): { ok: true; text: string } | { ok: false; problem: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    return { ok: false, problem: `${path}: cannot read the config file: ${why}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, problem: `${path}: cannot read the config file: ${kindOf(st)}; a config must be a regular file` };
    if (st.size > MAX_CONFIG_BYTES) {
      return { ok: false, problem: `${path}: the config file is ${st.size} bytes; at most ${MAX_CONFIG_BYTES} are accepted` };
    }
    // The file may grow between fstat and read: read one byte past the bound to notice.
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > MAX_CONFIG_BYTES)
        return { ok: false, problem: `${path}: the config file is over ${MAX_CONFIG_BYTES} bytes; at most ${MAX_CONFIG_BYTES} are accepted` };
    }
    return { ok: true, text: buf.toString('utf8', 0, n) };
  } catch (e) {
    return { ok: false, problem: `${path}: cannot read the config file: ${(e as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

export function loadConfig(path: string, options: LoadOptions = {}): LoadResult {
  const read = readConfigText(path);
  if (!read.ok) return { ok: false, problems: [read.problem] };
  return parseConfig(read.text, path, options);
}
