// `export --out` hands evidence to someone else: it must never overwrite a file without
// --force, and never write through a symlink, neither at FILE nor at FILE.partial (someone
// who can write the directory could plant one to have the export land on a file of theirs,
// or clobber one of the owner's).
import t, { type Test } from 'tap';
import { existsSync, lstatSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exportCommand } from '../../../agent/cli/export.js';
import { Sink, tempLog } from './fixtures/helpers.js';

function seeded(t: Test) {
  const { log, path } = tempLog(t);
  log.append({ kind: 'agent.start' });
  log.append({ kind: 'charger.write', chargerId: 'garage', data: { limitA: 6 } });
  return { path, dir: dirname(path) };
}

async function run(argv: string[], path: string) {
  const out = new Sink();
  const err = new Sink();
  const code = await exportCommand(argv, { eventLogPath: path, out, err });
  return { code, out: out.text, err: err.text };
}

t.test('an existing file is kept unless --force', async (t) => {
  const { path, dir } = seeded(t);
  const file = join(dir, 'evidence.jsonl');
  writeFileSync(file, "the owner's earlier evidence\n");
  const r = await run(['--out', file], path);
  t.equal(r.code, 73);
  t.match(r.err, `${file} exists; choose another name or add --force to replace it`);
  t.equal(readFileSync(file, 'utf8'), "the owner's earlier evidence\n", 'untouched');
  t.notOk(existsSync(`${file}.partial`), 'no partial left');
  const forced = await run(['--out', file, '--force'], path);
  t.equal(forced.code, 0);
  t.equal(readFileSync(file, 'utf8').trimEnd().split('\n').length, 2, 'replaced with --force');
});

t.test('a symlink planted at FILE.partial is neither followed nor removed', async (t) => {
  const { path, dir } = seeded(t);
  const victim = join(dir, 'victim.txt');
  writeFileSync(victim, 'precious\n');
  const file = join(dir, 'evidence.jsonl');
  symlinkSync(victim, `${file}.partial`);
  const r = await run(['--out', file], path);
  t.equal(r.code, 73);
  t.match(r.err, /cannot create .*evidence\.jsonl\.partial: it already exists/);
  t.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the link target is untouched');
  t.equal(readlinkSync(`${file}.partial`), victim, 'the planted link is left for the owner to look at');
  t.notOk(existsSync(file));
  // --force is about FILE, never about a planted partial.
  t.equal((await run(['--out', file, '--force'], path)).code, 73);
  t.equal(readFileSync(victim, 'utf8'), 'precious\n');
});

t.test('a symlink at FILE: refused without --force; with it the link itself is replaced, its target kept', async (t) => {
  const { path, dir } = seeded(t);
  const victim = join(dir, 'victim.txt');
  writeFileSync(victim, 'precious\n');
  const file = join(dir, 'evidence.jsonl');
  symlinkSync(victim, file);
  const r = await run(['--out', file], path);
  t.equal(r.code, 73);
  t.equal(readFileSync(victim, 'utf8'), 'precious\n');
  const dangling = join(dir, 'dangling.jsonl');
  symlinkSync(join(dir, 'nowhere'), dangling);
  t.equal((await run(['--out', dangling], path)).code, 73, 'a dangling link counts as there');
  t.notOk(existsSync(join(dir, 'nowhere')), 'and is not followed to create its target');
  t.equal((await run(['--out', file, '--force'], path)).code, 0);
  t.notOk(lstatSync(file).isSymbolicLink(), 'FILE is now a regular file');
  t.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the old link target is untouched');
});

t.test('the export is created 0640 whatever the umask', async (t) => {
  const { path, dir } = seeded(t);
  const file = join(dir, 'evidence.csv');
  const old = process.umask(0);
  try {
    t.equal((await run(['--out', file, '--format', 'csv'], path)).code, 0);
  } finally {
    process.umask(old);
  }
  t.equal(lstatSync(file).mode & 0o777, 0o640);
});

t.test('--force without --out is a usage error', async (t) => {
  const { path } = seeded(t);
  const r = await run(['--force'], path);
  t.equal(r.code, 64);
  t.match(r.err, /--force only goes with --out/);
});
