// The small language the simulators' consoles, script files, control API and scenario steps
// share: words separated by blanks, "double quotes" around a word with blanks, durations as
// "90" (seconds), "500ms", "2s", "1.5min", "1h".

export class CommandError extends Error {
  override name = 'CommandError';
}

/** Splits a command line into words; a quoted word keeps its blanks (\" and \\ escape). */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    if (line[i] === '"') {
      let word = '';
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) i++;
        word += line[i];
        i++;
      }
      if (i >= line.length) throw new CommandError('unterminated quote');
      i++;
      out.push(word);
    } else {
      let word = '';
      while (i < line.length && !/\s/.test(line[i]!)) word += line[i++];
      out.push(word);
    }
  }
  return out;
}

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** A duration in ms; a bare number is seconds. Throws CommandError when it is not one. */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new CommandError(`bad duration ${text}`);
    return text * 1000;
  }
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)?$/.exec(text.trim());
  if (!m) throw new CommandError(`bad duration ${JSON.stringify(text)} (e.g. 90, 500ms, 2s, 1.5min)`);
  return Number(m[1]) * UNITS_MS[m[2] ?? 's']!;
}

export function parseNumber(text: string | undefined, what: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
  if (text === undefined) throw new CommandError(`${what} is missing`);
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new CommandError(`${what} must be a number, not ${JSON.stringify(text)}`);
  if (opts.integer && !Number.isInteger(n)) throw new CommandError(`${what} must be a whole number`);
  if (opts.min !== undefined && n < opts.min) throw new CommandError(`${what} must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw new CommandError(`${what} must be at most ${opts.max}`);
  return n;
}

/** What running one command did: text for the console, and a wait for scripts. */
export interface CommandOutcome {
  text: string;
  waitMs?: number;
  quit?: boolean;
}

export interface CommandSpec {
  name: string;
  usage: string;
  help: string;
  /** Words offered by tab completion at word `completeAt` (0 is the name; default 1). */
  complete?: string[];
  completeAt?: number;
}

export function helpText(specs: CommandSpec[], name?: string): string {
  if (name !== undefined) {
    const s = specs.find((c) => c.name === name);
    if (!s) throw new CommandError(`no command ${JSON.stringify(name)}; "help" lists them`);
    return `${s.usage}\n  ${s.help}`;
  }
  const width = Math.max(...specs.map((s) => s.usage.length));
  return specs.map((s) => `  ${s.usage.padEnd(width)}  ${s.help}`).join('\n');
}

/** Readline completion over the command names and each command's first argument. */
export function completer(specs: CommandSpec[]): (line: string) => [string[], string] {
  return (line) => {
    const words = line.split(/\s+/);
    if (words.length <= 1) {
      const hits = specs.map((s) => s.name).filter((n) => n.startsWith(line));
      return [hits.length ? hits : specs.map((s) => s.name), line];
    }
    const last = words[words.length - 1] ?? '';
    const spec = specs.find((s) => s.name === words[0]);
    let options: string[] = [];
    if (words[0] === 'help' && words.length === 2) options = specs.map((s) => s.name);
    else if (spec?.complete && words.length - 1 === (spec.completeAt ?? 1)) options = spec.complete;
    return [options.filter((o) => o.startsWith(last)), last];
  };
}
