// Cross-field rules: each case names every error and warning it must produce, by path.
import t from 'tap';
import type { ProfileLimits } from '../../../config/core-config.js';
import { baseDoc, parseDoc, pathsOf, PROFILES, type Doc } from './base.js';

interface Case {
  name: string;
  edit: (d: Doc) => void;
  errors?: [path: string, message: RegExp][];
  warnings?: [path: string, message: RegExp][];
  knownProfiles?: string[] | null;
  profileLimits?: ProfileLimits;
}

const rtu = (path: string, baudRate = 19200, parity = 'even') => ({ type: 'rtu', path, serial: { baudRate, parity } });
const heidelberg = (id: string, transport: unknown, unitId?: number) => ({
  id,
  profile: 'heidelberg-energy-control',
  transport,
  ...(unitId === undefined ? {} : { unitId }),
  maxCurrentA: 16,
});

const cases: Case[] = [
  { name: 'the base config is clean', edit: () => {} },
  {
    name: 'duplicate charger ids',
    edit: (d) => {
      d.chargers[1].id = 'garage';
    },
    errors: [
      ['chargers[1].id', /^"garage" is already the id of chargers\[0\]; ids must be unique$/],
      ['bindings[1].chargers[0]', /^no charger has the id "drive"; chargers: garage$/],
    ],
  },
  {
    name: 'a binding naming an unknown charger, with a suggestion',
    edit: (d) => {
      d.bindings[0].chargers = ['garag', 'shed'];
    },
    errors: [
      ['bindings[0].chargers[0]', /^no charger has the id "garag" \(did you mean garage\?\); chargers: garage, drive$/],
      ['bindings[0].chargers[1]', /^no charger has the id "shed"; chargers: garage, drive$/],
    ],
  },
  {
    name: 'a binding with neither switch nor dev',
    edit: (d) => {
      delete d.bindings[0].switch;
    },
    errors: [['bindings[0]', /^needs switch \(the number 1-5 on the meter\) or dev \(the HCALCS device id\), or both$/]],
  },
  {
    name: 'a binding by dev alone, or by both, is fine',
    edit: (d) => {
      d.bindings[0] = { dev: '00-DB-12-34-56-78-90-97', chargers: ['garage'] };
      d.bindings[1].dev = '00-DB-12-34-56-78-90-98';
    },
  },
  {
    name: 'two bindings for the same switch and charger',
    edit: (d) => {
      d.bindings.push({ switch: 2, chargers: ['drive', 'garage'], reducedCurrentA: 10 });
    },
    errors: [['bindings[2].switch', /^switch 2 already drives charger "garage" through bindings\[0\]; one switch drives a charger through one binding$/]],
  },
  {
    name: 'two bindings for the same dev and charger, whatever the case of the id',
    edit: (d) => {
      d.bindings[0].dev = '00-DB-12-34-56-78-90-9A';
      d.bindings.push({ dev: '00-db-12-34-56-78-90-9a', chargers: ['garage'] });
    },
    errors: [['bindings[2].dev', /^dev 00-DB-12-34-56-78-90-9A already drives charger "garage" through bindings\[0\]/]],
  },
  {
    name: 'one switch driving different chargers through two bindings is fine',
    edit: (d) => {
      d.bindings[1].switch = 2;
    },
  },
  {
    name: 'min above max',
    edit: (d) => {
      d.chargers[0].minCurrentA = 16;
      d.chargers[0].maxCurrentA = 10;
    },
    errors: [['chargers[0].minCurrentA', /^16 A is above maxCurrentA 10 A$/]],
  },
  {
    name: 'reducedCurrentA outside 0 or min..max',
    edit: (d) => {
      d.bindings[0].reducedCurrentA = 40;
      d.bindings[1].reducedCurrentA = 4;
      d.bindings.push({ switch: 5, chargers: ['garage', 'drive'], reducedCurrentA: 20 });
    },
    errors: [
      ['bindings[0].reducedCurrentA', /^40 A is above the maximum 32 A of charger "garage"; use 6\.\.32 A$/],
      ['bindings[1].reducedCurrentA', /^4 A is below the minimum 6 A of charger "drive"; use 6\.\.16 A$/],
      // 20 A suits garage (6..32) but not drive (6..16): one error, for drive.
      ['bindings[2].reducedCurrentA', /^20 A is above the maximum 16 A of charger "drive"; use 6\.\.16 A$/],
    ],
  },
  {
    name: 'reducedCurrentA 0 only where the charger allows pausing',
    edit: (d) => {
      d.chargers[0].allowPause = true;
      d.bindings[0].reducedCurrentA = 0;
      d.bindings[1].reducedCurrentA = 0;
      d.bindings.push({ switch: 4, chargers: ['garage'], reducedCurrentA: 3 });
    },
    errors: [
      ['bindings[1].reducedCurrentA', /^0 A would pause charger "drive", which does not allow pausing \(set allowPause: true on it/],
      ['bindings[2].reducedCurrentA', /^3 A is below the minimum 6 A of charger "garage"; use 0 or 6\.\.32 A$/],
    ],
  },
  {
    name: 'failsafeCurrentA follows the same range rule',
    edit: (d) => {
      d.chargers[1].failsafeCurrentA = 0;
      d.chargers[0].failsafeCurrentA = 33;
    },
    errors: [
      ['chargers[0].failsafeCurrentA', /^33 A is above the maximum 32 A of charger "garage"/],
      ['chargers[1].failsafeCurrentA', /^0 A would pause charger "drive"/],
    ],
  },
  {
    name: 'a charger in no binding is a warning, not an error',
    edit: (d) => {
      d.bindings.pop();
    },
    warnings: [['chargers[1]', /^charger "drive" is in no binding, so no switch will ever reduce it$/]],
  },
  {
    name: 'unknown profile when profiles are known',
    edit: (d) => {
      d.chargers[0].profile = 'alfen-evee';
      d.chargers[1].profile = 'wallbox';
      d.chargers.push({ id: 'drive2', profile: 'heidelberg', transport: { type: 'tcp', host: '192.168.1.41' }, maxCurrentA: 16 });
      d.bindings[1].chargers.push('drive2');
    },
    errors: [
      ['chargers[2].profile', /^unknown profile "heidelberg" \(did you mean heidelberg-energy-control\?\)/],
      ['chargers[0].profile', /^unknown profile "alfen-evee" \(did you mean alfen-eve\?\); known: alfen-eve, generic, heidelberg-energy-control$/],
      ['chargers[1].profile', /^unknown profile "wallbox"; known: /],
    ],
  },
  {
    name: 'profiles are not checked without a list',
    knownProfiles: null,
    edit: (d) => {
      d.chargers[0].profile = 'wallbox';
    },
  },
  {
    name: 'generic needs its register map',
    edit: (d) => {
      d.chargers[0].profile = 'generic';
    },
    errors: [['chargers[0].registers', /^is required with profile generic/]],
  },
  {
    name: 'han.port: neither a path nor tcp://host:port',
    edit: (d) => {
      d.han.port = 'COM3';
    },
    errors: [['han.port', /^must be a serial device path starting with \/ \(e\.g\. \/dev\/ttyUSB0\) or tcp:\/\/host:port, got "COM3"$/]],
  },
  {
    name: 'han.port: tcp without a port',
    edit: (d) => {
      d.han.port = 'tcp://192.168.1.20';
    },
    errors: [['han.port', /^must be tcp:\/\/host:port \(a host and a port number\), got "tcp:\/\/192\.168\.1\.20"$/]],
  },
  {
    name: 'han.port: tcp port out of range',
    edit: (d) => {
      d.han.port = 'tcp://bridge.local:70000';
    },
    errors: [['han.port', /^port 70000 is not a TCP port \(1-65535\)$/]],
  },
  {
    name: 'han.port: tcp port 0, or without host',
    edit: (d) => {
      d.han.port = 'tcp://:4001';
    },
    errors: [['han.port', /^must be tcp:\/\/host:port/]],
  },
  {
    name: 'han.port: IPv6 bridge address is fine',
    edit: (d) => {
      d.han.port = 'tcp://[::1]:17201';
    },
  },
  {
    name: 'two chargers on one RS-485 line with different serial settings',
    edit: (d) => {
      d.chargers.push(heidelberg('drive2', rtu('/dev/ttyUSB1', 9600, 'none'), 2));
      d.bindings[1].chargers.push('drive2');
    },
    errors: [
      ['chargers[2].transport.serial', /^9600 8N1 differs from 19200 8E1 of chargers\[1\] on the same line \/dev\/ttyUSB1; one RS-485 line has one setting$/],
    ],
  },
  {
    name: 'two chargers on one line with the same address',
    edit: (d) => {
      d.chargers.push(heidelberg('drive2', rtu('/dev/ttyUSB1'), 1));
      d.bindings[1].chargers.push('drive2');
    },
    errors: [['chargers[2].unitId', /^1 is already used by chargers\[1\] on the same line \/dev\/ttyUSB1; each device on a line needs its own address$/]],
  },
  {
    name: 'two chargers on one line both left to the profile default address',
    edit: (d) => {
      delete d.chargers[1].unitId;
      d.chargers.push(heidelberg('drive2', rtu('/dev/ttyUSB1')));
      d.bindings[1].chargers.push('drive2');
    },
    errors: [['chargers[2].unitId', /^must be given: chargers\[1\] on the same line \/dev\/ttyUSB1 also uses the profile's default unit id/]],
  },
  {
    name: 'two chargers on one line, distinct addresses, same settings: fine',
    edit: (d) => {
      d.chargers.push(heidelberg('drive2', rtu('/dev/ttyUSB1'), 2));
      d.bindings[1].chargers.push('drive2');
    },
  },
  {
    name: 'RTU address 0 (broadcast) and a line on the HAN port',
    edit: (d) => {
      d.chargers[1].unitId = 0;
      d.chargers[1].transport.path = '/dev/ttyUSB0';
    },
    errors: [
      ['chargers[1].unitId', /^must be 1-247 on an RS-485 line \(0 is broadcast\), got 0$/],
      ['chargers[1].transport.path', /^\/dev\/ttyUSB0 is the HAN port; a Modbus line needs its own serial device$/],
    ],
  },
  {
    name: 'two TCP chargers that are one device',
    edit: (d) => {
      d.chargers.push({ id: 'garage2', profile: 'alfen-eve', transport: { type: 'tcp', host: '192.168.1.40', port: 502 }, unitId: 1, maxCurrentA: 32 });
      d.chargers.push({ id: 'socket2', profile: 'alfen-eve', transport: { type: 'tcp', host: '192.168.1.40' }, unitId: 2, maxCurrentA: 32 });
      d.bindings[0].chargers.push('garage2', 'socket2');
    },
    errors: [['chargers[2].unitId', /^192\.168\.1\.40:502 unit 1 is already chargers\[0\]; two chargers cannot be one device$/]],
  },
  {
    name: 'siteCapA below the sum of minimums, none may pause',
    edit: (d) => {
      d.rules = { siteCapA: 10 };
    },
    errors: [
      [
        'rules.siteCapA',
        /^10 A cannot give every charger its minimum at once \(garage 6 A \+ drive 6 A = 12 A, and none may pause\); raise siteCapA to at least 12 A or set allowPause: true on enough chargers$/,
      ],
    ],
  },
  {
    name: 'siteCapA below the sum of minimums, but one may pause: a warning',
    edit: (d) => {
      d.rules = { siteCapA: 10 };
      d.chargers[0].allowPause = true;
    },
    warnings: [
      [
        'rules.siteCapA',
        /^10 A is below the chargers' minimums together \(garage 6 A \+ drive 6 A = 12 A\): when all charge, one that allows pausing is paused$/,
      ],
    ],
  },
  {
    name: 'siteCapA at the sum of minimums is fine',
    edit: (d) => {
      d.rules = { siteCapA: 12 };
    },
  },
  {
    name: 'readSchedule must be a node-cron expression',
    edit: (d) => {
      d.han.readSchedule = '61 * * * *';
    },
    errors: [['han.readSchedule', /^"61 \* \* \* \*" is not a valid cron expression: 61 is a invalid expression for minute$/]],
  },
  {
    name: 'readSchedule with the wrong number of fields',
    edit: (d) => {
      d.han.readSchedule = 'every 15 minutes';
    },
    errors: [['han.readSchedule', /^"every 15 minutes" is not a valid cron expression: expected 5 or 6 fields but got 3$/]],
  },
  {
    name: 'eventLog.pruneSchedule must be a node-cron expression too',
    edit: (d) => {
      d.eventLog = { pruneSchedule: 'nightly' };
    },
    errors: [['eventLog.pruneSchedule', /^"nightly" is not a valid cron expression: expected 5 or 6 fields but got 1$/]],
  },
  {
    name: 'readSchedule with seconds is fine',
    edit: (d) => {
      d.han.readSchedule = '30 */5 * * * *';
    },
  },
  {
    name: 'reconnect cap below the first wait',
    edit: (d) => {
      d.han.reconnect = { initialMs: 5000, maxMs: 1000 };
    },
    errors: [['han.reconnect.maxMs', /^1000 ms is below initialMs 5000 ms/]],
  },
  {
    name: 'a label pattern that does not compile',
    edit: (d) => {
      d.rules = { labels: { pattern: '[EV' } };
    },
    errors: [['rules.labels.pattern', /^is not a valid regular expression: .*\[EV/]],
  },
  {
    name: 'a profile narrows the range: a warning',
    profileLimits: { 'heidelberg-energy-control': { minCurrentA: 6, maxCurrentA: 16 }, 'alfen-eve': { minCurrentA: 6, maxCurrentA: 32 } },
    edit: (d) => {
      d.chargers[1].maxCurrentA = 32;
    },
    warnings: [['chargers[1]', /^profile heidelberg-energy-control signals 6\.\.16 A, so the agent uses that instead of the configured 6\.\.32 A$/]],
  },
  {
    name: 'bindings are checked against the range the profile narrowed',
    profileLimits: { 'heidelberg-energy-control': { minCurrentA: 6, maxCurrentA: 16 } },
    edit: (d) => {
      d.chargers[1].maxCurrentA = 32;
      d.bindings[1].reducedCurrentA = 20;
    },
    errors: [['bindings[1].reducedCurrentA', /^20 A is above the maximum 16 A of charger "drive"/]],
  },
  {
    name: 'a configured range the profile cannot signal at all',
    profileLimits: { 'heidelberg-energy-control': { maxCurrentA: 16 } },
    edit: (d) => {
      d.chargers[1].minCurrentA = 20;
      d.chargers[1].maxCurrentA = 32;
      d.bindings[1].reducedCurrentA = 20;
    },
    errors: [['chargers[1].maxCurrentA', /^20\.\.32 A does not overlap what profile heidelberg-energy-control can signal$/]],
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const d = baseDoc();
    c.edit(d);
    const options = {
      ...(c.knownProfiles === null ? {} : { knownProfiles: c.knownProfiles ?? PROFILES }),
      ...(c.profileLimits ? { profileLimits: c.profileLimits } : {}),
    };
    const r = parseDoc(d, options);
    const errors = c.errors ?? [];
    const warnings = c.warnings ?? [];
    t.ok(errors.length === 0 || warnings.length === 0, 'a case expects errors or warnings: warnings come only with a valid config');
    t.equal(r.ok, errors.length === 0, errors.length === 0 ? 'accepted' : 'rejected');
    const lines = r.ok ? r.warnings : r.problems;
    const expected = r.ok ? warnings : errors;
    t.same(pathsOf(lines), expected.map(([p]) => p).sort(), 'exactly these paths');
    for (const [path, re] of expected) {
      const mine = lines.filter((l) => l.startsWith(`${path}: `)).map((l) => l.slice(path.length + 2));
      t.ok(
        mine.some((m) => re.test(m)),
        `${path}: ${re}`,
        { found: mine },
      );
    }
  });
}
