// The build's own steps, as a build runs them: scripts/copy-assets.mjs puts the data files the
// compiled agent reads beside it and precompiles the schema validators from those copies;
// scripts/precompile-schemas.mjs --check says whether a tree's loaders use them. Run here on a
// copy of the compiled tree (inside the checkout, so the copy finds node_modules as dist/ does).
import t from 'tap';
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BUILD, ROOT } from '../../helpers/paths.js';

const run = promisify(execFile);
const node = (args: string[]) =>
  run(process.execPath, args, { cwd: ROOT }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
const VALIDATORS = ['config/schema.validator.cjs', 'drivers/charger/profile-schema.validator.cjs', 'agent/scenario/schema.validator.cjs'];

t.test('copy-assets copies the data files and precompiles the validators that --check then accepts', async (t) => {
  const out = t.testdir({});
  // The compiled code only: no data file and no validator comes along.
  for (const dir of ['agent', 'drivers', 'config'])
    cpSync(join(BUILD, dir), join(out, dir), { recursive: true, filter: (src) => !/\.(json|yaml|cjs|map)$/.test(src) });
  for (const v of VALIDATORS) t.notOk(existsSync(join(out, v)), `no ${v} before`);

  const copied = await node([join(ROOT, 'scripts/copy-assets.mjs'), out]);
  t.equal(copied.code, 0, copied.stderr);
  t.equal(copied.stdout.match(/^precompiled /gm)?.length, 3, copied.stdout);
  const profiles = (dir: string) =>
    readdirSync(join(dir, 'drivers/charger/profiles'))
      .filter((f) => f.endsWith('.json'))
      .sort();
  t.same(profiles(out), profiles(ROOT), 'every charger profile');
  for (const f of ['config/schema.json', 'config/demo.yaml', 'config/examples/alfen-tcp.yaml', 'agent/scenario/schema.json']) t.ok(existsSync(join(out, f)), f);
  for (const v of VALIDATORS) t.ok(existsSync(join(out, v)), v);

  const checked = await node([join(ROOT, 'scripts/precompile-schemas.mjs'), '--check', out]);
  t.equal(checked.code, 0, checked.stdout + checked.stderr);
  t.equal(checked.stdout.match(/: precompiled$/gm)?.length, 3, checked.stdout);

  // A schema changed after the build: its validator no longer matches and is not used.
  appendFileSync(join(out, 'config/schema.json'), '\n');
  const stale = await node([join(ROOT, 'scripts/precompile-schemas.mjs'), '--check', out]);
  t.equal(stale.code, 1, 'a tree whose validator does not match its schema fails the check');
  t.match(stale.stdout, /config[/\\]schema\.validator\.cjs: (?!precompiled)/);

  // Precompiling again (the script on its own) brings it back.
  const again = await node([join(ROOT, 'scripts/precompile-schemas.mjs'), out]);
  t.equal(again.code, 0, again.stderr);
  t.equal((await node([join(ROOT, 'scripts/precompile-schemas.mjs'), '--check', out])).code, 0);
});
