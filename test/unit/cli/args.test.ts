// The command line's one parser (agent/cli/shared/args.ts), for what the simulators and the
// scenario runner brought to it: repeatable values, a short-only option, a value given twice.
import t from 'tap';
import { parseOptions, type OptionsSpec } from '../../../agent/cli/shared/args.js';

const SPEC = {
  exec: { type: 'string', short: 'e', shortOnly: true, multiple: true, nonEmpty: false },
  port: { type: 'string' },
  quiet: { type: 'boolean' },
} as const satisfies OptionsSpec;

t.test('a repeatable option keeps every value in order; -e=VALUE is VALUE', async (t) => {
  t.same(parseOptions(['-e', 'a', '-e=b c', '-ed', '--port', 'x'], SPEC), { kind: 'ok', values: { exec: ['a', 'b c', 'd'], port: 'x' }, positionals: [] });
  t.same(parseOptions(['--', '-e=x'], SPEC, { positionals: true }), { kind: 'ok', values: {}, positionals: ['-e=x'] }, 'after -- nothing is an option');
});

t.test('a short-only option has no long spelling', async (t) => {
  const r = parseOptions(['--exec', 'a'], SPEC);
  t.same(r, { kind: 'error', code: 64, message: "Unknown option '--exec'" });
});

t.test('once: a one-value option given twice is refused; flags and repeatable options are not', async (t) => {
  t.same(parseOptions(['--port', 'a', '--port=b'], SPEC, { once: true }), { kind: 'error', code: 64, message: '--port given twice' });
  t.same(parseOptions(['--port', 'a', '--port', 'b'], SPEC), { kind: 'ok', values: { port: 'b' }, positionals: [] }, 'without once the last counts, as before');
  t.same(parseOptions(['--quiet', '--quiet', '-e', 'a', '-e', 'b'], SPEC, { once: true }), {
    kind: 'ok',
    values: { quiet: true, exec: ['a', 'b'] },
    positionals: [],
  });
});

t.test('an empty value of a repeatable option is refused unless allowed', async (t) => {
  const strict = { tags: { type: 'string', multiple: true } } as const satisfies OptionsSpec;
  t.same(parseOptions(['--tags', 'a', '--tags', ''], strict), { kind: 'error', code: 64, message: '--tags needs a value' });
  t.same(parseOptions(['-e', ''], SPEC), { kind: 'ok', values: { exec: [''] }, positionals: [] });
});
