// The uplink's reader follows the event log file, not the open handle: when the file at the
// path is another one (a restore from backup, a log moved aside and started afresh) it reopens
// on the new one; while nothing is at the path it keeps what it has open.
import t from 'tap';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { LogReader } from '../../../agent/uplink/log-reader.js';

t.test('a file replaced at the path is reopened; a missing file is not a reason to drop the open one', async (t) => {
  const dir = t.testdir({});
  const path = join(dir, 'events.db');
  const first = openEventLogStore(path);
  first.append({ kind: 'agent.start', data: {} });
  first.append({ kind: 'agent.stop', data: {} });
  first.close();
  const reader = new LogReader(path);
  t.teardown(() => reader.close());
  t.equal(reader.head()?.id, 2);
  t.equal(reader.reopenIfReplaced(), false, 'the same file: nothing to do');

  renameSync(path, join(dir, 'events.old.db'));
  t.equal(reader.reopenIfReplaced(), false, 'nothing at the path: keeps the open file');
  t.equal(reader.head()?.id, 2, 'and still reads it');

  const fresh = openEventLogStore(join(dir, 'fresh.db'));
  fresh.append({ kind: 'agent.start', data: { fresh: true } });
  fresh.close();
  renameSync(join(dir, 'fresh.db'), path);
  t.equal(reader.reopenIfReplaced(), true, 'another file at the path: reopened');
  t.equal(reader.head()?.id, 1, 'the new file is what it reads now');
  t.match(JSON.parse(reader.rowsAfter(0, 10)[0]?.json ?? '{}'), { kind: 'agent.start', data: { fresh: true } });
});
