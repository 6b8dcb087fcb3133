// Runs several compiled tap test files in one Node process:
//   TEST_BATCH_FILES="a.test.js<newline>b.test.js" node test/run-batch.mjs BATCH_NUMBER
// run-tests.mjs hands it the small unit files in a few groups: each Node process with tap and
// coverage costs ~0.7 s of CPU before its first test, which for ninety one-second files was a
// fifth of the suite's CPU.
//
// The files share tap's root test, so they run one after another, each file's subtests in its
// own order. The imports happen inside a subtest so the root stays busy (and does not end)
// while a file is still loading; the files' subtests queue behind it. The file list comes in
// the environment, not argv, because tap names t.testdir() fixtures after argv: the batch
// number alone keeps two batches running at once out of each other's fixtures.
import t from 'tap';
import { pathToFileURL } from 'node:url';

const files = (process.env.TEST_BATCH_FILES ?? '').split('\n').filter((f) => f !== '');
t.test(`batch ${process.argv[2] ?? ''}: ${files.length} test files load`, async (t) => {
  for (const file of files) {
    t.comment(file);
    await import(pathToFileURL(file).href);
  }
  t.pass(`${files.length} files loaded`);
});
