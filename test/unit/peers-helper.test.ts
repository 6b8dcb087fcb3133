import t from 'tap';
import { openPtyPair, needs } from '../helpers/peers.js';
import { openSync, writeSync, readSync, closeSync } from 'node:fs';

t.test('a socat pty pair carries bytes both ways', needs('socat'), async (t) => {
  const pair = await openPtyPair();
  t.teardown(() => pair.close());
  const fa = openSync(pair.a, 'r+');
  const fb = openSync(pair.b, 'r+');
  writeSync(fa, 'PING\n');
  const buf = Buffer.alloc(16);
  const n = readSync(fb, buf, 0, 16, null);
  t.equal(buf.subarray(0, n).toString(), 'PING\n');
  closeSync(fa);
  closeSync(fb);
});
