// The `mqtt:` section: off when absent, defaults filled by the schema, every mistake reported
// as `path: message` (check-config exits 78 on them), file paths resolved and checked.
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { baseDoc, parseDoc, problemsOf, warningsOf, type Doc } from './base.js';

const dir = mkdtempSync(join(tmpdir(), 'hcalcs-mqtt-config-'));
const pw = join(dir, 'pw');
writeFileSync(pw, 'secret\n');
const ca = join(dir, 'ca.crt');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');

function withMqtt(mqtt: unknown): Doc {
  const d = baseDoc();
  d.mqtt = mqtt;
  return d;
}

t.test('absent: no uplink', async (t) => {
  const r = parseDoc(baseDoc());
  t.ok(r.ok);
  if (r.ok) t.equal(r.config.mqtt, undefined);
});

t.test('a url alone: on, with the documented defaults', async (t) => {
  const r = parseDoc(withMqtt({ url: 'mqtts://fleet.example.com:8883' }));
  t.ok(r.ok, problemsOf(r).join('\n'));
  if (!r.ok) return;
  t.same(r.config.mqtt, {
    url: 'mqtts://fleet.example.com:8883',
    enabled: true,
    tls: { rejectUnauthorized: true },
    qos: 1,
    streams: { state: true, events: true, heartbeat: true },
    stateMinIntervalMs: 1000,
    heartbeatS: 60,
    replayRatePerS: 200,
    keepaliveS: 30,
    reconnectS: 5,
    ackTimeoutS: 30,
    homeAssistant: { enabled: false, discoveryPrefix: 'homeassistant' },
    commands: { enabled: false },
  });
});

t.test('relative file paths resolve against the start directory, like eventLog.path', async (t) => {
  const r = parseDoc(withMqtt({ url: 'mqtts://h', username: 'u', passwordFile: 'pw', tls: { ca: 'ca.crt' } }), { cwd: dir });
  t.ok(r.ok, problemsOf(r).join('\n'));
  if (r.ok) t.match(r.config.mqtt, { passwordFile: pw, tls: { ca } });
});

const broken: Array<[string, unknown, Array<[string, RegExp]>]> = [
  ['no url', {}, [['mqtt.url', /required/]]],
  ['a scheme the client does not speak', { url: 'http://broker:1883' }, [['mqtt.url', /scheme http is not one of mqtt, mqtts, ws, wss/]]],
  ['not a URL', { url: 'broker:1883' }, [['mqtt.url', /scheme broker/]]],
  ['no host', { url: 'mqtt://:1883' }, [['mqtt.url', /not a URL|no broker host/]]],
  ['credentials in the URL', { url: 'mqtt://u:p@broker' }, [['mqtt.url', /must not carry credentials/]]],
  ['QoS 0', { url: 'mqtt://b', qos: 0 }, [['mqtt.qos', /1, 2/]]],
  ['password twice', { url: 'mqtt://b', username: 'u', password: 'x', passwordFile: pw }, [['mqtt.passwordFile', /not both/]]],
  ['password without user', { url: 'mqtt://b', password: 'x' }, [['mqtt.password', /needs a username/]]],
  ['missing password file', { url: 'mqtt://b', username: 'u', passwordFile: join(dir, 'nope') }, [['mqtt.passwordFile', /no such file/]]],
  ['a directory as CA', { url: 'mqtts://b', tls: { ca: dir } }, [['mqtt.tls.ca', /is not a file/]]],
  ['cert without key', { url: 'mqtts://b', tls: { cert: ca } }, [['mqtt.tls.key', /needs tls.key/]]],
  ['a wildcard in the prefix', { url: 'mqtt://b', topicPrefix: 'fleet/+/x' }, [['mqtt.topicPrefix', /must not contain the MQTT wildcards/]]],
  ['a trailing slash in the prefix', { url: 'mqtt://b', topicPrefix: 'fleet/' }, [['mqtt.topicPrefix', /start or end with \//]]],
  ['a gateway id with a slash', { url: 'mqtt://b', gatewayId: 'a/b' }, [['mqtt.gatewayId', /must look like/]]],
  ['an unknown key', { url: 'mqtt://b', broker: 'x' }, [['mqtt.broker', /unknown key/]]],
  ['a rate of zero', { url: 'mqtt://b', replayRatePerS: 0 }, [['mqtt.replayRatePerS', />= 1|at least 1/]]],
];

for (const [what, mqtt, want] of broken) {
  t.test(what, async (t) => {
    const problems = problemsOf(parseDoc(withMqtt(mqtt)));
    t.equal(problems.length, want.length, problems.join('\n'));
    for (const [path, msg] of want)
      t.ok(
        problems.some((p) => p.startsWith(`${path}: `) && msg.test(p)),
        `${path}: ${msg} in\n${problems.join('\n')}`,
      );
  });
}

t.test('warnings that do not stop the agent', async (t) => {
  const w = warningsOf(parseDoc(withMqtt({ url: 'mqtt://b', tls: { ca, rejectUnauthorized: false } })));
  t.ok(
    w.some((l) => l.startsWith('mqtt.tls: ') && /ignored for mqtt:\/\//.test(l)),
    w.join('\n'),
  );
  t.ok(
    w.some((l) => l.startsWith('mqtt.tls.rejectUnauthorized: ')),
    w.join('\n'),
  );
});

t.test(
  'a password file this user cannot read is a warning (the service user may)',
  { skip: process.getuid?.() === 0 ? 'root reads every file' : false },
  async (t) => {
    const locked = join(dir, 'locked');
    writeFileSync(locked, 'x');
    chmodSync(locked, 0o000);
    const r = parseDoc(withMqtt({ url: 'mqtt://b', username: 'u', passwordFile: locked }));
    t.ok(r.ok);
    t.ok(warningsOf(r).some((l) => l.startsWith('mqtt.passwordFile: ')));
  },
);

t.test('enabled: false skips the file checks (the demo keeps a section it does not use)', async (t) => {
  t.ok(parseDoc(withMqtt({ enabled: false, url: 'mqtts://b', username: 'u', passwordFile: join(dir, 'nope') })).ok);
});
