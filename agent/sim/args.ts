// Options of the rig commands (sim meter, sim charger, scenario run): `--name value`,
// `--name=value`, repeatable options and bare flags; anything else is a positional argument.

export type OptionKind = 'value' | 'flag' | 'list';

export type ParsedArgs = { ok: true; values: Map<string, string[]>; flags: Set<string>; positional: string[] } | { ok: false; error: string };

export function parseArgs(argv: string[], spec: Record<string, OptionKind>): ParsedArgs {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const kind = spec[name];
    if (kind === undefined) return { ok: false, error: `unknown option ${name}` };
    if (kind === 'flag') {
      if (eq > 0) return { ok: false, error: `${name} takes no value` };
      flags.add(name);
      continue;
    }
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) return { ok: false, error: `${name} needs a value` };
    if (kind === 'value' && values.has(name)) return { ok: false, error: `${name} given twice` };
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return { ok: true, values, flags, positional };
}

/** `HOST:PORT` (IPv6 in brackets); port 0 picks a free one. */
export function parseHostPort(text: string): { host: string; port: number } | null {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}
