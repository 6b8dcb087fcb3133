import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', '.build/**', 'node_modules/**', '.tap/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Type-aware rules, a chosen few: a promise nobody awaits or catches, a promise where a
    // callback's result is ignored, an await on a non-promise, and a switch over a union that
    // misses a member (an event kind, a message verb) are bugs here, not style.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      // tap collects the subtests a file starts; their promises are its to await.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // The decision core must stay pure (no I/O, no clock, no timers, no environment) and owns
    // its vocabulary: it imports only its own files, so neither a driver, the config, the
    // shell nor a package can leak in. ARCHITECTURE.md gives the rules; a test
    // (test/unit/lint-boundaries.test.ts) proves they fire.
    files: ['agent/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\./)|(^|/)\\.\\.(/|$)',
              message: 'agent/core imports only from agent/core (./): the shell maps the world onto the core (ARCHITECTURE.md).',
            },
          ],
        },
      ],
      'no-restricted-syntax': ['error', { selector: 'ImportExpression', message: 'agent/core is pure: no dynamic import.' }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'process'],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now' }, { object: 'Math', property: 'random' }],
    },
  },
  {
    // Drivers speak Modbus and the HAN line and know nothing of the agent: they own their
    // option types, and the composition root (agent/compose.ts) maps the config onto them.
    files: ['drivers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\.?/(.*/)?(agent|config)(/|$)',
              message: 'drivers/ import nothing from agent/ or config/: agent/compose.ts maps the config onto driver options (ARCHITECTURE.md).',
            },
          ],
        },
      ],
    },
  },
  {
    // The composition root builds; commands use it. A command module imported back into it
    // would make a cycle (exit codes live in agent/cli/shared/exit-codes.ts for both).
    files: ['agent/compose.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^\\./cli/(?!shared/)', message: 'agent/compose.ts imports no command (agent/cli/*): commands import compose, not the other way round.' },
          ],
        },
      ],
    },
  },
);
