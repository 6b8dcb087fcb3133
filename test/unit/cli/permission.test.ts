// A field engineer running a command as themselves on the service's files gets "permission
// denied" and the sudo -u hcalcs hint, not "not found". Needs root (to run as nobody).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN_JS } from '../../helpers/paths.js';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { isPermissionError } from '../../../agent/cli/shared/exit-codes.js';

const main = MAIN_JS;
const canSwitchUser = process.getuid?.() === 0 && spawnSync('runuser', ['-u', 'nobody', '--', 'true']).status === 0;

t.test('isPermissionError', async (t) => {
  t.ok(isPermissionError(Object.assign(new Error('EACCES: permission denied, open x'), { code: 'EACCES' })));
  t.notOk(isPermissionError(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' })));
});

t.test(
  'log and verify-log on an unreadable event log: exit 77 and the sudo hint',
  { skip: canSwitchUser ? false : 'needs root and runuser to run as nobody' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hcalcs-perm-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    chmodSync(dir, 0o755);
    const db = join(dir, 'events.db');
    const log = openEventLogStore(db);
    log.append({ kind: 'agent.start', data: {} });
    log.close();
    chmodSync(db, 0o600);
    // One command: log, verify-log, incidents, history and export share the opening (and each
    // spawn compiles the TypeScript afresh, some 20 s on this machine).
    for (const cmd of ['log']) {
      const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, main, cmd, '--db', db], { encoding: 'utf8', timeout: 60_000 });
      t.equal(r.status, 77, `${cmd}: ${r.stderr}`);
      t.match(r.stderr, /permission denied on .*events\.db.*sudo -u hcalcs/, cmd);
    }
  },
);
