// The profile search path: shipped, then site, then the config's profilesDir; overrides are
// noticed; a broken file is kept apart under its name and never replaced by the file it
// meant to override.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROFILES_DIR } from '../../../drivers/charger/profile.js';
import { knownIds, loadCatalogue, profileSearchPath, resolveFromCatalogue } from '../../../drivers/charger/profile-catalogue.js';
import type { ChargerConfig } from '../../../config/types.js';

const root = mkdtempSync(join(tmpdir(), 'catalogue-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const site = join(root, 'site');
const extra = join(root, 'extra');
mkdirSync(site);
mkdirSync(extra);
const goE = JSON.parse(readFileSync(join(PROFILES_DIR, 'go-e.json'), 'utf8')) as Record<string, unknown>;

const charger = (profile: string): ChargerConfig => ({
  id: 'c',
  profile,
  transport: { type: 'tcp', host: '127.0.0.1', port: 502 },
  minCurrentA: 6,
  maxCurrentA: 16,
  allowPause: false,
  timeoutMs: 500,
});

t.test('search path order and origins', async (t) => {
  const dirs = profileSearchPath('rel', { siteDir: site, cwd: root });
  t.same(
    dirs.map((d) => d.origin),
    ['shipped', 'site', 'config'],
  );
  t.equal(dirs[0]!.dir, PROFILES_DIR);
  t.equal(dirs[2]!.dir, join(root, 'rel'));
  t.same(profileSearchPath(undefined, { siteDir: site }).length, 2);
});

t.test('a site profile overrides a shipped one with a notice; a new one is added', async (t) => {
  writeFileSync(join(site, 'go-e.json'), JSON.stringify({ ...goE, name: 'go-e (site)' }));
  writeFileSync(join(extra, 'my-box.json'), JSON.stringify({ ...goE, id: 'my-box', name: 'My box' }));
  const cat = loadCatalogue(profileSearchPath(extra, { siteDir: site }));
  t.equal(cat.profiles.get('go-e')!.origin, 'site');
  t.equal(cat.profiles.get('go-e')!.profile.name, 'go-e (site)');
  t.equal(cat.profiles.get('go-e')!.overrides, join(PROFILES_DIR, 'go-e.json'));
  t.match(cat.notices.join('\n'), `profile go-e: ${join(site, 'go-e.json')} overrides ${join(PROFILES_DIR, 'go-e.json')}`);
  t.equal(cat.profiles.get('my-box')!.origin, 'config');
  t.ok(cat.profiles.has('alfen-eve'), 'shipped ones stay');
  t.equal(cat.broken.size, 0);
  rmSync(join(site, 'go-e.json'));
  rmSync(join(extra, 'my-box.json'));
});

t.test('a broken file: only its id is broken, named with the file, others resolve', async (t) => {
  writeFileSync(join(site, 'go-e.json'), JSON.stringify({ ...goE, setpoint: { ...(goE.setpoint as object), minA: 'six' } }));
  writeFileSync(join(site, 'junk.json'), '{ nope');
  const cat = loadCatalogue(profileSearchPath(undefined, { siteDir: site }));
  t.notOk(cat.profiles.has('go-e'), 'a broken override does not fall back to the shipped file');
  t.match(cat.broken.get('go-e')!.errors.join('\n'), `${join(site, 'go-e.json')}: setpoint.minA: must be number`);
  t.match(cat.broken.get('junk')!.errors[0], new RegExp(`^${join(site, 'junk.json')}: .*JSON`));
  t.ok(knownIds(cat).includes('go-e') && knownIds(cat).includes('junk'), 'broken ids are known names (reported apart, not as unknown)');
  const bad = resolveFromCatalogue(charger('go-e'), cat, 'chargers[0]');
  t.equal(bad.ok, false);
  if (!bad.ok) {
    t.match(bad.problems[0], /^chargers\[0\]\.profile: the profile file .*go-e\.json is invalid/);
    t.match(bad.problems[1], /go-e\.json: setpoint\.minA/);
  }
  t.ok(resolveFromCatalogue(charger('alfen-eve'), cat, 'chargers[1]').ok, 'a charger on another profile resolves');
  rmSync(join(site, 'go-e.json'));
  rmSync(join(site, 'junk.json'));
});

t.test('a missing profilesDir is a notice, not a failure', async (t) => {
  const cat = loadCatalogue(profileSearchPath(join(root, 'nope'), { siteDir: join(root, 'also-nope') }));
  t.match(cat.notices.join('\n'), /profilesDir .*nope: no such directory/);
  t.ok(cat.profiles.size >= 16);
  t.same(
    cat.searched.map((s) => s.found),
    [true, false, false],
  );
});

t.test('charger profiles: where each profile comes from, overrides and broken files', async (t) => {
  const { listProfiles } = await import('../../../agent/cli/charger-profiles.js');
  const { PassThrough } = await import('node:stream');
  writeFileSync(join(site, 'go-e.json'), JSON.stringify({ ...goE, name: 'go-e (site)' }));
  writeFileSync(join(extra, 'bad-box.json'), '[]');
  t.teardown(() => {
    rmSync(join(site, 'go-e.json'));
    rmSync(join(extra, 'bad-box.json'));
  });
  const cat = loadCatalogue(profileSearchPath(extra, { siteDir: site }));
  const capture = async (json: boolean): Promise<{ code: number; text: string }> => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const code = listProfiles(cat, { json, out });
    await new Promise((r) => setImmediate(r));
    return { code, text };
  };
  const text = await capture(false);
  t.equal(text.code, 1, 'a broken file makes the listing exit 1');
  t.match(text.text, new RegExp(`site +${site.replace(/[/.]/gu, '\\$&')}`));
  t.match(text.text, /go-e +site +go-e \(site\)/);
  t.match(text.text, /overrides .*profiles\/go-e\.json/);
  t.match(text.text, /alfen-eve +shipped/);
  t.match(text.text, /broken .*\n {2}bad-box \(config\)\n {4}.*bad-box\.json: \(root\): must be object/);
  const json = JSON.parse((await capture(true)).text) as { profiles: Array<{ id: string; origin: string }>; broken: Array<{ id: string }> };
  t.equal(json.profiles.find((p) => p.id === 'go-e')!.origin, 'site');
  t.same(
    json.broken.map((b) => b.id),
    ['bad-box'],
  );
});
