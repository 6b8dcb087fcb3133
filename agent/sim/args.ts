// The simulators' command lines (sim meter, sim charger) on the command line's one parser
// (agent/cli/shared/args.ts). What both share is answered here once: --help on stdout with
// exit 0, a bad option or a stray argument on stderr with exit 64. Values stay strings as typed:
// each simulator checks them with its own messages (`--hb 5x: expected seconds`).
import { parseOptions, type OptionsSpec, type Values } from '../cli/shared/args.js';
import { EXIT } from '../cli/shared/exit-codes.js';

/** What `-e`, `--script`, `--keep-running`, `--control` and `--no-console` mean is the same for
 *  both simulators (agent/sim/console.ts drives them). */
export const DRIVE_OPTIONS = {
  exec: { type: 'string', short: 'e', shortOnly: true, multiple: true, nonEmpty: false },
  script: { type: 'string', nonEmpty: false },
  'keep-running': { type: 'boolean' },
  control: { type: 'string', nonEmpty: false },
  'no-console': { type: 'boolean' },
} as const satisfies OptionsSpec;

export type SimArgs<O extends OptionsSpec> = { kind: 'run'; values: Values<O> } | { kind: 'exit'; code: number };

/**
 * Parses a simulator's argv. `name` prefixes every message ("sim meter: ..."); `usage` is
 * printed for --help (stdout, 0) and after a refused option (stderr, 64).
 */
export function parseSimArgs<O extends OptionsSpec>(name: string, argv: readonly string[], spec: O, usage: string): SimArgs<O> {
  const parsed = parseOptions(argv, spec, { positionals: true, once: true });
  if (parsed.kind === 'help') {
    process.stdout.write(usage);
    return { kind: 'exit', code: EXIT.OK };
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`${name}: ${parsed.message}\n${usage}`);
    return { kind: 'exit', code: parsed.code };
  }
  const [stray] = parsed.positionals;
  if (stray !== undefined) {
    process.stderr.write(`${name}: unexpected argument ${JSON.stringify(stray)}\n`);
    return { kind: 'exit', code: EXIT.USAGE };
  }
  return { kind: 'run', values: parsed.values };
}

/** `HOST:PORT` (IPv6 in brackets); port 0 picks a free one. */
export function parseHostPort(text: string): { host: string; port: number } | null {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}
