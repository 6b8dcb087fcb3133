// What a field engineer reads on the console: running or not, and each charger's limit and why.
import t from 'tap';
import { describe, initialState, step } from '../../../agent/core/index.js';
import { garageConfig, T0 } from '../../helpers/garage.js';
import { formatStatus } from '../../../agent/cli/status.js';
import { timeText } from '../../../agent/cli/shared/time-text.js';

const config = garageConfig;

function viewAfterOpen() {
  let s = step(config, initialState(config, 1), { type: 'tick' }, T0).state;
  s = step(config, s, { type: 'han', message: { verb: 'SWITCH', idx: 2, type: 'HCALCS', state: 'open', cause: 'dno', durMin: 600 } }, T0 + 1000).state;
  s = step(
    config,
    s,
    { type: 'han', message: { verb: 'LABEL', idx: 2, text: 'A label long enough to push the switch line past eighty columns, surely' } },
    T0 + 1000,
  ).state;
  return describe(config, s, T0 + 2000);
}

const snapshot = {
  pid: 42,
  dryRun: false,
  startedAtMs: T0,
  updatedAtMs: T0 + 1500,
  linkUp: true,
  lastLineAtMs: T0 + 1000,
  chargers: {},
  coreOffsetMs: 0,
  stateSave: { ok: true, failingSinceMs: null, attempts: 0, error: null },
};
const o = (verbose = false) => ({ now: T0 + 2000, tt: timeText(true), verbose });

t.test('a running agent, a DNO reduction and its reason, in 80 columns', async (t) => {
  const text = formatStatus(viewAfterOpen(), { ...snapshot, stoppedAtMs: null }, { running: true, pid: 42, by: 'lock' }, o());
  t.match(text, /agent +running, pid 42, since 2026-11-28 12:00:00/);
  t.match(text, /switch 2 +open, cause dno, since 12:00:01/);
  t.match(text, /garage +6 A <- switch 2 open, cause dno/);
  for (const l of text.trimEnd().split('\n')) t.ok(l.length <= 80, `<= 80: ${l}`);
  const verbose = formatStatus(viewAfterOpen(), { ...snapshot, stoppedAtMs: null }, { running: true, pid: 42, by: 'lock' }, o(true));
  t.match(verbose, /claim switch: 6 A/, '--verbose shows the claims');
  t.ok(
    verbose.split('\n').some((l) => l.length > 80),
    '--verbose does not cut',
  );
});

t.test('a stopped agent is never shown as running, however recent its snapshot', async (t) => {
  const text = formatStatus(viewAfterOpen(), { ...snapshot, stoppedAtMs: T0 + 1500 }, { running: false, sinceMs: T0 + 1500, how: 'stopped' }, o());
  t.match(text, /agent +NOT RUNNING since 2026-11-28 12:00:01 \(1 s ago\)/);
  t.match(text, /what it last saved, not live/);
  t.notMatch(text, /running, pid/);
});

t.test("a stopped agent's deadlines: one already past was due, one still ahead is not", async (t) => {
  // As seen: at 09:20:39 a stopped agent's bad-lines deadline of 09:21:30 read "was due".
  const now = T0 + 2000;
  const view = {
    ...viewAfterOpen(),
    pending: [
      { kind: 'bad-lines', atMs: now + 51_000, at: '', switchIdx: 2 },
      { kind: 'lease', atMs: now - 30_000, at: '', switchIdx: 2 },
    ],
  };
  const stopped = { running: false as const, sinceMs: T0 + 1500, how: 'stopped' as const };
  const text = formatStatus(view, { ...snapshot, stoppedAtMs: T0 + 1500 }, stopped, o());
  const line = (kind: string) => text.split('\n').find((l) => l.startsWith(`  ${kind} `)) ?? '';
  t.match(line('bad-lines'), /^ {2}bad-lines switch 2 at 12:00:53 \(due in 51 s if the agent were running\)$/, 'ahead: not "was due"');
  t.notMatch(line('bad-lines'), /was due/);
  t.match(line('lease'), /^ {2}lease switch 2 at 11:59:32 \(was due; not running\)$/, 'past: was due');
  for (const l of text.trimEnd().split('\n')) t.ok(l.length <= 80, `<= 80: ${l}`);
  const running = formatStatus(view, { ...snapshot, stoppedAtMs: null }, { running: true, pid: 42, by: 'lock' }, o());
  t.match(running, /bad-lines switch 2 at 12:00:53 \(in 51 s\)/, 'a running agent: unchanged');
});
