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
    else if (/^[A-Za-z_][\w-]*$/.test(s)) out += out === '' ? s : `.${s}`;
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

/** Edits (insert, delete, substitute, swap two neighbours) from a to b, ignoring case. */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(x.length, y.length);
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
  if (best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3))) return best;
  // "heidelberg" for "heidelberg-energy-control": a unique candidate the word begins.
  const starts = word.length >= 3 ? candidates.filter((c) => c.toLowerCase().startsWith(word.toLowerCase())) : [];
  return starts.length === 1 ? starts[0] : undefined;
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping (key: value lines)',
  array: 'a list',
};

/** The schema node holding the failing keyword (ajv's `verbose` option puts it on the error). */
function parentSchema(e: ErrorObject): Record<string, unknown> | undefined {
  const s: unknown = e.parentSchema;
  return typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : undefined;
}

function oneProblem(e: ErrorObject, data: unknown): Problem | undefined {
  const at = pointerSegments(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const value = valueAt(data, at);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const props = parentSchema(e)?.properties;
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
      const examples = parentSchema(e)?.examples;
      const like = Array.isArray(examples) && examples.length > 0 ? `must look like ${String(examples[0])}` : `must match ${String(p.pattern)}`;
      return { path: formatPath(at), message: `${like}, got ${show(value)}` };
    }
    case 'minLength':
      return { path: formatPath(at), message: 'must not be empty' };
    case 'minItems':
      return { path: formatPath(at), message: `must list at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}` };
    case 'uniqueItems': {
      const later = Math.max(Number(p.i), Number(p.j));
      const earlier = Math.min(Number(p.i), Number(p.j));
      return { path: formatPath([...at, later]), message: `repeats item ${earlier} (${show(valueAt(data, [...at, later]))})` };
    }
    case 'discriminator': {
      const tag = String(p.tag);
      // A missing tag is already reported by `required`.
      if (p.error === 'tag' && (value === null || typeof value !== 'object' || !(tag in value))) return undefined;
      const branches = parentSchema(e)?.oneOf;
      const allowed = Array.isArray(branches) ? branches.map((b) => (b as { properties?: Record<string, { const?: unknown }> }).properties?.[tag]?.const) : [];
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
export function schemaProblems(errors: readonly ErrorObject[], data: unknown): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of errors) {
    const pr = oneProblem(e, data);
    if (pr === undefined) continue;
    const line = `${pr.path}: ${pr.message}`;
    if (seen.has(line)) continue;
    seen.add(line);
    out.push(pr);
  }
  return out;
}
