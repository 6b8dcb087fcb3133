// The folder rules in eslint.config.js are the boundaries of ARCHITECTURE.md: this proves they
// fire, so a rule that stops matching (a renamed folder, an edited pattern) fails here rather
// than silently letting the core import a driver. Each probe is linted as text under a file
// name in the folder it tests (the rules are per folder); no file is written, so a compile or a
// lint running beside this test never sees a probe. The probes are linted without type
// information: a probe is in no TypeScript program, and the folder rules need no types.

import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { ROOT as root } from '../helpers/paths.js';
const eslint = new ESLint({
  cwd: root,
  overrideConfig: [
    {
      files: ['**/*.ts'],
      languageOptions: { parserOptions: { project: false, projectService: false } },
      rules: {
        '@typescript-eslint/no-floating-promises': 'off',
        '@typescript-eslint/no-misused-promises': 'off',
        '@typescript-eslint/await-thenable': 'off',
        '@typescript-eslint/switch-exhaustiveness-check': 'off',
      },
    },
  ],
});

/** The no-restricted-imports / no-restricted-syntax messages for a probe placed at `dir`. */
async function restricted(t: Test, dir: string, source: string): Promise<string[]> {
  const file = join(root, dir, `lint-probe-${process.pid}-${randomBytes(4).toString('hex')}.ts`);
  const [result] = await eslint.lintText(source, { filePath: file, warnIgnored: true });
  t.ok(result, 'eslint linted the probe');
  // A parse error would leave no rule to fire: say so rather than count zero.
  t.same(
    result?.messages.filter((m) => m.fatal === true).map((m) => m.message),
    [],
    'the probe parsed',
  );
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

t.test('agent/core may import nothing from drivers/', async (t) => {
  const msgs = await restricted(t, 'agent/core', "import type { HanMessage } from '../../drivers/han/messages.js';\nexport type X = HanMessage;\n");
  t.equal(msgs.length, 1);
  t.match(msgs[0], /agent\/core imports only from agent\/core/);
});

t.test('agent/core may import nothing from config/, the shell, node: or a package', async (t) => {
  const cases = [
    "import type { Config } from '../../config/types.js';\nexport type X = Config;\n",
    "import type { HanPort } from '../runtime.js';\nexport type X = HanPort;\n",
    "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
    "import { parse } from 'yaml';\nexport const x = parse;\n",
    "export * from './../../drivers/han/read.js';\n",
  ];
  for (const source of cases) {
    const msgs = await restricted(t, 'agent/core', source);
    t.equal(msgs.length, 1, source.split('\n')[0]!);
  }
  const dynamic = await restricted(t, 'agent/core', "export const load = () => import('./types.js');\n");
  t.same(dynamic, ['agent/core is pure: no dynamic import.']);
});

t.test('agent/core may import its own files', async (t) => {
  const msgs = await restricted(t, 'agent/core', "import type { Ms } from './types.js';\nexport type X = Ms;\n");
  t.same(msgs, []);
});

t.test('drivers/ may import nothing from agent/ or config/', async (t) => {
  const fromAgent = await restricted(t, 'drivers/charger', "import type { CoreState } from '../../agent/core/index.js';\nexport type X = CoreState;\n");
  t.equal(fromAgent.length, 1);
  t.match(fromAgent[0], /drivers\/ import nothing from agent\//);
  const fromConfig = await restricted(t, 'drivers/han', "import type { Config } from '../../config/types.js';\nexport type X = Config;\n");
  t.equal(fromConfig.length, 1);
  const own = await restricted(
    t,
    'drivers/han',
    "import type { ReadWhat } from './read.js';\nimport type { Clock } from '../clock.js';\nexport type X = [ReadWhat, Clock];\n",
  );
  t.same(own, [], 'a driver may import drivers/');
});
