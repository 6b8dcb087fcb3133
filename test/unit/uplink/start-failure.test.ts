// An uplink that cannot start (here: its password file went after the config was checked) must not cost the agent its
// control: startUplink returns no uplink, logs the error and records uplink.start-failed in the
// event log; if the event log cannot take that row either, it still returns quietly.
import t, { type Test } from 'tap';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../../config/types.js';
import { startUplink } from '../../../agent/uplink/start.js';
import { garageConfig, T0 } from '../../helpers/garage.js';
import { ManualClock, MemoryEventLog, type JournalEntry } from '../../helpers/fakes.js';
import { mqttConfig } from '../../helpers/uplink-child.js';
import { recordingLogger } from '../event-log/fixtures/helpers.js';

function setup(t: Test) {
  const dir = t.testdir({ 'no-such-password': 'secret\n' });
  const passwordFile = join(dir, 'no-such-password');
  const mqtt = mqttConfig({ url: 'mqtt://127.0.0.1:1', username: 'gw', passwordFile });
  // The config check saw the file; it is gone by the time the uplink starts.
  rmSync(passwordFile);
  const config = {
    mqtt,
    eventLog: { path: join(dir, 'events.db') },
    chargers: [{ id: 'garage' }],
  } as unknown as Config;
  const journal: JournalEntry[] = [];
  const eventLog = new MemoryEventLog(journal, new ManualClock(T0));
  const { logger, entries } = recordingLogger<{ level: number; msg: string; err?: { message: string } }>();
  const errors = () => entries().filter((e) => e.level >= 50);
  return { config, eventLog, logger, errors, passwordFile };
}

t.test('a password file that cannot be read: no uplink, the error logged and recorded', async (t) => {
  const s = setup(t);
  const uplink = startUplink(s.config, { eventLog: s.eventLog, coreConfig: garageConfig, logger: s.logger });
  t.equal(uplink, undefined);
  t.same(s.eventLog.kinds(), ['uplink.start-failed']);
  t.match(s.eventLog.rows[0]?.data, { error: /ENOENT.*no-such-password/ });
  t.match(s.errors(), [{ msg: 'uplink cannot start; running without it', err: { message: /ENOENT/ } }]);
});

t.test('the same failure with an event log that refuses the row: still no exception', async (t) => {
  const s = setup(t);
  s.eventLog.append = () => {
    throw new Error('SQLITE_FULL: database or disk is full');
  };
  let uplink: unknown = 'not called';
  t.doesNotThrow(() => {
    uplink = startUplink(s.config, { eventLog: s.eventLog, coreConfig: garageConfig, logger: s.logger });
  });
  t.equal(uplink, undefined);
  t.equal(s.errors().length, 1, 'the start failure is still logged');
});

t.test('no mqtt section, or one turned off: no uplink and nothing recorded', async (t) => {
  const s = setup(t);
  const off = { ...s.config, mqtt: { ...s.config.mqtt, enabled: false } } as Config;
  const none = { ...s.config, mqtt: undefined } as unknown as Config;
  for (const c of [off, none]) t.equal(startUplink(c, { eventLog: s.eventLog, coreConfig: garageConfig, logger: s.logger }), undefined);
  t.same(s.eventLog.kinds(), []);
});
