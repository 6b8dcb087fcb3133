// Remote commands through a real Mosquitto: off unless enabled; when enabled, restore-now and
// a manual-limit that can only lower are queued like the owner's CLI commands and recorded
// in the event log; anything that could raise a limit is refused, recorded and answered.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { Broker, Subscriber, needsMosquitto, until } from '../../helpers/mosquitto.js';
import { UplinkChild, mqttConfig } from '../../helpers/uplink-child.js';

function rows(db: string, kind: string): Array<Record<string, unknown>> {
  const store = openEventLogStore(db, { readonly: true });
  try {
    return store.query({ kind, limit: 100 }).map((r) => r.data);
  } finally {
    store.close();
  }
}

t.test('commands enabled: only what can lower, recorded like an owner command', needsMosquitto(), async (t) => {
  const broker = new Broker();
  await broker.start();
  t.teardown(() => broker.stop());
  const db = join(mkdtempSync(join(tmpdir(), 'hcalcs-uplink-')), 'events.db');
  const prefix = 'hcalcs/cmdgw';
  const sub = new Subscriber();
  await sub.connect(broker.url, `${prefix}/#`);
  t.teardown(() => sub.close());
  const config = mqttConfig({ url: broker.url, gatewayId: 'cmdgw', commands: { enabled: true }, stateMinIntervalMs: 200 });
  let child = new UplinkChild(db, config);
  t.teardown(() => child.kill9());
  await child.ready();
  // The meter confirms switch 2 closed: until it does, a start holds the charger reduced.
  child.send('line SWITCH idx=2 type=HCALCS state=closed cause=calendar');
  await until('the garage at 32 A', () => sub.on(`${prefix}/charger/garage`).some((m) => JSON.parse(m.payload).limitA === 32));
  const results = () => sub.on(`${prefix}/command/result`).map((m) => JSON.parse(m.payload) as Record<string, unknown>);

  await sub.publish(`${prefix}/command/manual-limit`, JSON.stringify({ chargerId: 'garage', limitA: 10, requestId: 'r1' }));
  await until('r1 answered', () => results().some((r) => r.requestId === 'r1'));
  t.match(
    results().find((r) => r.requestId === 'r1'),
    { name: 'manual-limit', accepted: true, command: Number },
  );
  await until('the cap applied', () => sub.on(`${prefix}/charger/garage`).some((m) => JSON.parse(m.payload).limitA === 10));
  t.match(
    rows(db, 'owner.command').at(-1),
    { name: 'manual-limit', args: { chargerId: 'garage', limitA: 10, by: 'fleet', via: 'mqtt', requestId: 'r1' } },
    'recorded like any owner command, marked as from the fleet',
  );

  // The same command delivered again (a publisher's QoS 1 resend reaches the broker as a new
  // message): refused by its requestId, not queued a second time.
  await sub.publish(`${prefix}/command/manual-limit`, JSON.stringify({ chargerId: 'garage', limitA: 10, requestId: 'r1' }));
  await until('r1 answered again', () => results().filter((r) => r.requestId === 'r1').length === 2);
  t.match(results().filter((r) => r.requestId === 'r1')[1], { accepted: false, reason: /requestId r1 was accepted already \(command \d+\)/ });

  await sub.publish(`${prefix}/command/manual-limit`, JSON.stringify({ chargerId: 'garage', limitA: 20, requestId: 'r2' }));
  await until('r2 answered', () => results().some((r) => r.requestId === 'r2'));
  t.match(
    results().find((r) => r.requestId === 'r2'),
    { accepted: false, reason: /only lower/ },
  );
  await until('the refusal on the events topic', () => sub.events(prefix).some((e) => e.kind === 'uplink.command-refused' && e.data.requestId === 'r2'));
  t.equal(rows(db, 'owner.command').length, 1, 'the refused command never reached the agent');

  await sub.publish(`${prefix}/command/manual-limit`, JSON.stringify({ chargerId: 'garage', limitA: null, requestId: 'r3' }));
  await until('r3 answered', () => results().some((r) => r.requestId === 'r3'));
  t.match(
    results().find((r) => r.requestId === 'r3'),
    { accepted: false, reason: /clearing/ },
  );

  // A retained command reaches a running uplink as a live message (MQTT clears the retain
  // flag on live delivery) and is applied once; handed over again when the uplink
  // subscribes anew (restart, reconnect), it is refused instead of being applied again.
  await sub.publish(`${prefix}/command/restore-now`, JSON.stringify({ requestId: 'r4' }), true);
  await until('r4 answered', () => results().some((r) => r.requestId === 'r4'));
  t.match(
    results().find((r) => r.requestId === 'r4'),
    { accepted: true },
  );
  await until('restore-now recorded', () => rows(db, 'owner.command').some((d) => d.name === 'restore-now'));
  t.match(
    rows(db, 'owner.command').find((d) => d.name === 'restore-now'),
    { args: { by: 'fleet', via: 'mqtt', requestId: 'r4' } },
  );
  await child.stop();
  const again = new UplinkChild(db, config);
  t.teardown(() => again.kill9());
  await again.ready();
  await until('the retained r4 answered again', () => results().filter((r) => r.requestId === 'r4').length === 2);
  t.match(results().filter((r) => r.requestId === 'r4')[1], { accepted: false, reason: /retained/ }, 'refused when handed over on subscribe');
  await sub.publish(`${prefix}/command/restore-now`, '', true); // clears the retained message
  child = again;
  t.equal(rows(db, 'owner.command').filter((d) => d.name === 'restore-now').length, 1, 'applied once');
  t.equal(rows(db, 'uplink.command-refused').length, 4, 'each refusal recorded');
  await child.stop();
});

t.test('commands off (the default): nothing published to the command topics has any effect', needsMosquitto(), async (t) => {
  const broker = new Broker();
  await broker.start();
  t.teardown(() => broker.stop());
  const db = join(mkdtempSync(join(tmpdir(), 'hcalcs-uplink-')), 'events.db');
  const prefix = 'hcalcs/offgw';
  const sub = new Subscriber();
  await sub.connect(broker.url, `${prefix}/#`);
  t.teardown(() => sub.close());
  const child = new UplinkChild(db, mqttConfig({ url: broker.url, gatewayId: 'offgw' }));
  t.teardown(() => child.kill9());
  await child.ready();
  await until('online', () => sub.on(`${prefix}/status`).some((m) => m.payload === 'online'));
  await sub.publish(`${prefix}/command/manual-limit`, JSON.stringify({ chargerId: 'garage', limitA: 6 }));
  await sub.publish(`${prefix}/command/restore-now`, '{}');
  // Rows appended after the commands and seen arriving: the uplink has been running well past them.
  child.send('append 5');
  await until('later rows arrive', () => sub.events(prefix).filter((e) => e.kind === 'test.burst').length === 5);
  await new Promise((r) => setTimeout(r, 1500)); // one owner-command poll of the runtime (200 ms) several times over
  t.same(rows(db, 'owner.command'), [], 'no command queued');
  t.same(sub.on(`${prefix}/command/result`), [], 'no answer');
  await child.stop();
});
