import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { tempLog } from './fixtures/helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/writer-child.js', import.meta.url));
// The child needs the same TypeScript loader tap gave this process.

t.test('a readonly reader reads while another process appends: no errors, sees new rows', async (t) => {
  const { log, path } = tempLog(t);
  log.append({ kind: 'parent.first' });
  const reader = openEventLogStore(path, { readonly: true });
  t.teardown(() => reader.close());
  const total = 400;
  const child = spawn(process.execPath, [CHILD, path, String(total)], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill();
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = once(child, 'exit');

  const seen: number[] = [];
  const errors: string[] = [];
  let done = false;
  exited.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done || seen.at(-1) !== total + 1) {
    try {
      const rows = reader.query({ limit: 5 });
      seen.push(rows.at(-1)?.id ?? 0);
      const v = reader.verify();
      if (!v.ok) errors.push(`verify: ${v.reason}`);
    } catch (err) {
      errors.push((err as Error).message);
    }
    if (done && seen.at(-1) !== total + 1 && seen.length > 10_000) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  const [code] = await exited;
  t.equal(code, 0, `writer exited cleanly ${stderr}`);
  t.match(stdout, /ready\ndone\n/);
  t.same(errors, [], 'the reader never failed and always saw an intact chain');
  t.ok(
    seen.some((id) => id > 1 && id < total + 1),
    'saw rows while the writer was still writing',
  );
  t.ok(
    seen.every((id, i) => i === 0 || id >= (seen[i - 1] ?? 0)),
    'what it sees only grows',
  );
  t.equal(seen.at(-1), total + 1, 'sees the last row');
  t.same(reader.verify(), { ok: true, count: total + 1 });
});
