// The "done when": with Mosquitto running, a subscriber to hcalcs/# sees the state
// and every event row as the demo story plays. The demo runs in-process with --mqtt=URL
// against a test broker, through the same composition (agent/compose.ts) as `run`.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { demoCommand } from '../../../agent/cli/demo.js';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { Broker, Subscriber, needsMosquitto, until } from '../../helpers/mosquitto.js';

t.test('demo --mqtt: state and every event row reach a subscriber to hcalcs/#', needsMosquitto(), async (t) => {
  const broker = new Broker();
  await broker.start();
  t.teardown(() => broker.stop());
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-demo-mqtt-'));
  const db = join(dir, 'demo-events.db');
  const config = join(dir, 'demo.yaml');
  writeFileSync(config, readFileSync('config/demo.yaml', 'utf8').replace('./var/demo-events.db', db));
  const sub = new Subscriber();
  await sub.connect(broker.url, 'hcalcs/#');
  t.teardown(() => sub.close());

  let timeline = '';
  t.equal(await demoCommand(['--config', config, `--mqtt=${broker.url}`], { write: (s: string) => (timeline += s) }), 0, 'the story ran to its end');
  t.match(timeline, /fleet uplink {2}mqtt:\/\/127\.0\.0\.1:\d+, topics hcalcs\/demo\/#/);

  const store = openEventLogStore(db, { readonly: true });
  const rows = [...store.scan()];
  store.close();
  // The agent sends its last rows before it says offline; wait for them all the same.
  await until('every row of the story', () => new Set(sub.events('hcalcs/demo').map((e) => e.id)).size >= rows.length, 30_000);
  const got = new Map(sub.events('hcalcs/demo').map((e) => [e.id, e.hash]));
  t.same(
    rows.filter((r) => got.get(r.id) !== r.hash).map((r) => r.id),
    [],
    `all ${rows.length} rows arrived with their hashes`,
  );
  const kinds = sub.events('hcalcs/demo').map((e) => e.kind);
  for (const k of ['agent.start', 'switch.state', 'limit.changed', 'charger.write', 'han.rejected', 'boost.denied', 'restore.scheduled', 'agent.stop'])
    t.ok(kinds.includes(k), `${k} on the events topic`);

  const limits = sub.on('hcalcs/demo/charger/garage').map((m) => (JSON.parse(m.payload) as { limitA: number }).limitA);
  t.ok(limits.includes(6) && limits.at(-1) === 32, `the charger topic followed the story: ${[...new Set(limits)].join(' -> ')} A`);
  t.ok(
    sub.on('hcalcs/demo/switch/2').some((m) => JSON.parse(m.payload).state === 'open'),
    'switch 2 seen open',
  );
  t.same(
    sub.on('hcalcs/demo/status').map((m) => m.payload),
    ['online', 'offline'],
    'online, then offline at the end',
  );
});
