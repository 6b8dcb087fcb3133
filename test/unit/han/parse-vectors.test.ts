// Every line of the shared vector file (a copy in test/fixtures) through parseLine.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { source } from '../../helpers/paths.js';
import { parseLine } from '../../../drivers/han/parse.js';

interface Vector {
  line: string;
  ok: boolean;
  verb?: string;
  fields?: Record<string, string>;
  ignored?: boolean;
  empty?: boolean;
  reason?: string;
}

const path = source('test/fixtures/han-vectors.jsonl');
const vectors: Vector[] = readFileSync(path, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Vector & { about?: string })
  .filter((v) => v.about === undefined);

t.ok(vectors.length >= 39, `read ${vectors.length} vectors`);

for (const v of vectors) {
  // The vectors are UTF-8 text; the wire gives bytes, which the link hands over as latin1.
  const wire = Buffer.from(v.line, 'utf8').toString('latin1');
  t.test(JSON.stringify(v.line.length > 60 ? v.line.slice(0, 60) + '...' : v.line), async (t) => {
    const out = parseLine(wire);
    if (!v.ok) {
      t.same(out, { kind: 'rejected', reason: v.reason });
    } else if (v.empty) {
      t.same(out, { kind: 'empty' });
    } else if (v.ignored) {
      t.equal(out.kind, 'ignored');
      if (out.kind === 'ignored') t.equal(out.verb, v.verb);
    } else {
      t.equal(out.kind, 'message');
      if (out.kind !== 'message') return;
      t.equal(out.message.verb, v.verb);
      for (const [k, val] of Object.entries(v.fields ?? {})) t.equal(out.fields[k], val, `field ${k}`);
    }
  });
}
