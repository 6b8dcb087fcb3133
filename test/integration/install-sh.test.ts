// systemd/install.sh for image builders: PREFIX, BINDIR and DESTDIR place everything under
// the image tree, the unit is generated for the prefix, nothing runs on the build machine;
// --uninstall removes the program and keeps config and the event log. Runs on a small
// stand-in release tree (the real one is covered by package-install.test.ts).
import t from 'tap';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { promisify } from 'node:util';
import { SITE_PROFILES_DIR } from '../../drivers/charger/profile-catalogue.js';

const run = promisify(execFile);

t.test('DESTDIR + PREFIX install, then --uninstall', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'install-sh-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rel = join(dir, 'release');
  mkdirSync(join(rel, 'dist/agent'), { recursive: true });
  mkdirSync(join(rel, 'node_modules/some-dep'), { recursive: true });
  writeFileSync(join(rel, 'dist/agent/main.js'), '// stand-in\n');
  writeFileSync(join(rel, 'package.json'), '{}\n');
  cpSync(join(ROOT, 'systemd'), join(rel, 'systemd'), { recursive: true });
  mkdirSync(join(rel, 'config'));
  for (const f of ['README.md', 'schema.json', 'demo.yaml']) cpSync(join(ROOT, 'config', f), join(rel, 'config', f));
  cpSync(join(ROOT, 'config/examples'), join(rel, 'config/examples'), { recursive: true });
  const image = join(dir, 'image');
  const env = { ...process.env, DESTDIR: image, PREFIX: '/usr/lib/hcalcs-agent', BINDIR: '/usr/bin', UNITDIR: '/lib/systemd/system' };
  const res = await run('sh', [join(rel, 'systemd/install.sh')], { env });
  t.match(res.stdout, /DESTDIR install: on the target create the user/);
  t.ok(existsSync(join(image, 'usr/lib/hcalcs-agent/dist/agent/main.js')), 'program under DESTDIR+PREFIX');
  t.ok(existsSync(join(image, 'usr/lib/hcalcs-agent/node_modules/some-dep')), 'its dependencies');
  const wrapper = readFileSync(join(image, 'usr/bin/hcalcs-agent'), 'utf8');
  t.match(wrapper, /exec node "\/usr\/lib\/hcalcs-agent\/dist\/agent\/main\.js" "\$@"/, 'the wrapper names the prefix, not DESTDIR');
  t.equal(statSync(join(image, 'usr/bin/hcalcs-agent')).mode & 0o111, 0o111, 'executable');
  const unit = readFileSync(join(image, 'lib/systemd/system/hcalcs-agent.service'), 'utf8');
  const source = readFileSync(join(ROOT, 'systemd/hcalcs-agent.service'), 'utf8');
  t.equal(unit, source.replaceAll('/opt/hcalcs-agent', '/usr/lib/hcalcs-agent'), 'the unit is the source unit with the prefix put in, nothing else changed');
  t.ok(existsSync(join(image, 'etc/hcalcs-agent/config.yaml')), 'the config');
  t.ok(existsSync(join(image, SITE_PROFILES_DIR)), `the site profile directory the agent searches (${SITE_PROFILES_DIR})`);

  writeFileSync(join(image, 'etc/hcalcs-agent/config.yaml'), '# edited on site\n');
  await run('sh', [join(rel, 'systemd/install.sh')], { env });
  t.equal(readFileSync(join(image, 'etc/hcalcs-agent/config.yaml'), 'utf8'), '# edited on site\n', 'a reinstall keeps the site config');

  const un = await run('sh', [join(rel, 'systemd/install.sh'), '--uninstall'], { env });
  t.match(un.stdout, /kept: .*etc\/hcalcs-agent .* and .*var\/lib\/hcalcs-agent/);
  t.notOk(existsSync(join(image, 'usr/lib/hcalcs-agent')), 'program removed');
  t.notOk(existsSync(join(image, 'usr/bin/hcalcs-agent')), 'wrapper removed');
  t.notOk(existsSync(join(image, 'lib/systemd/system/hcalcs-agent.service')), 'unit removed');
  t.ok(existsSync(join(image, 'etc/hcalcs-agent/config.yaml')), 'config kept');
  const bad = await run('sh', [join(rel, 'systemd/install.sh'), '--frob'], { env }).catch((e: { code: number; stderr: string }) => e);
  t.equal((bad as { code: number }).code, 64);
});
