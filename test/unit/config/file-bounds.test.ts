// The config reader takes regular files of at most 1 MiB, and nothing else: a FIFO must not
// hold the start waiting for a writer, /dev/zero must not be read without end, a huge file
// must not be loaded. Each refusal is one `path: message` problem (exit 78).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, MAX_CONFIG_BYTES, readConfigText } from '../../../config/load.js';
import { spawnAgent } from '../../helpers/agent-process.js';
import { EXIT } from '../../../agent/cli/shared/exit-codes.js';

const dir = mkdtempSync(join(tmpdir(), 'config-bounds-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const fifo = join(dir, 'config.fifo');
execFileSync('mkfifo', [fifo]);

t.test('a FIFO is refused at once, without waiting for a writer', async (t) => {
  const r = loadConfig(fifo);
  t.same(r, { ok: false, problems: [`${fifo}: cannot read the config file: is a FIFO (named pipe); a config must be a regular file`] });
});

t.test('character devices are refused, also behind a symlink', async (t) => {
  t.same(readConfigText('/dev/zero'), { ok: false, problem: '/dev/zero: cannot read the config file: is a character device; a config must be a regular file' });
  const link = join(dir, 'zero.yaml');
  symlinkSync('/dev/zero', link);
  t.match(readConfigText(link), { ok: false, problem: `${link}: cannot read the config file: is a character device; a config must be a regular file` });
});

t.test('a directory is refused', async (t) => {
  t.match(readConfigText(dir), { ok: false, problem: /cannot read the config file: is a directory/ });
});

t.test('at most 1 MiB', async (t) => {
  const big = join(dir, 'big.yaml');
  writeFileSync(big, Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x20));
  t.same(readConfigText(big), { ok: false, problem: `${big}: the config file is ${MAX_CONFIG_BYTES + 1} bytes; at most ${MAX_CONFIG_BYTES} are accepted` });
  const edge = join(dir, 'edge.yaml');
  writeFileSync(edge, Buffer.alloc(MAX_CONFIG_BYTES, 0x20));
  const r = readConfigText(edge);
  t.equal(r.ok && r.text.length, MAX_CONFIG_BYTES, 'exactly 1 MiB is read whole');
});

t.test('the real `run` on a FIFO config exits 78 with the message, not hanging', async (t) => {
  const agent = spawnAgent(t, ['run', '--config', fifo]);
  const { code } = await agent.exited;
  t.equal(code, EXIT.CONFIG);
  t.match(agent.stderr(), `${fifo}: cannot read the config file: is a FIFO (named pipe)`);
});
