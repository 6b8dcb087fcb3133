// A row whose data was edited by hand (the triggers dropped first) is still shown by every
// reader rather than failing the query: the store and the uplink's reader show unparseable
// text as { unparseable } and a JSON value that is not an object as { value }; the reports'
// window reads the unparseable as no data. (verify-log is what says the row was changed.)
import t from 'tap';
import Database from 'better-sqlite3';
import { windowRows } from '../../../agent/cli/shared/window.js';
import { LogReader } from '../../../agent/uplink/log-reader.js';
import { tempLog } from './fixtures/helpers.js';

function editedLog(t: Parameters<typeof tempLog>[0]) {
  const { path, log } = tempLog(t);
  for (let i = 1; i <= 3; i++) log.append({ kind: 'agent.start', data: { i } });
  const db = new Database(path);
  db.exec('DROP TRIGGER events_no_update');
  db.prepare('UPDATE events SET data = ? WHERE id = 2').run('{"i": 2');
  db.prepare('UPDATE events SET data = ? WHERE id = 3').run('[3, 4]');
  db.close();
  return { path, log };
}

t.test('the store: { unparseable: text } and { value }', async (t) => {
  const { log } = editedLog(t);
  t.same(
    log.query({ oldestFirst: true }).map((r) => r.data),
    [{ i: 1 }, { unparseable: '{"i": 2' }, { value: [3, 4] }],
  );
  t.equal(log.verify().ok, false, 'and the chain says the rows were changed');
});

t.test("the reports' window: no data for the unparseable row, { value } for the array", async (t) => {
  const { log } = editedLog(t);
  t.same(
    [...windowRows(log, { sinceMs: null, untilMs: null })].map((r) => [r.id, r.data]),
    [
      [1, { i: 1 }],
      [2, {}],
      [3, { value: [3, 4] }],
    ],
  );
});

t.test("the uplink's reader publishes the rows as the store shows them", async (t) => {
  const { path } = editedLog(t);
  const reader = new LogReader(path);
  t.teardown(() => reader.close());
  t.same(
    reader.rowsAfter(0, 10).map((r) => (JSON.parse(r.json) as { data: unknown }).data),
    [{ i: 1 }, { unparseable: '{"i": 2' }, { value: [3, 4] }],
  );
});
