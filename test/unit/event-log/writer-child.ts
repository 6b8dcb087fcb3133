// A separate agent process for concurrency tests: appends `count` events one at a time (each
// its own transaction, as the agent does), yielding between them, then prints "done".
import { openEventLogStore } from '../../../agent/event-log/store.js';

const [path, countText] = process.argv.slice(2);
if (path === undefined || countText === undefined) throw new Error('usage: writer-child PATH COUNT');
const log = openEventLogStore(path);
const count = Number(countText);
process.stdout.write('ready\n');
for (let i = 0; i < count; i++) {
  log.append({ kind: 'child.write', data: { i } });
  if (i % 10 === 0) await new Promise((r) => setImmediate(r));
}
log.close();
process.stdout.write('done\n');
