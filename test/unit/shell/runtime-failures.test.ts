// The shell keeps protecting the cable when its surroundings fail: an event log that cannot
// take rows or cannot hand over owner commands, and a core that names a charger the shell does
// not drive, each cost a log line, never a write to the chargers that are there. And the
// scheduled full read asks the meter for the switches, then the Boost Button.
import t from 'tap';
import { garageConfig } from '../../helpers/garage.js';
import { limits, rig, switchLine } from '../../helpers/runtime-rig.js';

const open = () => Object.values(switchLine('open')) as [string, never];

t.test('an event log that refuses rows: the reduction is still written, and the agent runs on', async (t) => {
  const { journal, han, log, runtime, settle, clock } = rig();
  runtime.start();
  han.goUp();
  settle();
  log.appendMany = () => {
    throw new Error('SQLITE_FULL: database or disk is full');
  };
  journal.length = 0;
  han.deliver(...open());
  t.doesNotThrow(settle, 'the failed append stays inside the shell');
  t.same(limits(journal), [6], 'the DNO reduction went out');
  clock.advance(1_000);
  t.doesNotThrow(settle);
  await runtime.stop('test');
});

t.test('owner commands that cannot be read: skipped this poll, taken at a later one', async (t) => {
  const { journal, han, log, runtime, settle, clock } = rig();
  runtime.start();
  han.goUp();
  han.deliver(...open());
  han.deliver(...(Object.values(switchLine('closed', 'reset')) as [string, never]));
  settle();
  const take = log.takeCommands.bind(log);
  let failing = true;
  log.takeCommands = () => {
    if (failing) throw new Error('SQLITE_BUSY: database is locked');
    return take();
  };
  log.enqueueCommand({ name: 'restore-now' });
  clock.advance(1_000);
  t.doesNotThrow(settle);
  t.notOk(log.kinds().includes('owner.command'), 'not taken while the queue cannot be read');
  failing = false;
  clock.advance(1_000);
  settle();
  t.ok(log.kinds().includes('owner.command'), 'taken once it can be');
  t.equal(limits(journal).at(-1), 32, 'and applied');
  await runtime.stop('test');
});

t.test('a core that names a charger the shell does not drive: the others are still written', async (t) => {
  // The core is told of a second charger on the same switch; the shell drives the garage alone.
  const coreConfig = {
    ...garageConfig,
    chargers: [...garageConfig.chargers, { id: 'drive', minCurrentA: 6, maxCurrentA: 16, allowPause: false }],
    bindings: [{ switchIdx: 2, chargerIds: ['garage', 'drive'], reducedCurrentA: 6 }],
  };
  const { journal, han, runtime, settle } = rig(undefined, undefined, coreConfig);
  runtime.start();
  han.goUp();
  settle();
  journal.length = 0;
  t.doesNotThrow(() => han.deliver(...open()));
  settle();
  t.same(
    journal.flatMap((e) => (e.what === 'set-limit' ? [[e.chargerId, e.limitA]] : [])),
    [['garage', 6]],
    'the garage is reduced; nothing is sent for the charger that is not there',
  );
  await runtime.stop('test');
});

t.test('the scheduled full read: READ switches, then READ boost', async (t) => {
  const { journal, runtime, settle } = rig();
  runtime.start();
  settle();
  journal.length = 0;
  runtime.requestFullState();
  t.same(
    journal.flatMap((e) => (e.what === 'han-send' ? [e.line] : [])),
    ['READ what=switches', 'READ what=boost'],
  );
  await runtime.stop('test');
});
