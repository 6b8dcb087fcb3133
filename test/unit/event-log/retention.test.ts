// Retention: old rows go in small batches behind a checkpoint, verify-log still passes from
// it, the pruning is itself an event, and a window exported or bundled afterwards verifies on
// its own with the documented recipe (run here with Python's hashlib, from the bundle's own
// README.txt).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { DAY_MS, pruneOnce } from '../../../agent/event-log/prune.js';
import { verifyLogCommand } from '../../../agent/cli/verify-log.js';
import { exportCommand } from '../../../agent/cli/export.js';
import { evidenceCommand } from '../../../agent/cli/evidence.js';
import { nightLog, at } from '../../helpers/night.js';
import { Sink } from './fixtures/helpers.js';
import { ManualClock } from '../../helpers/fakes.js';

function python(): string | null {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import hashlib'], { stdio: 'ignore' });
    return '/usr/bin/python3';
  } catch {
    return null;
  }
}
const PY = python();
const noPython = PY === null && process.env.CI !== 'true' ? 'no /usr/bin/python3' : false;

async function prunedNight(t: Parameters<typeof nightLog>[0]) {
  const night = await nightLog(t);
  const log = openEventLogStore(night.path);
  const before = log.count();
  // "Now" is a year and a day after 23:00Z: with 366 days kept, everything before 23:00Z goes.
  const r = await pruneOnce(log, { retentionDays: 366, nowMs: at('23:00') + 366 * DAY_MS, batchRows: 50 });
  log.close();
  return { ...night, before, r };
}

t.test('pruning removes what is older than the retention, in batches, and records itself', async (t) => {
  const { path, before, r } = await prunedNight(t);
  t.ok(r.pruned > 0 && r.batches > 1, `${r.pruned} rows in ${r.batches} batches`);
  const log = openEventLogStore(path, { readonly: true });
  t.teardown(() => log.close());
  const oldest = log.query({ limit: 1, oldestFirst: true })[0];
  t.ok(oldest !== undefined && oldest.atMs >= at('23:00'), `oldest row left is ${oldest?.at}`);
  t.equal(log.count(), before - r.pruned + 1, 'all but the pruned rows, plus log.pruned');
  const ev = log.query({ kind: 'log.pruned' });
  t.equal(ev.length, 1);
  t.match(ev[0]?.data, { rows: r.pruned, retentionDays: 366, throughId: r.checkpoint?.throughId, throughHash: r.checkpoint?.throughHash });
  t.equal(log.pruneCheckpoint()?.throughId, (oldest?.id ?? 0) - 1, 'the checkpoint is the row just before the oldest kept');
});

t.test('verify-log passes after pruning, starting from the checkpoint; tampering is still caught', async (t) => {
  const { path, r } = await prunedNight(t);
  const out = new Sink();
  t.equal(await verifyLogCommand([], { eventLogPath: path, out }), 0, out.text);
  t.match(out.text, /hash chain OK/);
  t.match(out.text, new RegExp(`starts after the pruning checkpoint: id ${r.checkpoint?.throughId} hash ${r.checkpoint?.throughHash}`));

  const db = new Database(path);
  t.throws(() => db.prepare('DELETE FROM events WHERE id = (SELECT max(id) FROM events)').run(), /DELETE refused/, 'a DELETE outside pruning is still refused');
  // Pruning one more row by hand without moving the checkpoint breaks the chain visibly.
  db.exec('DROP TRIGGER events_no_delete');
  db.prepare('DELETE FROM events WHERE id = (SELECT min(id) FROM events)').run();
  db.close();
  const bad = new Sink();
  t.equal(await verifyLogCommand([], { eventLogPath: path, out: bad }), 1);
  t.match(bad.text, /BROKEN/);
});

t.test('appending goes on after pruning, chained to the kept rows', async (t) => {
  const { path } = await prunedNight(t);
  const log = openEventLogStore(path);
  log.append({ kind: 'agent.start', data: {} });
  t.same(log.verify().ok, true);
  log.close();
});

t.test('an exported window after pruning verifies alone (Python, the documented recipe)', { skip: noPython }, async (t) => {
  const { path, dir, r } = await prunedNight(t);
  const file = join(dir, 'window.jsonl');
  const err = new Sink();
  t.equal(await exportCommand(['--since', new Date(at('23:00')).toISOString(), '--out', file], { eventLogPath: path, out: new Sink(), err }), 0, err.text);
  const first = JSON.parse(readFileSync(file, 'utf8').split('\n')[0] ?? '{}') as { checkpoint?: boolean; id?: number; hash?: string };
  t.same(first, { checkpoint: true, id: r.checkpoint?.throughId, hash: r.checkpoint?.throughHash }, 'the window starts at the checkpoint');

  // The recipe as the bundle's README.txt states it, run by Python on the file alone.
  mkdirSync(join(dir, 'bundle'));
  const tarFile = join(dir, 'evidence.tar.gz');
  const e = new Sink();
  const code = await evidenceCommand(['--utc', '--since', '2026-07-14T22:30Z', '--until', '2026-07-15T01:00Z', '--out', tarFile], {
    eventLogPath: path,
    out: new Sink(),
    err: e,
    clock: new ManualClock(at('02:00', true)),
  });
  t.equal(code, 0, e.text);
  execFileSync('tar', ['-xzf', tarFile, '-C', join(dir, 'bundle')]);
  const [stem] = readdirSync(join(dir, 'bundle'));
  const b = join(dir, 'bundle', stem ?? '');
  t.same(readdirSync(b).sort(), [
    'README.txt',
    'VERSION',
    'config.yaml',
    'events.jsonl',
    'incidents.jsonl',
    'incidents.txt',
    'summary.txt',
    'verify.json',
    'verify.txt',
  ]);
  const readme = readFileSync(join(b, 'README.txt'), 'utf8');
  const code2 =
    readme
      .split('Python:\n')[1]!
      .split('\n')
      .map((l) => l.slice(2))
      .join('\n') + '\nprint("OK", prev[0])\n';
  const recipe = (cwd: string) => execFileSync(PY as string, ['-c', code2], { cwd, encoding: 'utf8', stdio: 'pipe' }).trim();
  t.match(recipe(b), /^OK \d+$/, "the bundle's events pass the recipe");
  const wdir = join(dir, 'window');
  mkdirSync(wdir);
  execFileSync('cp', [file, join(wdir, 'events.jsonl')]);
  t.match(recipe(wdir), /^OK \d+$/, 'the exported window passes it too, from the checkpoint');
  // And a forged row fails it.
  const forged = readFileSync(join(b, 'events.jsonl'), 'utf8').replace('"toA\\":6', '"toA\\":16');
  t.not(forged, readFileSync(join(b, 'events.jsonl'), 'utf8'), 'the forgery changed something');
  const fdir = join(dir, 'forged');
  mkdirSync(fdir);
  execFileSync('sh', ['-c', `cat > ${join(fdir, 'events.jsonl')}`], { input: forged });
  t.throws(() => recipe(fdir), 'a forged row fails the recipe');
  const verify = readFileSync(join(b, 'verify.txt'), 'utf8');
  t.match(verify, /whole chain: OK/);
  t.match(verify, /head: id \d+ hash [0-9a-f]{64}/);
  t.match(verify, /this bundle's events.jsonl alone: OK/);
  t.match(readFileSync(join(b, 'summary.txt'), 'utf8'), /reductions +1\n  garage 2026-07-14 23:50:00 20 min at 6 A, dno sw 2, ended by boost/);
  const again = await evidenceCommand(['--utc', '--since', '2026-07-14T22:30Z', '--until', '2026-07-15T01:00Z', '--out', tarFile], {
    eventLogPath: path,
    out: new Sink(),
    err: new Sink(),
  });
  t.equal(again, 73, 'an existing bundle is never overwritten');
});
