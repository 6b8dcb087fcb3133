// One agent per config: the lock is held by a live process only, and the kernel drops it
// when that process dies (kill -9 included), so no stale lock can keep the agent down.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { built } from '../../helpers/paths.js';
import { acquireInstanceLock, LockHeldError, probeInstanceLock } from '../../../agent/instance-lock.js';

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
