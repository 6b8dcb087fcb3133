// Turns ajv's errors into the `path: message` lines a field engineer reads on a serial
// console: paths in the YAML's own terms (chargers[1].transport.port), unknown keys named
// with the keys allowed there, enums with their values.

import type { ErrorObject } from 'ajv';

export interface Problem {
  path: string;
  message: string;
}

/** The name used for the whole document, where a problem has no narrower place. */
export const ROOT_PATH = '(root)';

/** `['chargers', 1, 'transport']` -> `chargers[1].transport`. */
export function formatPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out === '' ? ROOT_PATH : out;
}

/** ajv's JSON-pointer instancePath (`/chargers/1/transport`) -> segments. */
export function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^(0|[1-9]\d*)$/.test(p) ? Number(p) : p));
}

function schemaAt(root: unknown, schemaPath: string): Record<string, unknown> | undefined {
  // schemaPath is "#/a/b/keyword"; refs inside this document keep it rooted at our schema.
  let node: unknown = root;
  for (const seg of pointerSegments(schemaPath.replace(/^#/, ''))) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : undefined;
}

/** The schema node that holds the failing keyword (schemaPath minus its last segment). */
function parentSchema(root: unknown, schemaPath: string): Record<string, unknown> | undefined {
  return schemaAt(root, schemaPath.slice(0, schemaPath.lastIndexOf('/')));
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

function list(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] ?? 0;
      row[j] = Math.min(cur + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] ?? 0;
}

/** A likely intended word among `candidates`, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping (key: value lines)',
  array: 'a list',
};

function oneProblem(e: ErrorObject, schema: unknown, data: unknown): Problem | undefined {
  const at = pointerSegments(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const value = valueAt(data, at);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const props = parentSchema(schema, e.schemaPath)?.properties;
      const allowed = props && typeof props === 'object' ? Object.keys(props) : [];
      const guess = closest(key, allowed);
      return {
        path: formatPath([...at, key]),
        message: `unknown key${guess ? ` (did you mean ${guess}?)` : ''}; allowed here: ${allowed.join(', ')}`,
      };
    }
    case 'required':
      return { path: formatPath([...at, String(p.missingProperty)]), message: 'is required' };
    case 'type': {
      const want = String(p.type);
      return { path: formatPath(at), message: `must be ${TYPE_WORDS[want] ?? want}, got ${show(value)}` };
    }
    case 'enum':
      return { path: formatPath(at), message: `must be one of: ${list(p.allowedValues as unknown[])}; got ${show(value)}` };
    case 'const':
      return { path: formatPath(at), message: `must be ${show(p.allowedValue)}, got ${show(value)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const words = { minimum: 'at least', maximum: 'at most', exclusiveMinimum: 'more than', exclusiveMaximum: 'less than' };
      return { path: formatPath(at), message: `must be ${words[e.keyword]} ${String(p.limit)}, got ${show(value)}` };
    }
    case 'pattern': {
      const examples = parentSchema(schema, e.schemaPath)?.examples;
      const like = Array.isArray(examples) && examples.length > 0 ? `must look like ${String(examples[0])}` : `must match ${String(p.pattern)}`;
      return { path: formatPath(at), message: `${like}, got ${show(value)}` };
    }
    case 'minLength':
      return { path: formatPath(at), message: 'must not be empty' };
    case 'minItems':
      return { path: formatPath(at), message: `must list at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}` };
    case 'uniqueItems':
      return { path: formatPath([...at, Number(p.i)]), message: `repeats item ${String(p.j)} (${show(valueAt(data, [...at, Number(p.i)]))})` };
    case 'discriminator': {
      const tag = String(p.tag);
      // A missing tag is already reported by `required`.
      if (p.error === 'tag' && (value === null || typeof value !== 'object' || !(tag in value))) return undefined;
      const branches = parentSchema(schema, e.schemaPath)?.oneOf;
      const allowed = Array.isArray(branches)
        ? branches.map((b) => (b as { properties?: Record<string, { const?: unknown }> }).properties?.[tag]?.const)
        : [];
      return { path: formatPath([...at, tag]), message: `must be one of: ${list(allowed)}; got ${show(p.tagValue ?? valueAt(value, [tag]))}` };
    }
    default:
      return { path: formatPath(at), message: e.message ?? `fails ${e.keyword}` };
  }
}

function valueAt(data: unknown, at: readonly (string | number)[]): unknown {
  let node = data;
  for (const seg of at) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}

/** Every ajv error as a readable problem, duplicates removed, in document order of discovery. */
export function schemaProblems(errors: readonly ErrorObject[], schema: unknown, data: unknown): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of errors) {
    const pr = oneProblem(e, schema, data);
    if (pr === undefined) continue;
    const line = `${pr.path}: ${pr.message}`;
    if (seen.has(line)) continue;
    seen.add(line);
    out.push(pr);
  }
  return out;
}
