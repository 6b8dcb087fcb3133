// doctor's checks without an agent or a charger: an RS-485 charger whose adapter is missing,
// a HAN port that is a plain device path, a stored status snapshot with a stale or silent
// HAN line, failsafe writes that did or did not read back, and how the report reads at 80
// columns. The running-agent cases use a fresh snapshot (an agent without the instance lock).
import t, { type Test } from 'tap';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { doctorCommand, formatChecks, runChecks, type Check } from '../../../agent/cli/doctor.js';
import { loadAgentConfig } from '../../../agent/compose.js';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { STATE_KEY_RUNTIME } from '../../../agent/runtime.js';
import type { Config } from '../../../config/types.js';
import { Sink } from '../event-log/fixtures/helpers.js';
import { ManualClock } from '../../helpers/fakes.js';

const NOW = Date.UTC(2026, 10, 28, 21, 0, 0);

function site(t: Test, opts: { withLog: boolean }): { config: Config; dir: string; db: string; hanPort: string; rs485: string } {
  const dir = t.testdir({ ttyHAN: '' });
  const hanPort = join(dir, 'ttyHAN');
  const rs485 = join(dir, 'ttyRS485-absent');
  const db = join(dir, 'events.db');
  const path = join(dir, 'config.yaml');
  writeFileSync(
    path,
    `version: 1
han:
  port: ${hanPort}
chargers:
  - id: drive
    profile: heidelberg-energy-control
    transport: { type: rtu, path: ${rs485}, serial: { baudRate: 19200, dataBits: 8, parity: even, stopBits: 1 } }
    unitId: 1
    maxCurrentA: 16
bindings:
  - switch: 1
    chargers: [drive]
    reducedCurrentA: 6
rules:
  link: { staleAfterS: 60, holdS: 300, fallback: normal }
eventLog:
  path: ${db}
`,
  );
  const loaded = loadAgentConfig(path);
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  if (opts.withLog) {
    const log = openEventLogStore(db, { clock: () => NOW - 3_600_000 });
    log.append({ kind: 'agent.start', data: { version: '0.1.0', dryRun: false } });
    log.close();
  }
  return { config: loaded.config, dir, db, hanPort, rs485 };
}

const io = (synced: boolean | null) => ({ out: new Sink(), err: new Sink(), env: {}, clock: new ManualClock(NOW), clockSynced: () => synced });
const byName = (checks: Check[]) => new Map(checks.map((c) => [c.name, c]));

t.test('agent down, no event log yet: what can be checked from here', async (t) => {
  const s = site(t, { withLog: false });
  const c = byName(await runChecks(s.config, null, io(null), 'root'));
  t.match(c.get('config'), { verdict: 'ok' });
  t.match(c.get('event log chain'), { verdict: 'warn', fix: 'the agent creates it at its first start' }, 'a missing log is not a failure');
  t.match(c.get('event log writable'), { verdict: 'ok', detail: s.db }, 'its directory is writable');
  t.match(c.get('agent running'), { verdict: 'fail', detail: 'it never ran with this event log', fix: /systemctl start hcalcs-agent/ });
  t.match(c.get('HAN port'), { verdict: 'ok', detail: `${s.hanPort} present and usable by root` });
  t.match(c.get('HAN lines'), { verdict: 'skip' });
  t.match(c.get('charger drive'), { verdict: 'fail', detail: `${s.rs485} does not exist`, fix: /RS-485 adapter/ });
  t.match(c.get('failsafe drive'), { verdict: 'skip' }, 'no log to ask: not judged');
  t.match(c.get('clock'), { verdict: 'skip', detail: /cannot tell/ });
});

t.test('a service user this machine does not know: the HAN port is a warning, not a pass', async (t) => {
  const s = site(t, { withLog: false });
  const c = byName(await runChecks(s.config, null, io(true), 'no-such-user-here'));
  t.match(c.get('HAN port'), { verdict: 'warn', detail: /cannot tell whether no-such-user-here may use it/ });
  t.match(c.get('clock'), { verdict: 'ok' });
});

t.test('a HAN bridge address nothing answers on (agent down): fails, naming the refusal', async (t) => {
  const s = site(t, { withLog: false });
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  const port = 'tcp://127.0.0.1:1';
  const c = byName(await runChecks({ ...s.config, han: { ...s.config.han, port } }, null, io(null), 'root'));
  t.match(c.get('HAN port'), {
    verdict: 'fail',
    detail: /^tcp:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/,
    fix: 'start the serial bridge (or the HAN emulator) at that address, or correct han.port',
  });
});

const hasNobody = /^nobody:/m.test(readFileSync('/etc/passwd', 'utf8'));

t.test('a HAN port the service user may not read and write: fails with the dialout fix', { skip: hasNobody ? false : 'no user nobody here' }, async (t) => {
  const s = site(t, { withLog: false });
  // Owned by root, no access for group or others: the service user (nobody here) is shut out.
  chmodSync(s.hanPort, 0o600);
  const c = byName(await runChecks(s.config, null, io(null), 'nobody'));
  t.match(c.get('HAN port'), {
    verdict: 'fail',
    detail: `${s.hanPort} is not readable and writable by nobody`,
    fix: /^usermod -aG dialout nobody /,
  });
});

t.test('an agent reporting a silent HAN line, a failed failsafe read-back, an unsynchronised clock', async (t) => {
  const s = site(t, { withLog: true });
  const log = openEventLogStore(s.db, { clock: () => NOW - 60_000 });
  log.append({ kind: 'charger.failsafe', chargerId: 'drive', data: { ok: false } });
  log.saveState(STATE_KEY_RUNTIME, {
    pid: 4242,
    startedAtMs: NOW - 60_000,
    updatedAtMs: NOW - 1000,
    stoppedAtMs: null,
    linkUp: false,
    lastLineAtMs: null,
    chargers: { drive: { connected: false, lastError: 'no answer from unit 1' } },
  });
  log.close();
  const c = byName(await runChecks(s.config, null, io(false), 'root'));
  t.match(c.get('event log chain'), { verdict: 'ok', detail: /^2 events intact, head [0-9a-f]{16}\.\.\.$/ });
  t.match(c.get('agent running'), { verdict: 'ok', detail: 'pid 4242 (no instance lock)' });
  t.match(c.get('HAN port'), {
    verdict: 'fail',
    detail: `${s.hanPort}: the agent's link is down`,
    fix: `check the HAN cable and that ${s.hanPort} exists (ls -l ${s.hanPort})`,
  });
  t.match(c.get('HAN lines'), { verdict: 'fail', detail: 'no line heard since the agent started' });
  t.match(c.get('charger drive'), {
    verdict: 'fail',
    detail: 'not connected: no answer from unit 1',
    fix: `check the RS-485 wiring on ${s.rs485} and unit id 1`,
  });
  t.match(c.get('failsafe drive'), { verdict: 'fail', detail: 'the last write did not read back', fix: /--charger drive/ });
  t.match(c.get('clock'), { verdict: 'fail', fix: /timedatectl set-ntp true/ });
});

t.test('an agent whose last HAN line is older than staleAfterS, and one that is fresh', async (t) => {
  const s = site(t, { withLog: true });
  const snap = (lastLineAtMs: number) => {
    const log = openEventLogStore(s.db, { clock: () => NOW - 30_000 });
    log.saveState(STATE_KEY_RUNTIME, {
      pid: 7,
      startedAtMs: NOW - 600_000,
      updatedAtMs: NOW - 500,
      stoppedAtMs: null,
      linkUp: true,
      lastLineAtMs,
      chargers: { drive: { connected: true } },
    });
    log.close();
  };
  snap(NOW - 90_000);
  let c = byName(await runChecks(s.config, null, io(true), 'root'));
  t.match(c.get('HAN lines'), { verdict: 'fail', detail: /ago \(stale after 60 s\)$/, fix: /--kind-prefix link\./ });
  t.match(c.get('HAN port'), { verdict: 'ok', detail: /the agent has the link up/ });
  t.match(c.get('charger drive'), { verdict: 'ok', detail: 'connected (as the agent reports)' });
  t.match(c.get('failsafe drive'), { verdict: 'fail', detail: /never written/ }, 'a log with no failsafe event: never written');
  snap(NOW - 5_000);
  c = byName(await runChecks(s.config, null, io(true), 'root'));
  t.match(c.get('HAN lines'), { verdict: 'ok', detail: /^last line .* ago$/ });
});

t.test('an agent that stopped: not running since then', async (t) => {
  const s = site(t, { withLog: true });
  const log = openEventLogStore(s.db, { clock: () => NOW - 30_000 });
  log.append({ kind: 'charger.failsafe', chargerId: 'drive', data: { ok: true } });
  log.saveState(STATE_KEY_RUNTIME, {
    pid: 7,
    startedAtMs: NOW - 600_000,
    updatedAtMs: NOW - 30_000,
    stoppedAtMs: NOW - 30_000,
    linkUp: true,
    lastLineAtMs: NOW - 31_000,
    chargers: {},
  });
  log.close();
  const c = byName(await runChecks(s.config, null, io(true), 'root'));
  t.match(c.get('agent running'), { verdict: 'fail', detail: `not running since ${new Date(NOW - 30_000).toISOString()}` });
  t.match(c.get('failsafe drive'), { verdict: 'ok', detail: 'written and read back 2026-11-28T20:59Z' });
  t.match(c.get('HAN lines'), { verdict: 'skip' }, 'a stopped agent has nothing to report');
});

t.test('the report: marks, long details cut at 80 columns, fixes wrapped (never cut), the count', async (t) => {
  const fix = 'usermod -aG dialout hcalcs (or install the udev rule from systemd/), then restart the service and check again with hcalcs-agent doctor';
  const text = formatChecks([
    { name: 'config', verdict: 'ok', detail: 'valid' },
    { name: 'HAN port', verdict: 'fail', detail: `/dev/serial/by-id/${'x'.repeat(80)} is not usable`, fix },
    { name: 'clock', verdict: 'skip', detail: 'cannot tell', fix: 'not shown for a skip' },
    { name: 'disk', verdict: 'warn', detail: '400 MB free', fix: 'free some space soon' },
  ]);
  const lines = text.trimEnd().split('\n');
  t.equal(lines[0], '[ OK ] config: valid');
  t.equal(lines[1]?.length, 80);
  t.match(lines[1], /^\[FAIL\] HAN port: \/dev\/serial\/by-id\/x+\.\.\.$/);
  const fixLines = lines.slice(2, lines.indexOf('[SKIP] clock: cannot tell'));
  t.ok(fixLines.length >= 2, 'a long fix takes several lines');
  for (const l of fixLines) t.ok(l.startsWith('       ') && l.length <= 80, `indented, within 80 columns: ${l}`);
  t.equal(fixLines.map((l) => l.trim()).join(' '), `fix: ${fix}`, 'every word of the fix is there, in order');
  t.notMatch(text, /not shown for a skip/);
  t.match(text, /\[WARN\] disk: 400 MB free\n {7}fix: free some space soon\n/);
  t.equal(lines.at(-1), '1 check failed');
  t.equal(
    formatChecks([
      { name: 'a', verdict: 'fail', detail: 'x' },
      { name: 'b', verdict: 'fail', detail: 'y' },
    ])
      .trimEnd()
      .split('\n')
      .at(-1),
    '2 checks failed',
  );
  t.equal(formatChecks([{ name: 'a', verdict: 'ok', detail: 'x' }]), '[ OK ] a: x\nall checks passed\n');
});

t.test('the command: a config that does not load fails the config check (exit 1); a bad option is 64', async (t) => {
  const dir = t.testdir({ 'broken.yaml': 'version: 1\nhan: {}\n' });
  const out = new Sink();
  t.equal(await doctorCommand(['--config', join(dir, 'broken.yaml')], { out, err: new Sink(), env: {} }), 1);
  t.match(out.text, /^\[FAIL\] config: /);
  const json = new Sink();
  t.equal(await doctorCommand(['--json', '--config', join(dir, 'broken.yaml')], { out: json, err: new Sink(), env: {} }), 1);
  const report = JSON.parse(json.text) as { ok: boolean; checks: Check[] };
  t.equal(report.ok, false);
  t.equal(report.checks.length, 1, 'nothing else is checked without a config');
  t.ok(report.checks[0]?.detail.startsWith(`${join(dir, 'broken.yaml')}: `), 'the detail names the file, then its problems');
  t.match(out.text, /fix: run hcalcs-agent check-config/);
  t.match(out.text, /1 check failed\n$/);
  const err = new Sink();
  t.equal(await doctorCommand(['--frobnicate'], { out: new Sink(), err, env: {} }), 64);
  t.match(err.text, /^hcalcs-agent doctor: .*frobnicate[^]*usage: hcalcs-agent doctor/);
});
