// Broken configs: each case lists EVERY problem the loader must report, with its exact path.
import t from 'tap';
import { baseDoc, parseDoc, pathsOf, problemsOf, PROFILES, type Doc } from './base.js';

interface Case {
  name: string;
  edit: (d: Doc) => Doc | void;
  expect: [path: string, message: RegExp][];
  knownProfiles?: string[];
}

const cases: Case[] = [
  {
    name: 'missing top-level sections',
    edit: () => ({ log: { level: 'info' } }),
    expect: [
      ['han', /^is required$/],
      ['chargers', /^is required$/],
      ['bindings', /^is required$/],
    ],
  },
  {
    name: 'wrong types, each named with what was found',
    edit: (d) => {
      d.han.port = 5;
      d.chargers[0].maxCurrentA = '32';
      d.chargers[0].allowPause = 'yes';
      d.bindings[0].chargers = 'garage';
      d.rules = { link: 'fast' };
    },
    expect: [
      ['han.port', /^must be a string, got 5$/],
      ['chargers[0].maxCurrentA', /^must be a number, got "32"$/],
      ['chargers[0].allowPause', /^must be true or false, got "yes"$/],
      ['bindings[0].chargers', /^must be a list, got "garage"$/],
      ['rules.link', /^must be a mapping/],
    ],
  },
  {
    name: 'enums list the allowed values',
    edit: (d) => {
      d.han.serial = { parity: 'e', dataBits: 9, baudRate: 19201 };
      d.log = { level: 'verbose' };
      d.rules = { labels: { policy: 'refuse' }, link: { fallback: 'off' } };
    },
    expect: [
      ['han.serial.parity', /^must be one of: none, even, odd; got "e"$/],
      ['han.serial.dataBits', /^must be one of: 7, 8; got 9$/],
      ['han.serial.baudRate', /^must be one of: 1200, .*19200.*115200.*; got 19201$/],
      ['log.level', /^must be one of: trace, debug, info, warn, error, fatal; got "verbose"$/],
      ['rules.labels.policy', /^must be one of: warn, enforce; got "refuse"$/],
      ['rules.link.fallback', /^must be one of: normal, reduced; got "off"$/],
    ],
  },
  {
    name: 'transport: unknown type, missing type, missing fields per type',
    edit: (d) => {
      d.chargers[0].transport = { type: 'udp', host: 'x' };
      d.chargers[1].transport = { path: '/dev/ttyUSB1' };
      d.chargers.push({ id: 'c3', profile: 'alfen-eve', transport: { type: 'tcp' }, maxCurrentA: 16 });
      d.chargers.push({
        id: 'c4',
        profile: 'heidelberg-energy-control',
        transport: { type: 'rtu', path: '/dev/ttyUSB2', serial: { dataBits: 8 } },
        maxCurrentA: 16,
      });
      d.bindings.push({ switch: 4, chargers: ['c3', 'c4'] });
    },
    expect: [
      ['chargers[0].transport.type', /^must be one of: tcp, rtu; got "udp"$/],
      ['chargers[1].transport.type', /^is required$/],
      ['chargers[2].transport.host', /^is required$/],
      ['chargers[3].transport.serial.baudRate', /^is required$/],
      ['chargers[3].transport.serial.parity', /^is required$/],
    ],
  },
  {
    name: 'rtu needs its serial settings',
    edit: (d) => {
      delete d.chargers[1].transport.serial;
    },
    expect: [['chargers[1].transport.serial', /^is required$/]],
  },
  {
    name: 'numbers out of range',
    edit: (d) => {
      d.chargers[0].minCurrentA = 5;
      d.chargers[0].maxCurrentA = 100;
      d.chargers[0].transport.port = 70000;
      d.chargers[0].unitId = 256;
      d.chargers[0].timeoutMs = 10;
      d.bindings[0].switch = 6;
      d.bindings[1].reducedCurrentA = -1;
      d.rules = { restore: { maxDelayS: 1801 }, link: { staleAfterS: 0 }, siteCapA: 0 };
      d.han.reconnect = { initialMs: 1.5 };
    },
    expect: [
      ['chargers[0].minCurrentA', /^must be at least 6, got 5$/],
      ['chargers[0].maxCurrentA', /^must be at most 80, got 100$/],
      ['chargers[0].transport.port', /^must be at most 65535, got 70000$/],
      ['chargers[0].unitId', /^must be at most 255, got 256$/],
      ['chargers[0].timeoutMs', /^must be at least 50, got 10$/],
      ['bindings[0].switch', /^must be at most 5, got 6$/],
      // Only the schema's word on it: the range check against the charger stays quiet.
      ['bindings[1].reducedCurrentA', /^must be at least 0, got -1$/],
      ['rules.restore.maxDelayS', /^must be at most 1800, got 1801$/],
      ['rules.link.staleAfterS', /^must be at least 1, got 0$/],
      ['rules.siteCapA', /^must be more than 0, got 0$/],
      ['han.reconnect.initialMs', /^must be a whole number, got 1.5$/],
      ['han.reconnect.initialMs', /^must be at least 10, got 1.5$/],
    ],
  },
  {
    name: 'patterns say what a value should look like',
    edit: (d) => {
      d.bindings[0].dev = '00-DB-12-34';
      d.chargers[0].id = 'my charger';
      d.bindings[0].chargers = ['my charger'];
      d.rules = { labels: { flags: 'gi' } };
      d.chargers[1].transport.path = 'ttyUSB1';
    },
    expect: [
      ['bindings[0].dev', /^must look like 00-DB-12-34-56-78-90-97, got "00-DB-12-34"$/],
      ['chargers[0].id', /^must look like garage, got "my charger"$/],
      ['rules.labels.flags', /^must look like i, got "gi"$/],
      ['chargers[1].transport.path', /^must look like \/dev\/serial\/by-id\/.*, got "ttyUSB1"$/],
    ],
  },
  {
    name: 'empty and repeated lists',
    edit: (d) => {
      d.chargers = [];
      d.bindings = [
        { switch: 1, chargers: [] },
        { switch: 2, chargers: ['garage', 'garage'] },
      ];
    },
    expect: [
      ['chargers', /^must list at least 1 item$/],
      ['bindings[0].chargers', /^must list at least 1 item$/],
      ['bindings[1].chargers[1]', /^repeats item 0 \("garage"\)$/],
      // With no chargers at all, "garage" names nothing (said once: its repeat is already reported).
      ['bindings[1].chargers[0]', /^no charger has the id "garage"; chargers: none$/],
    ],
  },
  {
    name: 'ramp needs both fields',
    edit: (d) => {
      d.rules = { restore: { ramp: { stepA: 2 } } };
    },
    expect: [['rules.restore.ramp.intervalS', /^is required$/]],
  },
  {
    name: 'a settings version from the future',
    edit: (d) => {
      d.version = 2;
      d.bogus = true; // not reached: the version decides how the rest is read
    },
    expect: [['version', /^2 is newer than this agent understands \(1\)/]],
  },
  {
    name: 'a version that is not a number',
    edit: (d) => {
      d.version = 'one';
    },
    expect: [['version', /^must be a whole number .*got "one"$/]],
  },
  {
    name: 'a version older than the first',
    edit: (d) => {
      d.version = 0;
    },
    expect: [['version', /^0 cannot be migrated \(no migration from version 0\)/]],
  },
  {
    name: 'schema and cross-field problems all at once, each once',
    edit: (d) => {
      d.han.port = 'COM3';
      d.han.baud = 9600;
      d.chargers[0].maxCurrentA = 'lots';
      d.chargers[1].id = 'garage';
      d.chargers[1].minCurrentA = 20;
      d.bindings[0].reducedCurrentA = 0;
      d.bindings[1] = { chargers: ['drive'] };
      d.rules = { labels: { pattern: '(EV' }, restore: { maxDelayS: -5 } };
    },
    expect: [
      ['han.port', /^must be a serial device path starting with \/ .* got "COM3"$/],
      ['han.baud', /^unknown key \(did you mean baudRate\?|^unknown key; allowed here: port, serial, requireChecksum, sendChecksum, reconnect, readSchedule$/],
      ['chargers[0].maxCurrentA', /^must be a number, got "lots"$/],
      ['chargers[1].id', /^"garage" is already the id of chargers\[0\]; ids must be unique$/],
      ['chargers[1].minCurrentA', /^20 A is above maxCurrentA 16 A$/],
      ['bindings[0].reducedCurrentA', /^0 A would pause charger "garage", which does not allow pausing/],
      ['bindings[1]', /^needs switch \(the number 1-5 on the meter\) or dev/],
      ['bindings[1].chargers[0]', /^no charger has the id "drive"; chargers: garage$/],
      ['rules.labels.pattern', /^is not a valid regular expression: /],
      ['rules.restore.maxDelayS', /^must be at least 0, got -5$/],
    ],
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const d = baseDoc();
    const doc = c.edit(d) ?? d;
    const r = parseDoc(doc, { knownProfiles: c.knownProfiles ?? PROFILES });
    t.notOk(r.ok, 'rejected');
    const problems = problemsOf(r);
    t.same(pathsOf(problems), c.expect.map(([p]) => p).sort(), 'exactly these paths');
    for (const [path, re] of c.expect) {
      const mine = problems.filter((l) => l.startsWith(`${path}: `)).map((l) => l.slice(path.length + 2));
      t.ok(
        mine.some((m) => re.test(m)),
        `${path}: ${re}`,
        { found: mine },
      );
    }
  });
}
