// Copies the data files the built agent reads at run time (charger profiles, the config
// schema, the demo config, the scenario schema) next to the compiled code, so dist/ runs on its own.
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const copies = [
  ['drivers/charger/profiles', (f) => f.endsWith('.json')],
  ['config', (f) => f.endsWith('.json') || f.endsWith('.yaml')],
  ['config/examples', (f) => f.endsWith('.yaml')],
  ['agent/scenario', (f) => f.endsWith('.json')],
];
for (const [dir, keep] of copies) {
  const from = join(root, dir);
  if (!existsSync(from)) continue;
  const to = join(root, 'dist', dir);
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) if (keep(f)) cpSync(join(from, f), join(to, f));
}
