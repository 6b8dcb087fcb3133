// Store and forward against a real Mosquitto: the broker stopped while the agent keeps
// logging, then started again; the agent killed mid-backlog and started again on the same
// event log. Every row's id reaches the subscriber, none missing, and any row that arrives
// twice is the same row (same id, same hash).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { Broker, Subscriber, needsMosquitto, until } from '../../helpers/mosquitto.js';
import { UplinkChild, mqttConfig } from '../../helpers/uplink-child.js';

function headId(db: string): number {
  const store = openEventLogStore(db, { readonly: true });
  try {
    return store.head()?.id ?? 0;
  } finally {
    store.close();
  }
}

function hashes(db: string): Map<number, string> {
  const store = openEventLogStore(db, { readonly: true });
  try {
    return new Map([...store.scan()].map((r) => [r.id, r.hash]));
  } finally {
    store.close();
  }
}

/** Checks every row of the log arrived, with its own hash; returns how many came twice or more. */
function checkComplete(t: Test, db: string, got: Array<{ id: number; hash: string }>): number {
  const want = hashes(db);
  const seen = new Map<number, number>();
  let wrongHash = 0;
  for (const e of got) {
    seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
    if (want.get(e.id) !== e.hash) wrongHash++;
  }
  const missing = [...want.keys()].filter((id) => !seen.has(id));
  t.same(missing, [], `all ${want.size} rows arrived (none missing)`);
  t.equal(wrongHash, 0, 'every received row has the hash the log has for its id');
  t.equal([...seen.keys()].filter((id) => !want.has(id)).length, 0, 'no row the log does not have');
  return [...seen.values()].filter((n) => n > 1).length;
}

const prefix = 'hcalcs/sfgw';

t.test('broker stopped during activity and started again: every row arrives', needsMosquitto(), async (t) => {
  const broker = new Broker();
  await broker.start();
  t.teardown(() => broker.stop());
  const db = join(mkdtempSync(join(tmpdir(), 'hcalcs-uplink-')), 'events.db');
  const config = mqttConfig({ url: broker.url, gatewayId: 'sfgw', reconnectS: 1, keepaliveS: 5, replayRatePerS: 2000 });
  const sub = new Subscriber();
  await sub.connect(broker.url, `${prefix}/#`);
  t.teardown(() => sub.close());
  const child = new UplinkChild(db, config);
  t.teardown(() => child.kill9());
  await child.ready();

  child.send('append 50');
  await until('the first rows', () => sub.events(prefix).length >= 50);

  await broker.stop();
  await until('the agent to notice the outage', async () => !(await child.snap()).connected);
  // Activity while the broker is down: bursts and a switch opening and closing, for
  // UPLINK_OUTAGE_S seconds (default 3; the README's check ran it with 60).
  const outageMs = Number(process.env.UPLINK_OUTAGE_S ?? 3) * 1000;
  const downAt = Date.now();
  let seq = 1;
  child.send('append 200');
  while (Date.now() - downAt < outageMs) {
    child.send(`line SWITCH idx=2 type=HCALCS state=${seq % 2 ? 'open' : 'closed'} cause=${seq % 2 ? 'dno' : 'reset'} dur=30 seq=${seq}`);
    seq++;
    child.send('append 50');
    await new Promise((r) => setTimeout(r, 500));
  }
  await until('the backlog to build up', async () => (await child.snap()).backlog >= 300);
  const during = await child.snap();
  t.notOk(during.connected, 'status shows the uplink down');
  t.ok(during.backlog >= 300, `backlog ${during.backlog} rows while the broker is down`);

  await broker.start();
  const head = headId(db);
  await until('every row up to the head after the restart', () => new Set(sub.events(prefix).map((e) => e.id)).size >= head, 120_000);
  const dups = checkComplete(t, db, sub.events(prefix));
  t.comment(`${sub.events(prefix).length} event messages for ${head} rows; ${dups} rows arrived more than once`);
  await until('backlog drained in status', async () => (await child.snap()).backlog === 0);
  const snap = await child.snap();
  t.ok(snap.connected, 'connected again');
  t.ok(snap.cursor.id >= head, `cursor at ${snap.cursor.id}, head was ${head}`);
  await until('status online again', () => sub.on(`${prefix}/status`).at(-1)?.payload === 'online');
  await child.stop();
});

t.test('agent killed mid-backlog and started again: resumes from the durable cursor', needsMosquitto(), async (t) => {
  const broker = new Broker();
  await broker.start();
  t.teardown(() => broker.stop());
  const db = join(mkdtempSync(join(tmpdir(), 'hcalcs-uplink-')), 'events.db');
  // A slow replay so the kill lands in the middle of the backlog.
  const config = mqttConfig({ url: broker.url, gatewayId: 'sfgw', reconnectS: 1, keepaliveS: 5, replayRatePerS: 100 });
  const sub = new Subscriber();
  await sub.connect(broker.url, `${prefix}/events`);
  t.teardown(() => sub.close());

  const first = new UplinkChild(db, config);
  t.teardown(() => first.kill9());
  await first.ready();
  first.send('append 600');
  // Past at least one cursor save (every second), well short of the end.
  await until('part of the backlog', () => sub.events(prefix).length >= 250);
  await first.kill9();
  const beforeKill = new Set(sub.events(prefix).map((e) => e.id));
  const head = headId(db);
  t.ok(beforeKill.size < head, `killed with ${beforeKill.size} of ${head} rows delivered`);
  const countBefore = sub.events(prefix).length;

  const second = new UplinkChild(db, config);
  t.teardown(() => second.kill9());
  await second.ready();
  await until('every row after the restart', () => new Set(sub.events(prefix).map((e) => e.id)).size >= headId(db), 120_000);
  const resent = sub.events(prefix).slice(countBefore);
  const firstAfter = Math.min(...resent.map((e) => e.id));
  t.ok(firstAfter > 1, `the restarted agent resumed at row ${firstAfter}, not from the start`);
  const maxBefore = Math.max(...beforeKill);
  t.ok(firstAfter <= maxBefore + 1, `no gap: resumed at ${firstAfter}, ${maxBefore} had arrived`);
  const dups = checkComplete(t, db, sub.events(prefix));
  t.ok(dups <= maxBefore - firstAfter + 1, `only rows around the kill came twice (${dups})`);
  t.comment(`killed after ${beforeKill.size} rows; restarted from ${firstAfter}; ${dups} duplicates`);
  await second.stop();
});

t.test('a saved cursor that points past the log (a log begun anew with salvaged state) starts over', needsMosquitto(), async (t) => {
  const broker = new Broker();
  await broker.start();
  t.teardown(() => broker.stop());
  const db = join(mkdtempSync(join(tmpdir(), 'hcalcs-uplink-')), 'events.db');
  const store = openEventLogStore(db);
  store.saveState('uplink', { cursor: { id: 999, hash: 'from-the-old-file' } });
  store.appendMany([{ kind: 'test.before' }, { kind: 'test.before' }]);
  store.close();
  const sub = new Subscriber();
  await sub.connect(broker.url, `${prefix}/events`);
  t.teardown(() => sub.close());
  const child = new UplinkChild(db, mqttConfig({ url: broker.url, gatewayId: 'sfgw', reconnectS: 1 }));
  t.teardown(() => child.kill9());
  await child.ready();
  await until('the rows of the new file', () => sub.events(prefix).some((e) => e.kind === 'uplink.cursor-reset'));
  const ids = sub.events(prefix).map((e) => e.id);
  t.ok(ids.includes(1) && ids.includes(2), `rows 1 and 2 sent (${ids.slice(0, 5).join(', ')}...)`);
  await child.stop();
});
