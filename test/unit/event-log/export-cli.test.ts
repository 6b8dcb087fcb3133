import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { EXPORT_COLUMNS, exportCommand } from '../../../agent/cli/export.js';
import { DAY_MS, pruneOnce } from '../../../agent/event-log/prune.js';
import { Sink, tempLog } from './fixtures/helpers.js';

function seeded(t: Test) {
  const { log, path, clock } = tempLog(t);
  log.append({ kind: 'agent.start', data: { version: '0.1.0' } });
  clock.advance(1000);
  log.append({ kind: 'switch.open', switchIdx: 2, data: { reason: 'dno, "urgent"', note: 'a,b\nc' } });
  clock.advance(1000);
  log.append({ kind: 'charger.write', chargerId: 'wallbox "ü", left', data: { limitA: 6, label: 'Größe ✓' } });
  return { log, path };
}

async function run(argv: string[], path: string) {
  const out = new Sink();
  const err = new Sink();
  const code = await exportCommand(argv, { eventLogPath: path, out, err });
  return { code, out: out.text, err: err.text };
}

/** A minimal RFC 4180 reader, written for the test rather than shared with the exporter. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
    i++;
  }
  return rows;
}

// An independent re-verification, as the DNO's analyst would do it: Python's hashlib over the
// encoding documented in agent/event-log/chain.ts, from the exported file alone.
const PY_VERIFY = String.raw`
import csv, hashlib, io, json, sys
fmt, path = sys.argv[1], sys.argv[2]
def F(v):
    if v is None: return b'n'
    if isinstance(v, int): return b'i' + str(v).encode() + b';'
    b = v.encode('utf-8'); return b's' + str(len(b)).encode() + b':' + b
rows = []
if fmt == 'jsonl':
    for line in open(path, encoding='utf-8'):
        r = json.loads(line); rows.append(r)
else:
    with open(path, encoding='utf-8', newline='') as f:
        for r in csv.DictReader(f):
            r['id'] = int(r['id']); r['at_ms'] = int(r['at_ms'])
            r['switch'] = int(r['switch']) if r['switch'] != '' else None
            r['charger'] = r['charger'] if r['charger'] != '' else None
            rows.append(r)
prev = None
for r in rows:
    if prev is not None and r['prev_hash'] != prev: print('BAD LINK', r['id']); sys.exit(1)
    pre = b'hcalcs-event-log/1\n' + r['prev_hash'].encode() + b'\n' + b''.join(
        F(r[k]) for k in ('id', 'at', 'at_ms', 'kind', 'switch', 'charger', 'data'))
    if hashlib.sha256(pre).hexdigest() != r['hash']: print('BAD HASH', r['id']); sys.exit(1)
    prev = r['hash']
print('OK', len(rows))
`;

function python(): string | null {
  for (const p of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(p, ['-c', 'import hashlib'], { stdio: 'ignore' });
      return p;
    } catch {
      // try the next
    }
  }
  return null;
}
const PY = python();

t.test('JSONL to stdout: every column, data as the stored text, parses back', async (t) => {
  const { log, path } = seeded(t);
  const r = await run([], path);
  t.equal(r.code, 0);
  const lines = r.out
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const stored = [...log.scan()];
  t.equal(lines.length, 3);
  lines.forEach((l, i) => {
    const s = stored[i];
    t.same(l, {
      id: s?.id,
      at: s?.at,
      at_ms: s?.atMs,
      kind: s?.kind,
      switch: s?.switchIdx,
      charger: s?.chargerId,
      data: s?.dataJson,
      prev_hash: s?.prevHash,
      hash: s?.hash,
    });
  });
  t.same(JSON.parse(lines[1]?.data as string), { reason: 'dno, "urgent"', note: 'a,b\nc' });
  t.match(r.err, new RegExp(`exported 3 events \\(ids 1\\.\\.3\\) as jsonl; last hash ${log.head()?.hash}`));
});

t.test('CSV: RFC 4180 quoting, header, NULL as empty; parses back', async (t) => {
  const { log, path } = seeded(t);
  const r = await run(['--format', 'csv'], path);
  t.equal(r.code, 0);
  t.match(r.out, /^id,at,at_ms,kind,switch,charger,data,prev_hash,hash\r\n/);
  const rows = parseCsv(r.out);
  t.same(rows[0], ['id', 'at', 'at_ms', 'kind', 'switch', 'charger', 'data', 'prev_hash', 'hash']);
  const stored = [...log.scan()];
  t.equal(rows.length, 4);
  stored.forEach((s, i) => {
    t.same(rows[i + 1], [
      String(s.id),
      s.at,
      String(s.atMs),
      s.kind,
      s.switchIdx === null ? '' : String(s.switchIdx),
      s.chargerId ?? '',
      s.dataJson,
      s.prevHash,
      s.hash,
    ]);
  });
});

t.test('--since and --out (written whole, then renamed)', async (t) => {
  const { path } = seeded(t);
  // t.testdir() again would replace the directory the log lives in.
  const dir = dirname(path);
  const file = join(dir, 'evidence.jsonl');
  const r = await run(['--since', '2026-11-28T12:03:02.123Z', '--out', file], path);
  t.equal(r.code, 0);
  t.equal(r.out, '', 'nothing on stdout');
  t.match(r.err, /exported 2 events \(ids 2\.\.3\) as jsonl to .*evidence\.jsonl/);
  const lines = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: number; anchor?: boolean });
  t.same(
    lines.map((l) => l.id),
    [1, 2, 3],
    'the window starts with its anchor: the row its first prev_hash points to',
  );
  t.same(
    lines.map((l) => l.anchor === true),
    [true, false, false],
    'only the anchor is marked',
  );
  t.same(
    readdirSync(dir).filter((f) => f.startsWith('evidence')),
    ['evidence.jsonl'],
    'no .partial left behind',
  );
  const none = await run(['--since', '2030-01-01'], path);
  t.equal(none.code, 0);
  t.equal(none.out, '');
  t.match(none.err, /exported 0 events as jsonl/);
});

t.test('an independent verifier (Python hashlib) re-checks both export formats', { skip: PY === null ? 'no python3' : false }, async (t) => {
  const { log, path } = seeded(t);
  log.appendMany(Array.from({ length: 50 }, (_, i) => ({ kind: 'bulk', switchIdx: (i % 5) + 1, data: { i, s: 'x\u2028y' } })));
  const dir = dirname(path);
  for (const format of ['jsonl', 'csv']) {
    const file = join(dir, `e.${format}`);
    t.equal((await run(['--format', format, '--out', file], path)).code, 0);
    const out = execFileSync(PY as string, ['-c', PY_VERIFY, format, file], { encoding: 'utf8' });
    t.equal(out.trim(), 'OK 53', format);
  }
  // And it notices a forged row in the export.
  const forged = readFileSync(join(dir, 'e.jsonl'), 'utf8').replace('"{\\"limitA\\":6', '"{\\"limitA\\":32');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'forged.jsonl'), forged);
  let verdict = '';
  try {
    verdict = execFileSync(PY as string, ['-c', PY_VERIFY, 'jsonl', join(dir, 'forged.jsonl')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const e = err as { status: number; stdout: string };
    verdict = `exit ${e.status}: ${e.stdout.trim()}`;
  }
  t.equal(verdict, 'exit 1: BAD HASH 3');
});

t.test('usage errors exit 64; a missing log 66; an unwritable --out 73 and no file', async (t) => {
  const { path } = seeded(t);
  const cases: Array<[string[], RegExp]> = [
    [['--format', 'xml'], /--format must be jsonl or csv/],
    [['--verbose'], /Unknown option '--verbose'/],
    [['--since', 'last week'], /--since: not an ISO 8601 instant/],
    [['--out', ''], /--out needs a file path/],
  ];
  for (const [argv, re] of cases) {
    const r = await run(argv, path);
    t.equal(r.code, 64, argv.join(' '));
    t.match(r.err, re);
    t.equal(r.out, '');
  }
  const dir = dirname(path);
  const missing = await run([], join(dir, 'missing.db'));
  t.equal(missing.code, 66);
  t.match(missing.err, /event log not found/);
  const target = join(dir, 'no-such-dir', 'out.jsonl');
  const cant = await run(['--out', target], path);
  t.equal(cant.code, 73);
  t.match(cant.err, /cannot create .*out\.jsonl\.partial/);
  t.notOk(existsSync(target));
});

t.test('a large export streams with backpressure and stays whole', async (t) => {
  const { log, path } = tempLog(t);
  const n = 5000;
  log.appendMany(Array.from({ length: n }, (_, i) => ({ kind: 'bulk', data: { i, pad: 'p'.repeat(100) } })));
  // A slow reader with a tiny buffer forces out.write to return false and the export to wait.
  const { Writable } = await import('node:stream');
  let text = '';
  let drains = 0;
  const slow = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      setImmediate(cb);
    },
  });
  slow.on('drain', () => drains++);
  const err = new Sink();
  t.equal(await exportCommand([], { eventLogPath: path, out: slow, err }), 0);
  const lines = text.trimEnd().split('\n');
  t.equal(lines.length, n);
  t.equal((JSON.parse(lines[n - 1] as string) as { id: number }).id, n);
  t.ok(drains > 0, 'waited for drain');
});

t.test('--until, --kind and --charger select rows; a filtered export says its rows are not a chain', async (t) => {
  const { path } = seeded(t);
  const ids = (text: string) =>
    text
      .trimEnd()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { id: number; anchor?: boolean });
  const until = await run(['--until', '2026-11-28T12:03:02.123Z'], path);
  t.same(
    ids(until.out).map((r) => r.id),
    [1],
    '--until is exclusive',
  );
  const window = await run(['--since', '2026-11-28T12:03:02.123Z', '--until', '2026-11-28T12:03:03Z'], path);
  t.same(
    ids(window.out).map((r) => [r.id, r.anchor === true]),
    [
      [1, true],
      [2, false],
    ],
    'a window: its anchor, then its rows',
  );
  t.notMatch(window.err, /not a contiguous chain/);
  const kind = await run(['--kind', 'charger.write'], path);
  t.same(
    ids(kind.out).map((r) => r.id),
    [3],
    'no anchor for a filtered selection',
  );
  t.match(kind.err, /not a contiguous chain/);
  const charger = await run(['--charger', 'wallbox "ü", left', '--format', 'csv'], path);
  t.equal(charger.code, 0);
  t.equal(charger.out.trimEnd().split('\r\n').length, 2, 'the header and the one row');
});

t.test('CSV after pruning: the window opens with the checkpoint, in the columns of a row', async (t) => {
  const { log, path, clock } = tempLog(t);
  for (let i = 0; i < 3; i++) {
    log.append({ kind: 'agent.start', data: { i } });
    clock.advance(DAY_MS);
  }
  // Keep one day: the first two rows go behind a checkpoint.
  const pruned = await pruneOnce(log, { retentionDays: 1, nowMs: clock.now() });
  t.equal(pruned.pruned, 2);
  const r = await run(['--format', 'csv'], path);
  t.equal(r.code, 0, r.err);
  const rows = parseCsv(r.out);
  t.same(rows[0], [...EXPORT_COLUMNS]);
  t.same(rows[1], ['2', '', '', '(checkpoint)', '', '', '', '', pruned.checkpoint?.throughHash ?? 'no checkpoint']);
  t.same(
    rows.slice(2).map((row) => row[3]),
    ['agent.start', 'log.pruned'],
    'then the rows kept',
  );
});

t.test('an output that fails mid-export (a closed pipe): said, exit 1', async (t) => {
  const { path } = seeded(t);
  const err = new Sink();
  const out = new Writable({
    write(_chunk, _enc, cb) {
      cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  out.on('error', () => undefined);
  t.equal(await exportCommand([], { eventLogPath: path, out, err }), 1);
  t.equal(err.text, 'hcalcs-agent export: write EPIPE\n');
});
