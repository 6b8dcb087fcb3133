// Unknown keys at every level, YAML syntax errors with line:col, and the defaults the
// schema fills in.
import t from 'tap';
import { parseConfig } from '../../../config/load.js';
import { baseDoc, parseDoc, pathsOf, problemsOf, PROFILES, type Doc } from './base.js';

// Every mapping in the config, with the keys allowed there.
const levels: [where: string, reach: (d: Doc) => Doc, allowed: string][] = [
  ['', (d) => d, 'version, han, chargers, bindings, rules, profilesDir, eventLog, history, log, mqtt'],
  ['han', (d) => d.han, 'port, serial, requireChecksum, sendChecksum, reconnect, readSchedule'],
  ['han.serial', (d) => (d.han.serial = {}), 'baudRate, dataBits, parity, stopBits'],
  ['han.reconnect', (d) => (d.han.reconnect = {}), 'initialMs, maxMs'],
  [
    'chargers[0]',
    (d) => d.chargers[0],
    'id, profile, transport, unitId, minCurrentA, maxCurrentA, allowPause, timeoutMs, registers, failsafeCurrentA, failsafeTimeoutS',
  ],
  ['chargers[0].transport', (d) => d.chargers[0].transport, 'type, host, port'],
  ['chargers[1].transport', (d) => d.chargers[1].transport, 'type, path, serial'],
  ['chargers[1].transport.serial', (d) => d.chargers[1].transport.serial, 'baudRate, dataBits, parity, stopBits'],
  ['bindings[0]', (d) => d.bindings[0], 'switch, dev, chargers, reducedCurrentA'],
  ['rules', (d) => (d.rules ??= {}), 'boost, labels, link, restore, siteCapA'],
  ['rules.boost', (d) => ((d.rules ??= {}).boost = {}), 'liftsDnoOpen'],
  ['rules.labels', (d) => ((d.rules ??= {}).labels = {}), 'pattern, flags, policy'],
  ['rules.link', (d) => ((d.rules ??= {}).link = {}), 'staleAfterS, holdS, fallback'],
  ['rules.restore', (d) => ((d.rules ??= {}).restore ??= {}), 'maxDelayS, ramp, meterRandomisesCalendar'],
  ['rules.restore.ramp', (d) => (((d.rules ??= {}).restore ??= {}).ramp = { stepA: 2, intervalS: 10 }), 'stepA, intervalS'],
  ['eventLog', (d) => (d.eventLog = {}), 'path, retentionDays, pruneSchedule'],
  ['history', (d) => (d.history = {}), 'sampleIntervalS'],
  ['log', (d) => (d.log = {}), 'level'],
  [
    'mqtt',
    (d) => (d.mqtt ??= { url: 'mqtt://b' }),
    'enabled, url, gatewayId, clientId, topicPrefix, username, password, passwordFile, tls, qos, streams, stateMinIntervalMs, heartbeatS, replayRatePerS, keepaliveS, reconnectS, ackTimeoutS, homeAssistant, commands',
  ],
  ['mqtt.tls', (d) => ((d.mqtt ??= { url: 'mqtt://b' }).tls ??= {}), 'ca, cert, key, rejectUnauthorized'],
  ['mqtt.streams', (d) => ((d.mqtt ??= { url: 'mqtt://b' }).streams ??= {}), 'state, events, heartbeat'],
  ['mqtt.homeAssistant', (d) => ((d.mqtt ??= { url: 'mqtt://b' }).homeAssistant ??= {}), 'enabled, discoveryPrefix'],
  ['mqtt.commands', (d) => ((d.mqtt ??= { url: 'mqtt://b' }).commands ??= {}), 'enabled'],
];

t.test('an unknown key is rejected at every level, naming the key and what is allowed', async (t) => {
  for (const [where, reach, allowed] of levels) {
    const d = baseDoc();
    reach(d).bogusKey = 1;
    const r = parseDoc(d, { knownProfiles: PROFILES });
    const path = where === '' ? 'bogusKey' : `${where}.bogusKey`;
    t.same(problemsOf(r), [`${path}: unknown key; allowed here: ${allowed}`], path);
  }
});

t.test('unknown keys at every level in one file are all reported together', async (t) => {
  const d = baseDoc();
  for (const [, reach] of levels) reach(d).bogusKey = 1;
  const r = parseDoc(d, { knownProfiles: PROFILES });
  t.same(pathsOf(problemsOf(r)), levels.map(([w]) => (w === '' ? 'bogusKey' : `${w}.bogusKey`)).sort());
});

t.test('a misspelt key gets a suggestion', async (t) => {
  const d = baseDoc();
  d.han.prot = d.han.port;
  delete d.han.port;
  d.chargers[0].maxCurentA = 32;
  delete d.chargers[0].maxCurrentA;
  const r = parseDoc(d, { knownProfiles: PROFILES });
  const p = problemsOf(r);
  t.ok(p.some((l) => l.startsWith('han.prot: unknown key (did you mean port?); allowed here: port,')));
  t.ok(p.includes('han.port: is required'));
  t.ok(p.some((l) => l.startsWith('chargers[0].maxCurentA: unknown key (did you mean maxCurrentA?)')));
  t.ok(p.includes('chargers[0].maxCurrentA: is required'));
  t.equal(p.length, 4);
});

const yamlCases: [name: string, text: string, expect: string[]][] = [
  [
    'unclosed flow list',
    'han:\n  port: /dev/ttyUSB0\nbindings: [1, 2\nchargers: []\n',
    ['4:1: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  ],
  ['duplicate key', 'han:\n  port: /dev/ttyUSB0\n  port: /dev/ttyUSB1\n', ['3:3: Map keys must be unique']],
  ['tab indentation', 'han:\n\tport: /dev/ttyUSB0\n', ['2:1: Tabs are not allowed as indentation']],
  ['unterminated quote', 'han:\n  port: "/dev/ttyUSB0\nchargers: []\n', ['4:1: Missing closing "quote']],
  ['two documents', 'han: {}\n---\nchargers: []\n', ['2:1: Source contains multiple documents; please use YAML.parseAllDocuments()']],
  [
    'several syntax errors at once',
    'han:\n  port: a\n  port: b\nlog:\n  level: info\n  level: warn\n',
    ['3:3: Map keys must be unique', '6:3: Map keys must be unique'],
  ],
];

for (const [name, text, expect] of yamlCases) {
  t.test(`YAML syntax: ${name}`, async (t) => {
    const r = parseConfig(text, 'x.yaml');
    t.same(problemsOf(r), expect);
  });
}

t.test('an empty file says what it needs', async (t) => {
  for (const text of ['', '# nothing but a comment\n']) {
    t.same(problemsOf(parseConfig(text, 'x.yaml')), ['(root): the file has no settings; it needs at least han, chargers and bindings']);
  }
  t.same(problemsOf(parseConfig('- a\n- b\n', 'x.yaml')), ['(root): must be a mapping (key: value lines), got a list']);
});

t.test('defaults fill everything the file leaves out', async (t) => {
  const text = [
    'han:',
    '  port: tcp://127.0.0.1:17201',
    'chargers:',
    '  - id: garage',
    '    profile: alfen-eve',
    '    transport: { type: tcp, host: 192.168.1.40 }',
    '    maxCurrentA: 32',
    '  - id: drive',
    '    profile: heidelberg-energy-control',
    '    transport: { type: rtu, path: /dev/ttyUSB1, serial: { baudRate: 19200, parity: even } }',
    '    unitId: 3',
    '    maxCurrentA: 16',
    'bindings:',
    '  - switch: 2',
    '    chargers: [garage, drive]',
    '',
  ].join('\n');
  const r = parseConfig(text, 'min.yaml', { cwd: '/srv/agent' });
  if (!r.ok) return t.fail(r.problems.join('\n'));
  t.same(r.warnings, []);
  t.strictSame(r.config, {
    version: 1,
    han: {
      port: 'tcp://127.0.0.1:17201',
      serial: { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 },
      requireChecksum: false,
      sendChecksum: false,
      reconnect: { initialMs: 500, maxMs: 30000 },
      readSchedule: '*/15 * * * *',
    },
    chargers: [
      {
        id: 'garage',
        profile: 'alfen-eve',
        transport: { type: 'tcp', host: '192.168.1.40', port: 502 },
        maxCurrentA: 32,
        minCurrentA: 6,
        allowPause: false,
        timeoutMs: 1000,
      },
      {
        id: 'drive',
        profile: 'heidelberg-energy-control',
        transport: { type: 'rtu', path: '/dev/ttyUSB1', serial: { baudRate: 19200, parity: 'even', dataBits: 8, stopBits: 1 } },
        unitId: 3,
        maxCurrentA: 16,
        minCurrentA: 6,
        allowPause: false,
        timeoutMs: 1000,
      },
    ],
    bindings: [{ switch: 2, chargers: ['garage', 'drive'], reducedCurrentA: 6 }],
    rules: {
      boost: { liftsDnoOpen: true },
      labels: { pattern: '\\bEV\\b|charg', flags: 'i', policy: 'warn' },
      link: { staleAfterS: 60, holdS: 300, fallback: 'normal' },
      restore: { maxDelayS: 600, meterRandomisesCalendar: false },
    },
    eventLog: { path: '/var/lib/hcalcs-agent/events.db', retentionDays: 400, pruneSchedule: '17 3 * * *' },
    history: { sampleIntervalS: 60 },
    log: { level: 'info' },
  });
  t.notOk('unitId' in (r.config.chargers[0] ?? {}), 'unitId stays absent: the profile default applies');
});

t.test('values given are kept, not overwritten by defaults', async (t) => {
  const d = baseDoc();
  d.han.serial = { baudRate: 9600, parity: 'odd', dataBits: 7, stopBits: 2 };
  d.han.reconnect = { maxMs: 60000 };
  d.rules = { link: { holdS: 0 }, restore: { maxDelayS: 0 }, boost: { liftsDnoOpen: false } };
  const r = parseDoc(d);
  if (!r.ok) return t.fail(r.problems.join('\n'));
  t.same(r.config.han.serial, { baudRate: 9600, parity: 'odd', dataBits: 7, stopBits: 2 });
  t.same(r.config.han.reconnect, { initialMs: 500, maxMs: 60000 });
  t.same(r.config.rules.link, { staleAfterS: 60, holdS: 0, fallback: 'normal' });
  t.equal(r.config.rules.restore.maxDelayS, 0);
  t.equal(r.config.rules.boost.liftsDnoOpen, false);
});

t.test('normalised on load: dev upper case, relative eventLog.path against cwd', async (t) => {
  const d = baseDoc();
  d.bindings[0].dev = '00-db-12-34-56-78-90-9a';
  d.eventLog = { path: './var/demo-events.db' };
  const r = parseDoc(d, { cwd: '/srv/agent' });
  if (!r.ok) return t.fail(r.problems.join('\n'));
  t.equal(r.config.bindings[0]?.dev, '00-DB-12-34-56-78-90-9A');
  t.equal(r.config.eventLog.path, '/srv/agent/var/demo-events.db');
  d.eventLog = { path: '/data/events.db' };
  const abs = parseDoc(d, { cwd: '/srv/agent' });
  t.equal(abs.ok && abs.config.eventLog.path, '/data/events.db');
});

t.test('YAML anchors, aliases and merge keys work (shared RS-485 settings)', async (t) => {
  const text = `
han: { port: /dev/ttyAMA0 }
x-line: &line
  type: rtu
  path: /dev/ttyUSB1
  serial: { baudRate: 19200, parity: even }
chargers:
  - { id: a, profile: heidelberg-energy-control, transport: *line, unitId: 1, maxCurrentA: 16 }
  - id: b
    profile: heidelberg-energy-control
    transport: { <<: *line }
    unitId: 2
    maxCurrentA: 16
bindings:
  - { switch: 1, chargers: [a, b] }
`;
  // x-line is not a setting: unknown keys are refused even as anchor holders.
  t.same(problemsOf(parseConfig(text, 'a.yaml')), [
    'x-line: unknown key; allowed here: version, han, chargers, bindings, rules, profilesDir, eventLog, history, log, mqtt',
  ]);
  const inline = text
    .replace(/x-line: &line\n(  .*\n){3}/, '')
    .replace('transport: *line', 'transport: &line { type: rtu, path: /dev/ttyUSB1, serial: { baudRate: 19200, parity: even } }');
  const r = parseConfig(inline, 'a.yaml');
  if (!r.ok) return t.fail(r.problems.join('\n'));
  t.same(r.config.chargers[1]?.transport, r.config.chargers[0]?.transport);
});
