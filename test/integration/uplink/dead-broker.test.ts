// Brokers that take the connection and then fail the gateway: one that never answers at all
// (reads and stays silent), one that accepts the session (CONNACK) and never acknowledges a
// publish. The agent keeps deciding and logging, the uplink keeps retrying, nothing is
// marked as delivered, and a clean stop does not hang on the network.
import { mkdtempSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { silentBroker, until } from '../../helpers/mosquitto.js';
import { UplinkChild, mqttConfig } from '../../helpers/uplink-child.js';

function rowsOfKind(db: string, kind: string): number {
  const store = openEventLogStore(db, { readonly: true });
  try {
    return store.query({ kind, limit: 1000 }).length;
  } finally {
    store.close();
  }
}

t.test('a broker that accepts TCP and never answers', async (t) => {
  const dead = await silentBroker();
  t.teardown(() => dead.close());
  const db = join(mkdtempSync(join(tmpdir(), 'hcalcs-uplink-')), 'events.db');
  const child = new UplinkChild(db, mqttConfig({ url: `mqtt://127.0.0.1:${dead.port}`, gatewayId: 'deadgw', reconnectS: 1, ackTimeoutS: 2 }));
  t.teardown(() => child.kill9());
  await child.ready();
  await until('a CONNECT sent to the silent broker', () => dead.bytes() > 0);

  child.send('line SWITCH idx=2 type=HCALCS state=open cause=dno dur=30 seq=1');
  await until('the reduction decided and logged', () => rowsOfKind(db, 'limit.changed') > 0);
  await until('a second connection attempt after the connect timeout', () => dead.connections() >= 2, 60_000);
  const snap = await child.snap();
  t.notOk(snap.connected, 'not connected');
  t.equal(snap.cursor.id, 0, 'nothing counted as delivered');
  t.ok(snap.backlog > 0, `backlog ${snap.backlog} rows kept in the event log`);
  t.ok(/connack|timeout|closed/i.test(snap.lastError ?? ''), `last error says why: ${snap.lastError}`);

  const stopAt = Date.now();
  await child.stop();
  t.comment(`clean stop took ${Date.now() - stopAt} ms with a silent broker`);
});

t.test('a broker that accepts the session and never acknowledges a publish', async (t) => {
  let connections = 0;
  let publishes = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    connections++;
    sockets.add(s);
    let greeted = false;
    s.on('data', (d) => {
      if (!greeted) {
        greeted = true;
        s.write(Buffer.from([0x20, 0x02, 0x00, 0x00])); // CONNACK, accepted
      }
      for (const b of d) if ((b & 0xf0) === 0x30) publishes++;
    });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  const port = (server.address() as { port: number }).port;
  const db = join(mkdtempSync(join(tmpdir(), 'hcalcs-uplink-')), 'events.db');
  const child = new UplinkChild(db, mqttConfig({ url: `mqtt://127.0.0.1:${port}`, gatewayId: 'mutegw', reconnectS: 1, ackTimeoutS: 2 }));
  t.teardown(() => child.kill9());
  await child.ready();
  child.send('append 20');
  await until('publishes sent', () => publishes > 0);
  await until('the uplink gives up on the mute connection and reconnects', () => connections >= 2, 60_000);
  const snap = await child.snap();
  t.equal(snap.cursor.id, 0, 'no row counted as delivered without an acknowledgement');
  t.ok(snap.backlog >= 20, `backlog ${snap.backlog}`);
  t.match(snap.lastError ?? '', /no acknowledgement/, 'the reason is shown');
  await child.stop();
});
