// `status` read straight from an event log (--db, no config): a stopped agent is said to be
// stopped, and its chargers are shown as it last saved them; --json for tools; and the
// refusals a script can tell apart (64 bad usage, 66 no log, 78 a config that does not load).
import t from 'tap';
import { join } from 'node:path';
import { statusCommand } from '../../../agent/cli/status.js';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { STATE_KEY_RUNTIME } from '../../../agent/status-snapshot.js';
import { Sink } from '../event-log/fixtures/helpers.js';
import { ManualClock } from '../../helpers/fakes.js';

const NOW = Date.UTC(2026, 10, 28, 21, 0, 0);

async function status(argv: string[]) {
  const out = new Sink();
  const err = new Sink();
  const code = await statusCommand(argv, { out, err, env: {}, clock: new ManualClock(NOW) });
  return { code, out: out.text, err: err.text };
}

function savedLog(dir: string): string {
  const db = join(dir, 'events.db');
  const log = openEventLogStore(db, { clock: () => NOW - 120_000 });
  log.saveState(STATE_KEY_RUNTIME, {
    pid: 4242,
    dryRun: false,
    startedAtMs: NOW - 3_600_000,
    updatedAtMs: NOW - 60_000,
    stoppedAtMs: NOW - 60_000,
    linkUp: true,
    lastLineAtMs: NOW - 61_000,
    coreOffsetMs: 0,
    chargers: {
      garage: {
        id: 'garage',
        profileId: 'alfen-eve',
        connected: true,
        dryRun: false,
        lastError: null,
        appliedLimitA: 6,
        desiredLimitA: 6,
        explanation: '6 A <- switch 2 open, cause dno',
        wouldWriteA: null,
        lastReading: null,
        lastReadingAtMs: null,
        lastWrite: { limitA: 6, ok: true, durationMs: 14, atMs: NOW - 90_000 },
        verification: { status: 'verified', measuredA: 5.9 },
        failsafe: null,
        keepAlivePeriodMs: null,
      },
      drive: { id: 'drive', connected: false, disabled: true, lastError: 'profile file broken' },
    },
  });
  log.close();
  return db;
}

t.test('--db without a config: a stopped agent and its chargers as last saved', async (t) => {
  const db = savedLog(t.testdir({}));
  const r = await status(['--db', db, '--utc']);
  t.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  t.equal(lines[0], 'hcalcs-agent status at 2026-11-28 21:00:00 (UTC)');
  t.match(lines[1], /^agent {5}NOT RUNNING/);
  t.equal(lines[2], '          below: what it last saved, not live');
  t.ok(lines.includes('(no config given: switches and reasons need it; showing the chargers as saved)'));
  t.ok(lines.includes('garage    6 A <- switch 2 open, cause dno'), 'the applied limit and its reason, the "6 A <-" not repeated');
  t.ok(lines.includes('          connected; wrote 6 A ok; measured 5.9 A'));
  t.ok(lines.includes('drive     - <- '), 'a disabled charger has no limit');
  t.ok(lines.includes('          NOT CONNECTED (profile file broken)'));
  for (const l of lines) t.ok(l.length <= 80, `80 columns: ${l}`);

  const verbose = await status(['--db', db, '--utc', '--verbose']);
  t.match(
    verbose.out,
    /\n {10}connected; wrote 6 A ok in 14 ms; measured 5\.9 A; verification verified\n/,
    '--verbose adds the write time and the verification',
  );
});

t.test('--json: the running verdict and the saved snapshot for tools', async (t) => {
  const db = savedLog(t.testdir({}));
  const r = await status(['--db', db, '--json']);
  t.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { running: { running: boolean; how?: string }; agent: { pid: number } | null; eventLog: unknown };
  t.same(j.running, { running: false, sinceMs: NOW - 60_000, how: 'stopped' });
  t.equal(j.agent?.pid, 4242);
  t.equal(j.eventLog, null, 'no health file: nothing to say about the writer');
});

t.test('refusals: bad usage 64, no event log 66, a config that does not load 78', async (t) => {
  const dir = t.testdir({ 'broken.yaml': 'version: 1\nchargers: []\n' });
  const bad = await status(['--frobnicate']);
  t.equal(bad.code, 64);
  t.match(bad.err, /^hcalcs-agent status: .*frobnicate[^]*usage: hcalcs-agent status/);
  const missing = await status(['--db', join(dir, 'absent.db')]);
  t.equal(missing.code, 66);
  t.match(missing.err, /^hcalcs-agent status: cannot open the event log .*absent\.db: /);
  t.equal(missing.out, '');
  const broken = await status(['--config', join(dir, 'broken.yaml')]);
  t.equal(broken.code, 78);
  t.match(broken.err, /han/);
});
