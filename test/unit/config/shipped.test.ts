// Every YAML file we ship (the demo and the field examples) must load cleanly against the
// charger profiles as they exist in drivers/charger/profiles/.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ROOT } from '../../helpers/paths.js';
import { toCoreConfig, type ProfileLimits } from '../../../config/core-config.js';
import { loadConfig } from '../../../config/load.js';

const root = ROOT;
const profileDir = join(root, 'drivers/charger/profiles');

const knownProfiles: string[] = [];
const profileLimits: ProfileLimits = {};
for (const f of readdirSync(profileDir).filter((f) => f.endsWith('.json'))) {
  const p = JSON.parse(readFileSync(join(profileDir, f), 'utf8')) as { id?: string; setpoint?: { minA?: number; maxA?: number } };
  const id = p.id ?? basename(f, '.json');
  knownProfiles.push(id);
  const limits: { minCurrentA?: number; maxCurrentA?: number } = {};
  if (typeof p.setpoint?.minA === 'number') limits.minCurrentA = p.setpoint.minA;
  if (typeof p.setpoint?.maxA === 'number') limits.maxCurrentA = p.setpoint.maxA;
  profileLimits[id] = limits;
}

const shipped = [
  ...readdirSync(join(root, 'config'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join('config', f)),
  ...readdirSync(join(root, 'config/examples'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join('config/examples', f)),
];

t.ok(shipped.includes('config/demo.yaml'), 'the demo config is shipped');
t.ok(shipped.length >= 4, `the demo and at least three examples (${shipped.join(', ')})`);

for (const file of shipped) {
  t.test(file, async (t) => {
    const r = loadConfig(join(root, file), { knownProfiles, profileLimits, cwd: '/srv/agent' });
    if (!r.ok) return t.fail(`${file}:\n${r.problems.join('\n')}`);
    t.same(r.warnings, [], 'no warnings');
    t.doesNotThrow(() => toCoreConfig(r.config, profileLimits), 'converts for the core');
  });
}

t.test('the demo config says what the demo needs', async (t) => {
  const r = loadConfig(join(root, 'config/demo.yaml'), { knownProfiles, cwd: '/srv/agent' });
  if (!r.ok) return t.fail(r.problems.join('\n'));
  const c = r.config;
  t.equal(c.han.port, 'tcp://127.0.0.1:17201');
  t.same(
    c.chargers.map((x) => [x.id, x.profile, x.transport, x.unitId, x.maxCurrentA]),
    [['garage', 'alfen-eve', { type: 'tcp', host: '127.0.0.1', port: 17502 }, 1, 32]],
  );
  t.same(c.bindings, [{ switch: 2, chargers: ['garage'], reducedCurrentA: 6 }]);
  t.equal(c.rules.restore.maxDelayS, 5);
  t.equal(c.eventLog.path, '/srv/agent/var/demo-events.db');
});

t.test('the two-charger example puts both on one RS-485 line with distinct addresses', async (t) => {
  const r = loadConfig(join(root, 'config/examples/two-heidelberg-one-line.yaml'), { knownProfiles });
  if (!r.ok) return t.fail(r.problems.join('\n'));
  const [a, b] = r.config.chargers;
  t.equal(a?.transport.type, 'rtu');
  t.same(a?.transport, b?.transport);
  t.not(a?.unitId, b?.unitId);
});
