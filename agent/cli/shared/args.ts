// The command line's one argument parser. Every option is declared once with its type, so
// numbers are checked the same way everywhere: strictly decimal ("", "0x10", "1e3" and " 5"
// are errors, not 0, 16 or 1000), with a range where the value has one. `--help` is answered
// before anything else (no config needed), and problems come back as a message plus the
// sysexits code instead of being printed here, so a command (or a test) decides where they go.
import { parseArgs } from 'node:util';
import { EXIT } from './exit-codes.js';

/** What node's parseArgs reports of each argument (tokens: true), as far as this reads it. */
type ParsedToken = { kind: 'option'; name: string; rawName: string } | { kind: 'positional' | 'option-terminator' };

export type OptionType = 'string' | 'boolean' | 'int' | 'decimal';

export interface OptionSpec {
  type: OptionType;
  short?: string;
  /** Inclusive bounds for int and decimal. */
  min?: number;
  max?: number;
  /** Refuse an empty string (default true for strings). */
  nonEmpty?: boolean;
  /** For int and decimal: what a refused value is told, after `--name ` (default: the parser's
   *  own words, with the expected form and range). */
  invalid?: string;
  /** For strings: may be given again, every value kept in order (`-e CMD -e CMD`). */
  multiple?: boolean;
  /** Spelled only as `-short` (the simulators' `-e`): the long form is an unknown option. */
  shortOnly?: boolean;
}

export type OptionsSpec = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean'
  ? boolean
  : S['type'] extends 'string'
    ? S['multiple'] extends true
      ? string[]
      : string
    : number;
export type Values<O extends OptionsSpec> = { [K in keyof O]?: ValueOf<O[K]> };

export type Parsed<O extends OptionsSpec> =
  { kind: 'ok'; values: Values<O>; positionals: string[] } | { kind: 'help' } | { kind: 'error'; code: number; message: string };

export class ArgError extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT.USAGE,
  ) {
    super(message);
    this.name = 'ArgError';
  }
}

const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;
const INTEGER = /^-?(?:0|[1-9]\d*)$/;

/** A decimal number as a person types it; anything else (hex, exponent, blanks, "") is refused. */
export function parseDecimal(name: string, text: string, o: { integer?: boolean; min?: number; max?: number } = {}): number {
  const re = o.integer ? INTEGER : DECIMAL;
  if (!re.test(text)) {
    throw new ArgError(`--${name} must be a ${o.integer ? 'whole' : 'decimal'} number like ${o.integer ? '16' : '16 or 7.5'}, got ${JSON.stringify(text)}`);
  }
  const n = Number(text);
  if (!Number.isFinite(n) || (o.integer && !Number.isSafeInteger(n))) throw new ArgError(`--${name}: ${text} is too large`);
  if ((o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
    const range = o.max === undefined ? `at least ${o.min}` : o.min === undefined ? `at most ${o.max}` : `between ${o.min} and ${o.max}`;
    throw new ArgError(`--${name} must be ${range}, got ${text}`);
  }
  return n;
}

export function isHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/**
 * Parses argv strictly against spec; unknown options are errors, positionals only if allowed.
 * `once`: an option that takes one value and is given twice is an error (default: the last
 * one counts).
 */
export function parseOptions<O extends OptionsSpec>(argv: readonly string[], spec: O, o: { positionals?: boolean; once?: boolean } = {}): Parsed<O> {
  if (isHelp(argv)) return { kind: 'help' };
  const nodeOptions: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, s] of Object.entries(spec)) {
    nodeOptions[name] = {
      type: s.type === 'boolean' ? 'boolean' : 'string',
      ...(s.short ? { short: s.short } : {}),
      ...(s.multiple ? { multiple: true } : {}),
    };
  }
  let raw: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[]; tokens: ParsedToken[] };
  try {
    raw = parseArgs({
      args: splitShortEquals(argv, spec),
      options: nodeOptions,
      strict: true,
      allowPositionals: o.positionals ?? false,
      tokens: true,
    }) as typeof raw;
  } catch (err) {
    return { kind: 'error', code: EXIT.USAGE, message: (err as Error).message };
  }
  const seen = new Set<string>();
  for (const token of raw.tokens) {
    if (token.kind !== 'option') continue;
    const s = spec[token.name];
    if (s?.shortOnly && token.rawName.startsWith('--')) return { kind: 'error', code: EXIT.USAGE, message: `Unknown option '${token.rawName}'` };
    if (o.once && s !== undefined && !s.multiple && s.type !== 'boolean') {
      if (seen.has(token.name)) return { kind: 'error', code: EXIT.USAGE, message: `${token.rawName} given twice` };
      seen.add(token.name);
    }
  }
  const values: Record<string, unknown> = {};
  try {
    for (const [name, s] of Object.entries(spec)) {
      const v = raw.values[name];
      if (v === undefined) continue;
      if (s.type === 'boolean') values[name] = v;
      else if (Array.isArray(v)) {
        if (s.nonEmpty !== false && v.includes('')) throw new ArgError(`--${name} needs a value`);
        values[name] = v;
      } else if (typeof v === 'string') {
        if (s.type === 'string') {
          if (v === '' && s.nonEmpty !== false) throw new ArgError(`--${name} needs a value`);
          values[name] = v;
        } else {
          try {
            values[name] = parseDecimal(name, v, {
              integer: s.type === 'int',
              ...(s.min !== undefined ? { min: s.min } : {}),
              ...(s.max !== undefined ? { max: s.max } : {}),
            });
          } catch (err) {
            if (err instanceof ArgError && s.invalid !== undefined) throw new ArgError(`--${name} ${s.invalid}`, err.code);
            throw err;
          }
        }
      }
    }
  } catch (err) {
    if (err instanceof ArgError) return { kind: 'error', code: err.code, message: err.message };
    throw err;
  }
  return { kind: 'ok', values: values as Values<O>, positionals: raw.positionals };
}

/** `-e=VALUE` for a short-only option means VALUE, as `--name=VALUE` does (node's parser would
 *  keep the "="). */
function splitShortEquals(argv: readonly string[], spec: OptionsSpec): string[] {
  const shortOnly = new Set(Object.values(spec).flatMap((s) => (s.shortOnly && s.short ? [s.short] : [])));
  if (shortOnly.size === 0) return [...argv];
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^-(.)=([^]*)$/.exec(a);
    if (m && shortOnly.has(m[1]!)) out.push(`-${m[1]}`, m[2]!);
    else out.push(a);
  }
  return out;
}

/** The options every command that reads the config or the event log shares. */
export const CONFIG_OPTIONS = {
  config: { type: 'string', short: 'c' },
} as const satisfies OptionsSpec;

export const DB_OPTIONS = {
  db: { type: 'string' },
} as const satisfies OptionsSpec;
