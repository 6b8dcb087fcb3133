// Every shipped profile passes the validator; broken profiles fail with `path: message`.
import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfiles, mergeOverrides, PROFILES_DIR, ProfileError, resolveProfile, validateProfile, type Profile } from '../../../drivers/charger/profile.js';
import type { ChargerConfig } from '../../../config/types.js';
import { source } from '../../helpers/paths.js';

const REQUIRED = [
  'alfen-eve',
  'abb-terra-ac',
  'heidelberg-energy-control',
  'vestel-evc04',
  'webasto-next',
  'bender-cc612',
  'mennekes-amtron-compact',
  'mennekes-hcc3',
  'keba-p30',
  'go-e',
  'em2go',
  'schneider-evlink-pro-ac',
  'phoenix-ev-cc-eth',
  'simpleevse',
  'etrel-inch',
  'victron-evcs',
];

const profiles = loadProfiles();

t.test('every required charger has a valid shipped profile', async (t) => {
  for (const id of REQUIRED) {
    const p = profiles.get(id);
    t.ok(p, `${id} loaded`);
    if (!p) continue;
    t.ok(p.source.length > 0, `${id} names its source`);
    t.ok(p.keepAlive.periodFraction <= 1 / 3, `${id} keep-alive at most a third of the timeout`);
  }
});

t.test('facts from chargers.md', async (t) => {
  const rows: Array<[string, (p: Profile) => unknown, unknown]> = [
    ['alfen-eve', (p) => [p.setpoint.register.address, p.setpoint.register.type, p.setpoint.functionCode], [1210, 'float32', 16]],
    ['alfen-eve', (p) => [p.status.register.address, p.status.register.type, p.status.register.length], [1201, 'string', 5]],
    [
      'heidelberg-energy-control',
      (p) => [p.setpoint.register.address, p.setpoint.register.scale, p.transport.rtu],
      [261, 0.1, { baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 }],
    ],
    [
      'heidelberg-energy-control',
      (p) => [p.failsafe?.timeout?.write?.address, p.failsafe?.timeout?.unit, p.failsafe?.current?.write?.address],
      [257, 'ms', 262],
    ],
    [
      'mennekes-amtron-compact',
      (p) => [p.transport.rtu, p.transport.defaultUnitId, p.keepAlive.value],
      [{ baudRate: 57600, dataBits: 8, parity: 'none', stopBits: 2 }, 50, 0x55aa],
    ],
    ['simpleevse', (p) => p.transport.rtu, { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 }],
    ['keba-p30', (p) => [p.quirks?.maxRegistersPerRead, p.quirks?.writeFunctionCodes, p.setpoint.register.scale], [2, [6], 0.001]],
    ['go-e', (p) => [p.quirks?.writeFunctionCodes, p.setpoint.register.address], [[16], 299]],
    ['mennekes-hcc3', (p) => [p.quirks?.writeFunctionCodes, p.setpoint.register.address], [[6], 0x400]],
    ['abb-terra-ac', (p) => [p.setpoint.register.address, p.setpoint.register.type, p.setpoint.register.scale], [0x4100, 'uint32', 0.001]],
    ['vestel-evc04', (p) => [p.keepAlive.kind, p.keepAlive.register?.address, p.status.register.table], ['life-bit', 6000, 'input']],
    ['webasto-next', (p) => [p.keepAlive.kind, p.status.register.table], ['life-bit', 'holding']],
    ['em2go', (p) => [p.setpoint.register.address, p.setpoint.register.scale, p.failsafe?.timeout?.write?.address], [91, 0.1, 89]],
  ];
  for (const [id, get, want] of rows) t.same(get(profiles.get(id)!), want, id);
});

const good = (): Record<string, unknown> => JSON.parse(JSON.stringify(profiles.get('heidelberg-energy-control'))) as Record<string, unknown>;

t.test('bad profiles fail with path: message', async (t) => {
  const cases: Array<[string, (p: Record<string, unknown>) => unknown, RegExp]> = [
    [
      'missing setpoint',
      (p) => {
        delete p.setpoint;
        return p;
      },
      /^setpoint: is required$/,
    ],
    ['bad type', (p) => mergeOverrides(p, { setpoint: { register: { type: 'uint8' } } }), /^setpoint\.register\.type: must be one of "uint16"/],
    ['negative address', (p) => mergeOverrides(p, { status: { register: { address: -1 } } }), /^status\.register\.address: must be >= 0$/],
    ['keep-alive too slow', (p) => mergeOverrides(p, { keepAlive: { periodFraction: 0.5 } }), /^keepAlive\.periodFraction: must be <= 0\.333/],
    ['unknown field', (p) => mergeOverrides(p, { setpiont: 1 }), /^setpiont: is not a known field$/],
    [
      'fc06 on float32',
      (p) => mergeOverrides(p, { setpoint: { register: { type: 'float32' }, functionCode: 6 } }),
      /^setpoint\.functionCode: a float32 setpoint spans 2 registers and needs FC16$/,
    ],
    [
      'written input register',
      (p) => mergeOverrides(p, { setpoint: { register: { table: 'input' } } }),
      /^setpoint\.register\.table: a written register must be "holding"$/,
    ],
    [
      'fc not allowed by quirks',
      (p) => mergeOverrides(p, { quirks: { writeFunctionCodes: [16] } }),
      /^setpoint\.functionCode: FC6 is not in quirks\.writeFunctionCodes$/,
    ],
    ['bad state', (p) => mergeOverrides(p, { status: { map: { '2': 'Z' } } }), /^status\.map\.2: must be one of "A"/],
    ['min above max', (p) => mergeOverrides(p, { setpoint: { minA: 20 } }), /^setpoint\.minA: must not exceed setpoint\.maxA \(16\)$/],
    ['life-bit without register', (p) => mergeOverrides(p, { keepAlive: { kind: 'life-bit' } }), /^keepAlive: life-bit needs register and value$/m],
  ];
  for (const [name, mutate, re] of cases) {
    try {
      validateProfile(mutate(good()));
      t.fail(`${name}: accepted`);
    } catch (err) {
      t.ok(err instanceof ProfileError, name);
      t.match((err as ProfileError).errors.join('\n'), re, name);
    }
  }
});

const base: ChargerConfig = {
  id: 'g1',
  profile: 'generic',
  transport: { type: 'tcp', host: '127.0.0.1', port: 502 },
  unitId: 1,
  minCurrentA: 6,
  maxCurrentA: 16,
  allowPause: false,
  timeoutMs: 500,
};

t.test('generic profile comes wholly from the config, same validator, config paths', async (t) => {
  const { id: _id, name: _name, source: _s, confidence: _c, ...registers } = good();
  const p = resolveProfile({ ...base, registers }, profiles);
  t.equal(p.id, 'generic');
  t.equal(p.setpoint.register.address, 261);
  t.throws(() => resolveProfile({ ...base }, profiles), /chargers\.g1\.registers: is required/);
  try {
    resolveProfile({ ...base, registers: { ...registers, setpoint: { register: { address: 70000 } } } }, profiles);
    t.fail('accepted');
  } catch (err) {
    const text = (err as ProfileError).errors.join('\n');
    t.match(text, /chargers\.g1\.registers\.setpoint\.register\.address: must be <= 65535/);
    t.match(text, /chargers\.g1\.registers\.setpoint\.register\.type: is required/);
    t.notMatch(text, /transport|functionCode|behaviour/, 'transport, function code and prose come from the charger or defaults');
  }
});

t.test("generic: the charger's transport, unit id and range suffice; no prose fields", async (t) => {
  const registers = {
    setpoint: { register: { address: 300, table: 'holding', type: 'uint16', scale: 0.1 }, readable: true },
    status: { register: { address: 100, table: 'input', type: 'uint16' }, map: { '0': 'A', '1': 'B', '2': 'C' } },
    keepAlive: { kind: 'heartbeat-value', register: { address: 301, table: 'holding', type: 'uint16' }, value: 1, periodFraction: 0.25 },
    failsafe: { current: { write: { address: 302, table: 'holding', type: 'uint16', scale: 0.1 } }, defaultTimeoutS: 10 },
  };
  const p = resolveProfile({ ...base, unitId: 7, registers }, profiles);
  t.same(p.transport, { tcp: { port: 502 }, defaultUnitId: 7, interFrameDelayMs: 0 });
  t.same([p.setpoint.functionCode, p.setpoint.minA, p.setpoint.maxA, p.setpoint.readable, p.setpoint.pauseValueA], [6, 6, 16, true, null]);
  t.equal(p.failsafe?.behaviour, undefined);
  const rtu = resolveProfile(
    { ...base, transport: { type: 'rtu', path: '/dev/x', serial: { baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 } }, registers },
    profiles,
  );
  t.same(rtu.transport.rtu, { baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 });
  const wide = resolveProfile({ ...base, registers: { ...registers, setpoint: { register: { address: 300, table: 'holding', type: 'float32' } } } }, profiles);
  t.equal(wide.setpoint.functionCode, 16, 'a two-register setpoint defaults to FC16');
  t.throws(() => resolveProfile({ ...base, registers: {} }, profiles), /chargers\.g1\.registers\.status: is required/);
});

t.test('keep-alive kinds toggle and counter; failsafe.showsIn needs its register', async (t) => {
  const reg = { address: 301, table: 'holding', type: 'uint16' };
  const ok = (ka: Record<string, unknown>): Profile => validateProfile({ ...good(), keepAlive: { periodFraction: 0.25, ...ka } });
  t.equal(ok({ kind: 'toggle', register: reg, values: [0, 1] }).keepAlive.kind, 'toggle');
  t.equal(ok({ kind: 'counter', register: reg, modulo: 1000 }).keepAlive.modulo, 1000);
  t.throws(() => ok({ kind: 'toggle' }), /keepAlive\.register: is required for toggle/);
  t.throws(() => ok({ kind: 'toggle', register: reg, values: [1, 1] }), /keepAlive\.values: the two values must differ/);
  t.throws(() => ok({ kind: 'counter', register: reg, values: [0, 1] }), /keepAlive\.values: only for kind toggle/);
  t.throws(
    () => validateProfile(mergeOverrides(good(), { failsafe: { showsIn: 'applied-limit' } })),
    /failsafe\.showsIn: "applied-limit" needs an appliedLimit register/,
  );
  t.throws(
    () =>
      validateProfile(mergeOverrides(good(), { failsafe: { reenable: [{ register: { address: 1, table: 'input', type: 'uint16' }, value: 1, why: 'x' }] } })),
    /failsafe\.reenable\[0\]\.register\.table: a written register must be "holding"/,
  );
});

t.test('config overrides merge over a shipped profile', async (t) => {
  const p = resolveProfile({ ...base, profile: 'phoenix-ev-cc-eth', registers: { setpoint: { register: { scale: 0.1 } } } }, profiles);
  t.equal(p.setpoint.register.scale, 0.1);
  t.equal(p.setpoint.register.address, 528, 'the rest of the profile stays');
  t.throws(() => resolveProfile({ ...base, profile: 'nope' }, profiles), /chargers\.g1\.profile: unknown profile "nope"/);
});

t.test('loader: a bad file is named; a new file is a new charger', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'profiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(PROFILES_DIR, 'go-e.json'), join(dir, 'go-e.json'));
  writeFileSync(join(dir, 'my-box.json'), JSON.stringify({ ...good(), id: 'my-box' }));
  t.same([...loadProfiles(dir).keys()], ['go-e', 'my-box']);
  writeFileSync(join(dir, 'broken.json'), '{ not json');
  t.throws(() => loadProfiles(dir), /broken\.json: /);
  rmSync(join(dir, 'broken.json'));
  writeFileSync(join(dir, 'other.json'), JSON.stringify({ ...good(), id: 'mismatch' }));
  t.throws(() => loadProfiles(dir), /other\.json: id: "mismatch" does not match the file name/);
});

t.test("the profile template is a valid profile once its comments (and the other kinds' fields) go", async (t) => {
  const text = readFileSync(source('drivers/charger/profile-template.jsonc'), 'utf8').replace(/\/\/.*$/gmu, '');
  const data = JSON.parse(text) as { keepAlive: Record<string, unknown> };
  delete data.keepAlive.values;
  delete data.keepAlive.modulo;
  const p = validateProfile(data);
  t.equal(p.id, 'acme-wallbox');
  t.equal(p.keepAlive.kind, 'heartbeat-value');
  const required = [...readFileSync(source('drivers/charger/profile-template.jsonc'), 'utf8').matchAll(/^\s*"(\w+)".*\/\/ REQUIRED/gmu)].map((m) => m[1]);
  t.ok(required.includes('setpoint') && required.includes('keepAlive') && required.includes('status'), `required marked: ${required.join(', ')}`);
});
