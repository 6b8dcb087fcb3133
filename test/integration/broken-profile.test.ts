// A broken profile file: check-config names it and exits 78; run (loadAgentConfig +
// buildAgent) disables only the charger that uses it, raises the alarm for it, and drives
// the other charger as usual.
import t from 'tap';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { checkConfigCommand } from '../../agent/cli/check-config.js';
import { buildAgent, loadAgentConfig } from '../../agent/compose.js';
import type { EventInput } from '../../agent/event-log/types.js';
import { profileViewFactory } from '../../agent/profile-view.js';
import { PROFILES_DIR } from '../../drivers/charger/profile.js';
import { ChargerSimulator } from '../../drivers/charger/simulator.js';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { freePort, waitUntil } from '../interop/profile-rig.js';

const dir = mkdtempSync(join(tmpdir(), 'broken-profile-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const profilesDir = join(dir, 'profiles');
mkdirSync(profilesDir);
cpSync(join(PROFILES_DIR, 'go-e.json'), join(profilesDir, 'my-box.json'));
// The copy keeps go-e's id: the file name and the id disagree, so my-box is broken.
writeFileSync(join(profilesDir, 'other-box.json'), '{ "id": "other-box", ');

function config(simPort: number, hanPort: number): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(
    path,
    `version: 1
profilesDir: ${profilesDir}
han: { port: "tcp://127.0.0.1:${hanPort}" }
chargers:
  - { id: good, profile: heidelberg-energy-control, transport: { type: tcp, host: 127.0.0.1, port: ${simPort} }, unitId: 1, maxCurrentA: 16, failsafeTimeoutS: 30 }
  - { id: bad, profile: my-box, transport: { type: tcp, host: 127.0.0.1, port: ${simPort} }, unitId: 2, maxCurrentA: 16 }
bindings:
  - { switch: 1, chargers: [good, bad], reducedCurrentA: 6 }
eventLog: { path: ${join(dir, 'events.db')} }
`,
  );
  return path;
}

t.test('check-config names the file and the charger, exit 78', async (t) => {
  const path = config(1502, 1201);
  let out = '';
  let err = '';
  const code = await checkConfigCommand(['--config', path], {
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    profiles: profileViewFactory({ brokenFiles: 'error', siteDir: join(dir, 'none') }),
  });
  t.equal(code, 78, out);
  t.match(err, `chargers[1].profile: the profile file ${join(profilesDir, 'my-box.json')} is invalid`);
  t.match(err, `${join(profilesDir, 'my-box.json')}: id: "go-e" does not match the file name my-box.json`);
  let asRunErr = '';
  const asRun = await checkConfigCommand(['--config', path, '--as-run'], {
    out: { write: () => undefined },
    err: { write: (s: string) => (asRunErr += s) },
    profiles: profileViewFactory({ brokenFiles: 'error', siteDir: join(dir, 'none') }),
    profilesAsRun: profileViewFactory({ brokenFiles: 'warning', siteDir: join(dir, 'none') }),
  });
  t.equal(asRun, 0, '--as-run (for ExecStartPre): the service may start and drive the other charger');
  t.match(asRunErr, /warning: chargers\[1\]: disabled: its profile file .*my-box\.json is invalid/);
  t.notMatch(
    err
      .split('\n')
      .filter((l) => !l.startsWith('warning: '))
      .join('\n'),
    /other-box/,
    'a broken file no charger uses is not a config problem',
  );
});

t.test('run: the broken charger is disabled with an alarm, the other one is driven', async (t) => {
  const sim = await ChargerSimulator.start({ units: [{ unitId: 1, profile: loadProfiles().get('heidelberg-energy-control')!, carDelayMs: 0 }] });
  t.teardown(() => sim.close());
  const path = config(sim.port, await freePort());
  const loaded = loadAgentConfig(path);
  t.ok(loaded.ok, 'run loads the config');
  if (!loaded.ok) return;
  t.match(loaded.warnings.join('\n'), /chargers\[1\]: disabled: its profile file .*my-box\.json is invalid/);
  t.match(loaded.warnings.join('\n'), /profiles: .*other-box\.json is invalid: /, 'a broken file no charger uses is named too');
  const events: EventInput[] = [];
  const agent = buildAgent(loaded.config, { logger: pino({ level: 'silent' }), dryRun: false, seed: 1, onEvent: (e) => events.push(e) });
  t.teardown(() => agent.stop('test over'));
  agent.runtime.start();
  const connected = await waitUntil(() => (events.some((e) => e.kind === 'charger.write' && e.chargerId === 'good') ? true : undefined), 20_000);
  t.ok(connected, 'the good charger got a limit written');
  const alarm = events.find((e) => e.kind === 'charger.alarm' && e.chargerId === 'bad');
  t.ok(alarm, 'an alarm for the disabled charger');
  t.match(JSON.stringify(alarm?.data), /profile invalid: charger disabled/);
  t.notOk(
    events.some((e) => e.chargerId === 'bad' && e.kind === 'charger.write'),
    'nothing written for the disabled charger',
  );
});

t.test('generic with an empty or invalid registers map: check-config exits 78 naming each path', async (t) => {
  const path = join(dir, 'generic.yaml');
  const check = async (registers: string): Promise<{ code: number; err: string }> => {
    writeFileSync(
      path,
      `version: 1
han: { port: /dev/ttyUSB0 }
chargers:
  - { id: g, profile: generic, transport: { type: tcp, host: 10.0.0.9 }, maxCurrentA: 16, registers: ${registers} }
bindings: []
`,
    );
    let err = '';
    const code = await checkConfigCommand(['--config', path], {
      out: { write: () => undefined },
      err: { write: (s: string) => (err += s) },
      profiles: profileViewFactory({ brokenFiles: 'error', siteDir: join(dir, 'none') }),
    });
    return { code, err };
  };
  const empty = await check('{}');
  t.equal(empty.code, 78);
  t.match(empty.err, /chargers\[0\]\.registers\.setpoint\.register: is required/);
  t.match(empty.err, /chargers\[0\]\.registers\.status: is required/);
  const bad = await check(
    '{ setpoint: { register: { address: 300, table: input, type: uint16 } }, status: { register: { address: 100, table: input, type: uint16 }, map: {} } }',
  );
  t.equal(bad.code, 78);
  t.match(bad.err, /chargers\[0\]\.registers\.status\.map: must NOT have fewer than 1 properties/);
});
