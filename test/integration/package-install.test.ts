// The shipped artifacts, installed as a gateway would get them: scripts/release.sh builds
// the bundle and the .deb; the .deb is unpacked into a scratch root (dpkg -x: what dpkg
// would put on disk, without running as root), and hcalcs-agent runs from there:
// check-config (the shipped config must be refused until edited; a valid one accepted) and
// the demo story. The npm pack tarball is checked for what it ships.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { promisify } from 'node:util';

const run = promisify(execFile);
const has = (cmd: string): boolean => {
  try {
    return readdirSync('/usr/bin').includes(cmd);
  } catch {
    return false;
  }
};
const missing = !has('dpkg-deb') ? 'dpkg-deb not installed (apt-get install dpkg)' : null;
t.setTimeout(600_000);

t.test(
  'release bundle and .deb install into a scratch root and run',
  { skip: process.env.CI === 'true' ? false : (missing ?? false), timeout: 600_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'pkg-install-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, 'release');
    const started = Date.now();
    const rel = await run('sh', [join(ROOT, 'scripts/release.sh')], {
      cwd: ROOT,
      // npm, tsc and tar are not ours: under V8 coverage they only ran slower (8 s of CPU).
      // The scripts of ours that release.sh runs are covered by their own tests.
      env: { ...process.env, OUT: out, DEB_COMPRESSION: 'gzip', NODE_V8_COVERAGE: '' },
      maxBuffer: 1 << 24,
    });
    t.comment(`release.sh took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const files = readdirSync(out).sort();
    t.same(
      files,
      [`hcalcs-agent-${version}-linux-${process.arch}.tar.gz`, `hcalcs-agent_${version}_${(await run('dpkg', ['--print-architecture'])).stdout.trim()}.deb`],
      rel.stdout,
    );

    const deb = join(out, files[1]!);
    const fsroot = join(dir, 'root');
    await run('dpkg', ['-x', deb, fsroot]);
    const info = (await run('dpkg-deb', ['-I', deb])).stdout;
    t.match(info, /Depends: nodejs \(>= 20\)/);
    t.match((await run('dpkg-deb', ['-f', deb, 'Package'])).stdout, /hcalcs-agent/);
    t.match(
      (await run('sh', ['-c', `dpkg-deb --ctrl-tarfile '${deb}' | tar -xO ./conffiles`])).stdout,
      /^\/etc\/hcalcs-agent\/config\.yaml$/m,
      'the config is a conffile',
    );
    const lib = join(fsroot, 'usr/lib/hcalcs-agent');
    t.match(
      readFileSync(join(fsroot, 'usr/bin/hcalcs-agent'), 'utf8'),
      /exec node "\/usr\/lib\/hcalcs-agent\/dist\/agent\/main\.js" "\$@"/,
      'hcalcs-agent on the PATH',
    );
    const unit = readFileSync(join(fsroot, 'lib/systemd/system/hcalcs-agent.service'), 'utf8');
    // The packaged unit is the source unit with its prefix moved: the same Node options, whatever they are.
    const source = readFileSync(join(ROOT, 'systemd/hcalcs-agent.service'), 'utf8');
    const execStart = /^ExecStart=(.*)$/m.exec(source)![1]!;
    t.ok(execStart.includes('/opt/hcalcs-agent/'), `the source unit starts ${execStart}`);
    t.equal(
      /^ExecStart=(.*)$/m.exec(unit)?.[1],
      execStart.replace('/opt/hcalcs-agent/', '/usr/lib/hcalcs-agent/'),
      'ExecStart as in the source unit, under /usr/lib',
    );
    t.notMatch(unit, /\/opt\/hcalcs-agent/, 'the unit is generated for the install prefix');
    t.ok(existsSync(join(lib, 'LICENSE')) && existsSync(join(fsroot, 'usr/share/doc/hcalcs-agent/copyright')), 'LICENSE shipped');
    t.notOk(existsSync(join(lib, 'node_modules/tap')) || existsSync(join(lib, 'node_modules/typescript')), 'no dev dependencies');
    t.ok(existsSync(join(lib, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')), 'the native module is built in');

    const cli = (args: string[], cwd = dir) =>
      run(process.execPath, [join(lib, 'dist/agent/main.js'), ...args], { cwd }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    // The precompiled schema validators load from the installed tree, Ajv's runtime helpers
    // found in its own node_modules (a fallback would validate alike, only slower: check it).
    const precompiled = await run(process.execPath, [join(ROOT, 'scripts/precompile-schemas.mjs'), '--check', join(lib, 'dist')]);
    t.equal(precompiled.stdout.match(/: precompiled$/gmu)?.length, 3, precompiled.stdout);
    const shipped = await cli(['check-config', '--config', join(fsroot, 'etc/hcalcs-agent/config.yaml')]);
    t.equal(shipped.code, 78, 'the shipped config is refused until the HAN port is filled in: nothing starts');
    t.match(shipped.stderr, /han\.port: must be a serial device path .*"CHANGE-ME"/);
    const mine = join(dir, 'config.yaml');
    writeFileSync(
      mine,
      readFileSync(join(fsroot, 'etc/hcalcs-agent/config.yaml'), 'utf8')
        .replace(/port: CHANGE-ME.*/u, 'port: /dev/ttyUSB0')
        .replace(/path: .*events\.db/u, `path: ${join(dir, 'events.db')}`),
    );
    const edited = await cli(['check-config', '--config', mine]);
    t.equal(edited.code, 0, edited.stderr);
    const profiles = await cli(['charger', 'profiles', '--config', mine]);
    t.match(profiles.stdout, /keba-p30 +shipped/);

    const demoStarted = Date.now();
    const demo = await cli(['demo'], dir);
    t.equal(demo.code, 0, demo.stderr.slice(-2000));
    t.comment(`demo from the installed tree took ${((Date.now() - demoStarted) / 1000).toFixed(1)} s`);
    t.match(demo.stdout, /restor/i, 'the demo story ran to the restore');
  },
);

t.test('npm pack ships dist, the docs the README links to, LICENSE, and no source maps', { timeout: 300_000 }, async (t) => {
  const list = JSON.parse((await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, maxBuffer: 1 << 24 })).stdout) as Array<{
    files: Array<{ path: string }>;
  }>;
  const paths = list[0]!.files.map((f) => f.path);
  t.ok(paths.includes('dist/agent/main.js'), 'dist/');
  t.ok(paths.includes('LICENSE'));
  for (const v of ['dist/config/schema.validator.cjs', 'dist/drivers/charger/profile-schema.validator.cjs', 'dist/agent/scenario/schema.validator.cjs'])
    t.ok(paths.includes(v), `${v} (precompiled by the build)`);
  t.same(
    paths.filter((p) => p.endsWith('.map')),
    [],
    'no source maps',
  );
  t.same(
    paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts')),
    [],
    'no TypeScript sources',
  );
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const links = [...readme.matchAll(/\]\(([^)#:]+)\)/gu)].map((m) => m[1]!);
  for (const link of new Set(links)) {
    const shipped = link.endsWith('/') ? paths.some((p) => p.startsWith(link)) : paths.includes(link);
    t.ok(shipped, `README link ${link} is in the package`);
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; engines: { node: string } };
  t.match(pkg.scripts.prepack, /npm run build/, 'npm pack builds first');
  t.equal(pkg.engines.node, '>=20 <23', 'Node 20 and 22');
});
