// evidence's refusals and its streaming: --help, a window that ends before it starts, an --out
// whose directory is missing (a failure reported, no bundle and no half file left), and a
// window of more events than one write holds (events.jsonl is written in chunks and the
// bundle still has every row and verifies on its own).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { evidenceCommand } from '../../../agent/cli/evidence.js';
import { verifyJsonlWindow } from '../../../agent/event-log/verify-window.js';
import { Sink, T0, tempLog } from '../event-log/fixtures/helpers.js';
import { ManualClock } from '../../helpers/fakes.js';

const SINCE = new Date(T0 - 60_000).toISOString();
const UNTIL = new Date(T0 + 86_400_000).toISOString();

async function run(argv: string[], eventLogPath: string) {
  const out = new Sink();
  const err = new Sink();
  const code = await evidenceCommand(argv, { eventLogPath, out, err, clock: new ManualClock(T0 + 2 * 86_400_000) });
  return { code, out: out.text, err: err.text };
}

t.test('--help prints the usage and exits 0', async (t) => {
  const { path } = tempLog(t);
  const r = await run(['--help'], path);
  t.equal(r.code, 0);
  t.match(r.out, /^usage: hcalcs-agent evidence --since T --until T --out FILE\.tar\.gz/);
  t.equal(r.err, '');
});

t.test('a window that ends before it starts is bad usage, and nothing is written', async (t) => {
  const { path } = tempLog(t);
  const dir = dirname(path);
  const out = join(dir, 'bundle.tar.gz');
  const r = await run(['--since', UNTIL, '--until', SINCE, '--out', out], path);
  t.equal(r.code, 64);
  t.match(r.err, /^hcalcs-agent evidence: --until must be after --since\nusage: hcalcs-agent evidence /);
  t.notOk(existsSync(out));
});

t.test('an --out in a directory that is not there: the failure is reported, exit 1, no file', async (t) => {
  const { path, log } = tempLog(t);
  log.append({ kind: 'agent.start', data: {} });
  const dir = dirname(path);
  const out = join(dir, 'no-such-dir', 'bundle.tar.gz');
  const r = await run(['--since', SINCE, '--until', UNTIL, '--out', out], path);
  t.equal(r.code, 1);
  t.match(r.err, /^hcalcs-agent evidence: .*tar/);
  t.notOk(existsSync(out));
  t.notOk(existsSync(`${out}.partial`));
});

t.test('a window larger than one write: every row is in the bundle, and it verifies on its own', async (t) => {
  const { path, log, clock } = tempLog(t);
  const N = 1500;
  const note = 'x'.repeat(200);
  for (let i = 0; i < N; i++) {
    log.append({ kind: 'charger.reading', chargerId: 'garage', data: { i, note } });
    clock.advance(1000);
  }
  const dir = dirname(path);
  const out = join(dir, 'bundle.tar.gz');
  const r = await run(['--since', SINCE, '--until', UNTIL, '--out', out], path);
  t.equal(r.code, 0, r.err);
  t.match(r.err, new RegExp(`^wrote ${out}: ${N} events, 0 reductions; chain OK`));
  execFileSync('tar', ['-xzf', out, '-C', dir]);
  const [stem] = readdirSync(dir).filter((f) => f.startsWith('hcalcs-evidence-'));
  const jsonl = readFileSync(join(dir, stem ?? '-', 'events.jsonl'), 'utf8');
  t.ok(jsonl.length > 256 * 1024, `${jsonl.length} bytes: more than one chunk`);
  t.equal(jsonl.split('\n').filter((l) => l !== '').length, N);
  t.match(verifyJsonlWindow(jsonl), { ok: true, rows: N, firstId: 1, lastId: N, anchoredBy: 'genesis' });
});
