// `hcalcs-agent charger profiles` works without a config (on an image build), adds the
// config's profilesDir to the search when the config loads, and says so when it does not
// (the shipped profiles are still listed). A charger field tool with a --config that has no
// path is bad usage before anything is opened.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chargerCliCommand } from '../../../agent/cli/charger-entry.js';
import { captured } from '../../helpers/capture-std.js';

/** Runs the command with process.stdout and process.stderr captured (it prints to them). */
const run = (argv: string[]) => captured(() => chargerCliCommand(argv));

const CONFIG = (dir: string) => `version: 1
han: { port: 'tcp://127.0.0.1:1' }
chargers:
  - { id: garage, profile: alfen-eve, transport: { type: tcp, host: 127.0.0.1, port: 1 }, maxCurrentA: 32 }
bindings:
  - { switch: 2, chargers: [garage], reducedCurrentA: 6 }
profilesDir: ${join(dir, 'profiles')}
eventLog: { path: ${join(dir, 'events.db')} }
`;

type Listing = { searched: Array<{ dir: string }>; profiles: Array<{ id: string; origin: string }> };

t.test('no config file: the shipped profiles, nothing said about a config', async (t) => {
  const dir = t.testdir({});
  const r = await run(['profiles', '--json', '--config', join(dir, 'absent.yaml')]);
  t.equal(r.code, 0);
  t.equal(r.err, '');
  const listing = JSON.parse(r.out) as Listing;
  t.ok(
    listing.profiles.some((p) => p.id === 'alfen-eve' && p.origin === 'shipped'),
    'a shipped profile is listed',
  );
  t.notOk(
    listing.searched.some((s) => s.dir.startsWith(dir)),
    'nothing of the test directory searched',
  );
});

t.test('a config that loads: its profilesDir is searched too', async (t) => {
  const dir = t.testdir({});
  mkdirSync(join(dir, 'profiles'));
  writeFileSync(join(dir, 'config.yaml'), CONFIG(dir));
  const r = await run(['profiles', '--json', '--config', join(dir, 'config.yaml')]);
  t.equal(r.code, 0, r.err);
  const listing = JSON.parse(r.out) as Listing;
  t.ok(
    listing.searched.some((s) => s.dir === join(dir, 'profiles')),
    'profilesDir is on the search path',
  );
});

t.test('a config that does not load: a note on stderr, and the shipped profiles still listed', async (t) => {
  const dir = t.testdir({ 'config.yaml': 'version: 1\nchargers: []\n' });
  const path = join(dir, 'config.yaml');
  const r = await run(['profiles', '--config', path]);
  t.equal(r.code, 0);
  t.equal(r.err, `note: ${path} is not valid (hcalcs-agent check-config); its profilesDir is not searched\n`);
  t.match(r.out, /^searched, in order/);
  t.match(r.out, /\n {2}alfen-eve +shipped /);
});

t.test('a charger field tool with --config and no path: bad usage (64), said on stderr', async (t) => {
  const r = await run(['status', '--config']);
  t.equal(r.code, 64);
  t.equal(r.err, 'charger: --config needs a file path\n');
  t.equal(r.out, '');
});
