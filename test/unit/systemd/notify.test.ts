// sd_notify through systemd's own systemd-notify: outside systemd (no NOTIFY_SOCKET) nothing is
// sent and no watchdog runs; a notification that fails (here: a socket path nobody listens on)
// is logged as a warning and never thrown into the agent; the watchdog pings at half the
// interval systemd asks for and stops when told.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { systemdNotifier } from '../../../agent/systemd-notify.js';
import { recordingLogger } from '../event-log/fixtures/helpers.js';
import { until } from '../../helpers/until.js';

const haveTool = ['/usr/bin/systemd-notify', '/bin/systemd-notify'].some((p) => existsSync(p));

/** The logger's warnings only (level 40). */
function warningLogger() {
  const { logger, entries } = recordingLogger<{ level: number; msg: string; module?: string }>();
  return { logger, warnings: () => entries().filter((e) => e.level === 40) };
}

t.test('outside systemd: no notification, no watchdog', async (t) => {
  const { logger, warnings } = warningLogger();
  const n = systemdNotifier({ WATCHDOG_USEC: '2000000' }, logger);
  n.ready();
  n.stopping();
  const stop = n.startWatchdog();
  t.type(stop, 'function');
  stop();
  await new Promise((r) => setTimeout(r, 200));
  t.same(warnings(), [], 'nothing was tried, so nothing failed');
});

t.test('under systemd, a watchdog interval that is missing or not positive starts no pings', async (t) => {
  const { logger } = warningLogger();
  for (const usec of [undefined, 'soon', '0', '-5']) {
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/nothing-here/notify' };
    if (usec !== undefined) env.WATCHDOG_USEC = usec;
    const stop = systemdNotifier(env, logger).startWatchdog();
    t.equal(stop(), undefined, `WATCHDOG_USEC=${usec}`);
  }
});

t.test('a notification that fails is a warning from the systemd module, not an exception', { skip: haveTool ? false : 'no systemd-notify here' }, async (t) => {
  const dir = t.testdir({});
  const { logger, warnings } = warningLogger();
  const n = systemdNotifier({ NOTIFY_SOCKET: join(dir, 'no-listener') }, logger);
  t.doesNotThrow(() => n.ready());
  await until('the failure was logged', () => warnings().length >= 1, 15_000, 25);
  t.match(warnings()[0], { module: 'systemd', msg: 'systemd-notify failed' });
});

t.test('the watchdog pings on its interval until stopped', { skip: haveTool ? false : 'no systemd-notify here' }, async (t) => {
  const dir = t.testdir({});
  const { logger, warnings } = warningLogger();
  // 2 s asked for: a ping every second (each fails here, and each failure is one warning).
  const n = systemdNotifier({ NOTIFY_SOCKET: join(dir, 'no-listener'), WATCHDOG_USEC: '2000000' }, logger);
  const stop = n.startWatchdog();
  await until('two pings were sent', () => warnings().length >= 2, 15_000, 25);
  stop();
  // A ping already under way still reports (give it a whole interval); after that, none follow
  // for longer than an interval.
  await new Promise((r) => setTimeout(r, 1200));
  const after = warnings().length;
  await new Promise((r) => setTimeout(r, 1200));
  t.equal(warnings().length, after, 'no ping after stop');
});
