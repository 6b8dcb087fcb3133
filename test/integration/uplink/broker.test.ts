// The uplink against a real Mosquitto with TLS (a test CA made by openssl) and password
// auth: state and events arrive, retained topics reach a late subscriber, every event row
// carries the fields of `log --json`, and a kill -9 of the agent leaves status "offline"
// through the last will.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import mqtt from 'mqtt';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { Broker, Subscriber, needsMosquitto, until } from '../../helpers/mosquitto.js';
import { UplinkChild, mqttConfig } from '../../helpers/uplink-child.js';

const AUTH = { username: 'gateway', password: 'a-long-test-password' };

t.test('state, events, heartbeat and last will over TLS with password auth', needsMosquitto(), async (t) => {
  const broker = new Broker({ auth: AUTH, tls: true });
  await broker.start();
  t.teardown(() => broker.stop());
  const certs = broker.certs!;
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-uplink-'));
  const passwordFile = join(dir, 'mqtt-password');
  writeFileSync(passwordFile, `${AUTH.password}\n`, { mode: 0o600 });
  const db = join(dir, 'events.db');
  const prefix = 'hcalcs/testgw1';
  const config = mqttConfig({
    url: broker.url,
    gatewayId: 'testgw1',
    username: AUTH.username,
    passwordFile,
    tls: { ca: certs.ca },
    stateMinIntervalMs: 200,
    heartbeatS: 5,
    reconnectS: 1,
    keepaliveS: 5,
    homeAssistant: { enabled: true },
  });
  t.equal(config.topicPrefix, undefined, 'no prefix given: the uplink derives hcalcs/<gatewayId>');

  const ca = readFileSync(certs.ca);
  const sub = new Subscriber();
  await sub.connect(broker.url, '#', { ...AUTH, ca });
  t.teardown(() => sub.close());

  // The broker really demands the password: the same TLS connection without it is refused.
  const refused = await new Promise<string>((resolve) => {
    const c = mqtt.connect(broker.url, { ca, reconnectPeriod: 0, connectTimeout: 10_000 });
    c.on('connect', () => resolve('connected'));
    c.on('error', (err) => resolve(err.message));
    c.on('close', () => resolve('closed'));
  });
  t.not(refused, 'connected', `anonymous client refused (${refused})`);

  const child = new UplinkChild(db, config);
  t.teardown(() => child.kill9());
  await child.ready();

  await until('status online', () => sub.on(`${prefix}/status`).some((m) => m.payload === 'online'));
  child.send('line SWITCH idx=2 type=HCALCS dev=00-DB-12-34-56-78-90-97 state=open cause=dno dur=30 seq=1');
  await until('switch 2 open', () => sub.on(`${prefix}/switch/2`).some((m) => JSON.parse(m.payload).state === 'open'));
  await until('garage at 6 A', () => sub.on(`${prefix}/charger/garage`).some((m) => JSON.parse(m.payload).limitA === 6));
  const charger = JSON.parse(sub.on(`${prefix}/charger/garage`).at(-1)!.payload) as Record<string, unknown>;
  t.match(charger, { id: 'garage', limitA: 6, explanation: String, connected: Boolean }, 'charger topic: limit, explanation, connection');
  t.ok('measuredA' in charger, 'charger topic carries measured current (null until the charger reports one)');
  t.ok(sub.on(`${prefix}/link`).length > 0 && sub.on(`${prefix}/alarms`).length > 0, 'link and alarms topics published');

  await until('the switch and limit rows on events', () => {
    const kinds = sub.events(prefix).map((e) => e.kind);
    return kinds.includes('switch.state') && kinds.includes('limit.changed');
  });
  // Every payload is exactly what `log --json` prints for that row.
  const store = openEventLogStore(db, { readonly: true });
  const rows = new Map(store.query({ limit: 10_000 }).map((r) => [r.id, JSON.stringify(r)]));
  store.close();
  const received = sub.on(`${prefix}/events`);
  t.ok(received.length >= 3, `${received.length} event rows received`);
  for (const m of received) {
    const id = (JSON.parse(m.payload) as { id: number }).id;
    if (rows.has(id)) t.equal(m.payload, rows.get(id), `row ${id} as log --json prints it`);
  }
  t.notOk(
    received.some((m) => m.retain),
    'event rows are not retained',
  );

  await until('a heartbeat', () => sub.on(`${prefix}/heartbeat`).length > 0, 30_000);
  t.match(JSON.parse(sub.on(`${prefix}/heartbeat`)[0]!.payload), {
    uptimeS: Number,
    version: 'test',
    gatewayId: 'testgw1',
    lastAckedId: Number,
    backlog: Number,
  });

  // Home Assistant discovery: retained sensors with availability from the status topic.
  const ha = sub.messages.filter((m) => m.topic.startsWith('homeassistant/sensor/'));
  const limitSensor = ha.find((m) => m.topic.endsWith('garage_limit/config'));
  t.ok(limitSensor, 'a discovery document for the garage limit');
  t.match(JSON.parse(limitSensor!.payload), { state_topic: `${prefix}/charger/garage`, availability_topic: `${prefix}/status`, unit_of_measurement: 'A' });
  t.ok(
    ha.some((m) => m.topic.endsWith('switch_2/config')),
    'a discovery document for switch 2',
  );

  // A subscriber that comes later gets the retained state at once.
  const late = new Subscriber();
  await late.connect(broker.url, `${prefix}/#`, { ...AUTH, ca, clean: true });
  await until('retained state for a late subscriber', () => late.on(`${prefix}/switch/2`).length > 0 && late.on(`${prefix}/status`).length > 0);
  t.ok(late.on(`${prefix}/switch/2`)[0]!.retain, 'switch state is retained');
  t.equal(late.on(`${prefix}/status`)[0]!.payload, 'online');
  await late.close();

  // kill -9: no goodbye from the agent, the broker publishes the will.
  await child.kill9();
  await until('status offline from the last will', () => sub.on(`${prefix}/status`).at(-1)?.payload === 'offline', 60_000);
  const after = new Subscriber();
  await after.connect(broker.url, `${prefix}/status`, { ...AUTH, ca, clean: true });
  await until('retained status', () => after.messages.length > 0);
  t.equal(after.messages[0]!.payload, 'offline', 'the retained status says offline after the kill');
  t.ok(after.messages[0]!.retain);
  await after.close();
});
