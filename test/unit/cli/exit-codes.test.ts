// The exit codes a field engineer's scripts test: which failures count as "permission denied"
// (77, with the sudo hint) and how config problems are reported (78 unless unreadable).
import t from 'tap';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EXIT, exitStatusText, isPermissionError, permissionHint, reportConfigProblems } from '../../../agent/cli/shared/exit-codes.js';

t.test('config problems: one a line, 78; a permission problem adds the hint and gives 77', async (t) => {
  const lines: string[] = [];
  t.equal(
    reportConfigProblems(['chargers[0].maxCurrentA: must be >= 6', 'han.port: is required'], (l) => lines.push(l)),
    EXIT.CONFIG,
  );
  t.equal(EXIT.CONFIG, 78);
  t.same(lines, ['chargers[0].maxCurrentA: must be >= 6\n', 'han.port: is required\n']);

  const denied: string[] = [];
  t.equal(
    reportConfigProblems(['/etc/hcalcs/agent.yaml: permission denied'], (l) => denied.push(l)),
    EXIT.NOPERM,
  );
  t.equal(EXIT.NOPERM, 77);
  t.same(denied, ['/etc/hcalcs/agent.yaml: permission denied\n', 'hint: the config belongs to the service user: run it as sudo -u hcalcs hcalcs-agent ...\n']);
});

t.test('the permission hint names the file and the service user', async (t) => {
  t.equal(
    permissionHint('/var/lib/hcalcs/events.db'),
    'permission denied on /var/lib/hcalcs/events.db; the event log and config belong to the service user: run it as sudo -u hcalcs hcalcs-agent ...',
  );
});

t.test('which errors are permission problems', async (t) => {
  const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  t.ok(isPermissionError(withCode('EACCES')), 'EACCES');
  t.ok(isPermissionError(withCode('EPERM')), 'EPERM');
  t.ok(isPermissionError(new Error("EACCES: permission denied, open '/etc/hcalcs/agent.yaml'")), 'by its message');
  t.ok(isPermissionError(new Error('attempt to write a readonly database')), "SQLite's readonly refusal");
  t.ok(isPermissionError('Permission denied'), 'a plain string');
  t.notOk(isPermissionError(withCode('ENOENT', 'no such file or directory')), 'a missing file is not one');
  t.notOk(isPermissionError(new Error('file is not a database')), 'a broken file is not one');
  t.notOk(isPermissionError(null), 'nothing');
  // better-sqlite3's bare "unable to open database file": decided by whether the file is readable.
  const dir = t.testdir({ 'events.db': '' });
  t.notOk(isPermissionError(withCode('SQLITE_CANTOPEN', 'unable to open database file'), join(dir, 'events.db')), 'readable file: not a permission problem');
  t.notOk(isPermissionError(withCode('SQLITE_CANTOPEN', 'unable to open database file')), 'no path to look at: not claimed');
});

t.test("the usage's exit-status paragraph: every code of the table, in order, within the width", async (t) => {
  for (const width of [80, 60]) {
    const text = exitStatusText(width);
    for (const line of text.trimEnd().split('\n')) t.ok(line.length <= width, `fits ${width} columns: ${line}`);
    const codes = [...text.matchAll(/(?:^|[:;]\s)(\d+) /g)].map((m) => Number(m[1]));
    t.same(
      codes,
      Object.values(EXIT).sort((a, b) => a - b),
      `every code once, ascending (width ${width})`,
    );
  }
  t.match(exitStatusText(), /70 internal error;\s.*75 another agent holds the lock, try later;/s);
  t.match(exitStatusText(), /78 config invalid\.\n$/);
});

t.test('"unable to open database file" on a missing file is not a permission problem', async (t) => {
  const cantOpen = () => Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' });
  const dir = t.testdir({});
  t.notOk(isPermissionError(cantOpen(), join(dir, 'events.db')), 'the file is missing, its directory is there');
  t.notOk(isPermissionError(cantOpen(), join(dir, 'no-such-dir', 'events.db')), 'its directory is missing too');
  // What better-sqlite3 really throws for a reader's open of a file that is not there.
  const path = join(dir, 'events.db');
  let thrown: unknown;
  try {
    new Database(path, { readonly: true, fileMustExist: true }).close();
  } catch (err) {
    thrown = err;
  }
  t.match(thrown, { code: 'SQLITE_CANTOPEN', message: 'unable to open database file' }, 'the bare message, the generic code');
  t.notOk(isPermissionError(thrown, path), 'is not reported as permissions');
});
