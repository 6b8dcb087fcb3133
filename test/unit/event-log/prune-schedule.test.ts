// The daily pruning job as `run` and `demo` start it: on its schedule it opens its own
// connection, prunes, logs what went; a failure is logged and left for the next run, never
// thrown into the agent. Run here every second (node-cron's six-field form) and waited on.
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { DAY_MS, schedulePruning } from '../../../agent/event-log/prune.js';
import { recordingLogger } from './fixtures/helpers.js';
import { until } from '../../helpers/until.js';

const EVERY_SECOND = '* * * * * *';

type Entry = { level: number; msg: string; pruned?: number; err?: { message: string } };

t.test('on its schedule the job prunes rows past the retention and logs how many', async (t) => {
  const dir = t.testdir({});
  const path = join(dir, 'events.db');
  const old = Date.now() - 400 * DAY_MS;
  const seed = openEventLogStore(path, { clock: () => old });
  for (let i = 0; i < 5; i++) seed.append({ kind: 'agent.start', data: { i } });
  seed.close();
  const fresh = openEventLogStore(path);
  fresh.append({ kind: 'agent.stop', data: {} });
  fresh.close();

  const { logger, entries } = recordingLogger<Entry>();
  const stop = schedulePruning({ path, retentionDays: 366, schedule: EVERY_SECOND, logger });
  await until('the job logged a pruning', () => entries().some((e) => e.msg === 'event log pruned'), 30_000);
  await stop();

  t.match(
    entries().find((e) => e.msg === 'event log pruned'),
    { level: 30, pruned: 5 },
  );
  const log = openEventLogStore(path, { readonly: true });
  t.teardown(() => log.close());
  t.same(
    log.query({ oldestFirst: true }).map((r) => r.kind),
    ['agent.stop', 'log.pruned'],
    'the old rows went, the new one stayed, and the pruning recorded itself',
  );
  t.equal(log.query({ kind: 'log.pruned' })[0]?.data.rows, 5);
});

t.test('a log the job cannot open: the failure is logged, not thrown, and the job keeps its schedule', async (t) => {
  const dir = t.testdir({});
  // A directory where the event log file should be.
  const path = join(dir, 'events.db');
  mkdirSync(path);
  const { logger, entries } = recordingLogger<Entry>();
  const stop = schedulePruning({ path, retentionDays: 366, schedule: EVERY_SECOND, logger });
  await until('two failed runs were logged', () => entries().filter((e) => e.msg.startsWith('event log pruning failed')).length >= 2, 30_000);
  await stop();
  const failure = entries().find((e) => e.msg.startsWith('event log pruning failed'));
  t.match(failure, { level: 50, msg: /tried again at the next scheduled time/, err: { message: /./ } });
});
