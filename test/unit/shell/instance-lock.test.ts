// One agent per config: the lock is held by a live process only, and the kernel drops it
// when that process dies (kill -9 included), so no stale lock can keep the agent down. A
// damaged lock file or a pid file that cannot be written never keeps the agent down either.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, chmodSync, rmSync, writeFileSync } from 'node:fs';
import pino from 'pino';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { built } from '../../helpers/paths.js';
import { acquireInstanceLock, LOCK_FILE, LockHeldError, PID_FILE, probeInstanceLock } from '../../../agent/instance-lock.js';
import { takeInstanceLock } from '../../../agent/cli/run.js';
import { Sink } from '../event-log/fixtures/helpers.js';

const HOLDER = built('test/fixtures/lock-holder.js');

async function holder(stateDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--expose-gc', HOLDER, stateDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8');
  while (!out.includes('held')) {
    const [chunk] = (await once(child.stdout!, 'data')) as [string];
    out += chunk;
  }
  return child;
}

t.test('a second holder is refused with the first one pid; free again after kill -9', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-lock-'));
  const child = await holder(dir);
  t.teardown(() => child.kill('SIGKILL'));

  const probe = probeInstanceLock(dir);
  t.equal(probe.held, true, 'probe sees the lock held');
  t.equal(probe.pid, child.pid, 'probe names the holder');

  const started = Date.now();
  const err = t.throws(() => acquireInstanceLock(dir)) as unknown;
  t.ok(err instanceof LockHeldError, 'LockHeldError');
  t.equal((err as LockHeldError).holderPid, child.pid);
  t.match((err as Error).message, String(child.pid));
  t.ok(Date.now() - started < 1000, 'refused within a second');

  child.kill('SIGKILL');
  await once(child, 'exit');
  t.equal(probeInstanceLock(dir).held, false, 'a killed holder leaves no lock');
  const lock = acquireInstanceLock(dir);
  t.equal(probeInstanceLock(dir).held, true);
  lock.release();
  t.equal(probeInstanceLock(dir).held, false, 'released');
});

t.test('the probe takes no lock: the holder can start while a probe ran', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-lock-'));
  t.equal(probeInstanceLock(dir).held, false, 'nothing there yet');
  const lock = acquireInstanceLock(dir);
  t.equal(probeInstanceLock(dir).held, true);
  t.throws(() => acquireInstanceLock(dir), LockHeldError, 'same process, second connection, refused too');
  lock.release();
});

t.test('a state directory that cannot hold files still gets a lock (temp-dir fallback)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-lock-'));
  const blocked = join(dir, 'file-not-dir');
  // A path below a regular file can never be created, whoever we run as.
  await import('node:fs').then((fs) => fs.writeFileSync(blocked, 'x'));
  chmodSync(blocked, 0o400);
  const stateDir = join(blocked, 'state');
  const lock = acquireInstanceLock(stateDir);
  t.not(lock.path.startsWith(blocked), true, 'lock lives elsewhere');
  t.equal(probeInstanceLock(stateDir).held, true, 'and the probe finds it');
  t.throws(() => acquireInstanceLock(stateDir), LockHeldError);
  lock.release();
  t.equal(probeInstanceLock(stateDir).held, false);
});

t.test('a holder whose pid file is gone is still refused, with the pid unknown', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lock = acquireInstanceLock(dir);
  t.teardown(() => lock.release());
  rmSync(join(dir, PID_FILE));
  const err = t.throws(() => acquireInstanceLock(dir)) as LockHeldError;
  t.type(err, LockHeldError);
  t.equal(err.holderPid, null);
  t.equal(err.message, `another agent holds ${join(dir, LOCK_FILE)}`, 'no pid claimed');
});

t.test('a pid file that cannot be written does not cost the lock', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A directory where the pid file goes: writing it fails, whoever we run as.
  mkdirSync(join(dir, PID_FILE));
  const lock = acquireInstanceLock(dir);
  t.teardown(() => lock.release());
  t.equal(lock.path, join(dir, LOCK_FILE), 'the lock is where it belongs');
  t.match(probeInstanceLock(dir), { held: true, pid: null });
  t.throws(() => acquireInstanceLock(dir), LockHeldError, 'and it keeps a second agent out');
});

t.test('a lock file that is not SQLite (a damaged card): the lock moves to the temp dir', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, LOCK_FILE), 'this is not an SQLite database, just bytes left by a bad write\n'.repeat(20));
  const lock = acquireInstanceLock(dir);
  t.teardown(() => {
    lock.release();
    for (const f of [lock.path, `${lock.path}.pid`]) rmSync(f, { force: true });
  });
  t.not(lock.path, join(dir, LOCK_FILE));
  t.ok(lock.path.startsWith(tmpdir()), `the fallback ${lock.path}`);
  t.match(probeInstanceLock(dir), { held: true, path: lock.path });
  t.throws(() => acquireInstanceLock(dir), LockHeldError, 'a second agent is still kept out');
});

t.test('no place at all for a lock: run goes on without one, and says so in its log', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  // The state directory and the temp dir both lie below a regular file.
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = join(file, 'tmp');
  t.teardown(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  });
  const sink = new Sink();
  const logger = pino({ level: 'info' }, sink);
  const r = takeInstanceLock('run', join(file, 'state', 'events.db'), logger);
  t.same(r, { ok: true, lock: null });
  t.match(JSON.parse(sink.text.trim()), { level: 50, msg: 'cannot take the instance lock anywhere; running without it', err: { message: /ENOTDIR/ } });
});
