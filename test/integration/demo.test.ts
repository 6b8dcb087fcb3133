// `npm start` runs this story; here it runs in-process against a copy of the demo config
// with the event log in a temp dir, and the log must tell the whole story, hash-chained.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoCommand } from '../../agent/cli/demo.js';
import { openEventLog } from '../../agent/event-log/store.js';

t.test('the demo story plays and leaves a verifiable event log', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-demo-'));
  const db = join(dir, 'demo-events.db');
  const config = join(dir, 'demo.yaml');
  writeFileSync(config, readFileSync('config/demo.yaml', 'utf8').replace('./var/demo-events.db', db));

  let timeline = '';
  t.equal(await demoCommand(['--config', config], { write: (s: string) => (timeline += s) }), 0, 'the story ran to its end');
  t.match(timeline, /DNO: Deactivate Auxiliary Load on switch 2/, 'the timeline tells the story');
  t.match(timeline, /REJECTED line \(bad_checksum\)/);
  t.match(timeline, /charger back at 32 A/);

  const log = openEventLog(db, { readonly: true });
  t.teardown(() => log.close());
  t.same(log.verify(), { ok: true, count: log.query({ limit: 100000 }).length }, 'the hash chain verifies');
  const changes = log.query({ kind: 'limit.changed' }).map((r) => [r.data.fromA, r.data.toA]);
  // A fresh start is reduced until the meter confirms and rises through the delay (issue 7;
  // it was [null, 32] at once).
  t.same(
    changes,
    [
      [null, 6],
      [6, 32],
      [32, 6],
      [6, 32],
    ],
    'reduced at the start, full, reduced by the DNO, restored',
  );
  t.match(log.query({ kind: 'han.rejected' })[0]?.data, { reason: 'bad_checksum' });
  t.match(log.query({ kind: 'boost.denied' })[0]?.data, { idx: 2 });
  t.ok(log.query({ kind: 'restore.scheduled' }).length === 2, 'both rises waited their random delay');
  const writes = log.query({ kind: 'charger.write' }).map((r) => r.data.limitA);
  t.same(writes, [6, 32, 6, 32], 'every decision reached the charger');
});
