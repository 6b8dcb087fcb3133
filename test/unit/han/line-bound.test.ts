// The bounded line reader: chunk boundaries anywhere give the same lines; CRLF; a flood
// without LF never makes the receive path hold more than one maximum line.
import t from 'tap';
import { createLineReader, LineBound } from '../../../drivers/han/line-bound.js';
import { MAX_LINE_BYTES, parseLine } from '../../../drivers/han/parse.js';
import type { ParseOutcome } from '../../../drivers/han/messages.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function feed(chunks: Buffer[]): Promise<{ lines: string[]; maxBuffered: number }> {
  const lines: string[] = [];
  const reader = createLineReader((l) => lines.push(l));
  let maxBuffered = 0;
  for (const c of chunks) {
    await new Promise<void>((r) => reader.input.write(c, () => r()));
    maxBuffered = Math.max(maxBuffered, reader.bufferedBytes());
  }
  await tick();
  maxBuffered = Math.max(maxBuffered, reader.bufferedBytes());
  reader.destroy();
  return { lines, maxBuffered };
}

const input = Buffer.from(
  [
    'SWITCH idx=2 type=HCALCS dev=00-DB-12-34-56-78-90-97 state=open cause=dno dur=30 seq=41*70',
    'HB seq=43*77\r',
    '',
    'LABEL idx=4 text="Say \\"hi\\" \\\\ *ok"',
    'SWITCH ' + 'x'.repeat(400),
    'SWITCH idx=2 state=open*00',
    'BOOSTCFG loads=2,3 period=60*5C',
    'SWITCH idx=2 state=op\u00e9n',
    '',
  ].join('\n'),
  'utf8',
);

const summarise = (lines: string[]): ParseOutcome[] => lines.map((l) => parseLine(l));

t.test('the same outcomes for every split of the input into two chunks', async (t) => {
  const whole = summarise((await feed([input])).lines);
  t.same(
    whole.map((o) => (o.kind === 'rejected' ? o.reason : o.kind)),
    ['message', 'message', 'message', 'line_too_long', 'bad_checksum', 'message', 'bad_byte'],
  );
  let mismatches = 0;
  for (let cut = 0; cut <= input.length; cut++) {
    const { lines } = await feed([input.subarray(0, cut), input.subarray(cut)]);
    if (JSON.stringify(summarise(lines)) !== JSON.stringify(whole)) mismatches++;
  }
  t.equal(mismatches, 0, `${input.length + 1} split points`);
});

t.test('byte at a time gives the same outcomes', async (t) => {
  const whole = summarise((await feed([input])).lines);
  const bytes = Array.from(input, (_, i) => input.subarray(i, i + 1));
  const { lines, maxBuffered } = await feed(bytes);
  t.same(summarise(lines), whole);
  t.ok(maxBuffered <= MAX_LINE_BYTES, `buffered at most ${maxBuffered} bytes`);
});

t.test('CRLF: the CR reaches parseLine and is ignored there', async (t) => {
  const { lines } = await feed([Buffer.from('HB seq=1\r\nHB seq=2\r\n')]);
  t.same(lines, ['HB seq=1\r', 'HB seq=2\r']);
  t.same(
    summarise(lines).map((o) => (o.kind === 'message' ? o.message : o)),
    [
      { verb: 'HB', seq: 1 },
      { verb: 'HB', seq: 2 },
    ],
  );
});

t.test('a 10 MB write without LF: buffer stays within one line, one line_too_long, then parsing goes on', async (t) => {
  const lines: string[] = [];
  const reader = createLineReader((l) => lines.push(l));
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  let maxBuffered = 0;
  let written = 0;
  while (written < 10 * 1024 * 1024) {
    await new Promise<void>((r) => reader.input.write(chunk, () => r()));
    written += chunk.length;
    maxBuffered = Math.max(maxBuffered, reader.bufferedBytes());
  }
  // And once as one single 10 MB chunk.
  const big = Buffer.alloc(10 * 1024 * 1024, 0x42);
  await new Promise<void>((r) => reader.input.write(big, () => r()));
  maxBuffered = Math.max(maxBuffered, reader.bufferedBytes());
  await new Promise<void>((r) => reader.input.write(Buffer.from('\nHB seq=9*49\n'), () => r()));
  await tick();
  t.ok(maxBuffered <= MAX_LINE_BYTES, `max buffered ${maxBuffered} <= ${MAX_LINE_BYTES}`);
  t.equal(reader.droppedBytes(), 20 * 1024 * 1024 - MAX_LINE_BYTES, 'everything past the limit dropped');
  t.equal(lines.length, 2);
  t.same(parseLine(lines[0] ?? ''), { kind: 'rejected', reason: 'line_too_long' });
  t.equal(lines[0]?.length, MAX_LINE_BYTES);
  t.same(parseLine(lines[1] ?? ''), { kind: 'message', message: { verb: 'HB', seq: 9 }, fields: { seq: '9' } });
  reader.destroy();
});

t.test('after an over-long line, the next valid line parses whole', async (t) => {
  const valid = 'SWITCH idx=5 state=open seq=3';
  const { lines } = await feed([Buffer.from('Z'.repeat(1000) + '\n' + valid + '\n')]);
  t.same(
    summarise(lines).map((o) => (o.kind === 'rejected' ? o.reason : o.kind)),
    ['line_too_long', 'message'],
  );
  t.equal(lines[1], valid);
});

t.test('LineBound alone: exact bytes passed around the limit', async (t) => {
  const table: Array<[string, number, number]> = [
    // [what, line length before LF, bytes passed before LF]
    ['255 bytes pass whole', 255, 255],
    ['256 bytes pass whole (parseLine rejects them)', 256, 256],
    ['257 bytes cut to 256', 257, 256],
    ['5000 bytes cut to 256', 5000, 256],
  ];
  for (const [what, len, passed] of table) {
    const bound = new LineBound();
    const out: Buffer[] = [];
    bound.on('data', (b: Buffer) => out.push(b));
    bound.write(Buffer.alloc(len, 0x61));
    bound.write(Buffer.from('\nok\n'));
    await tick();
    const all = Buffer.concat(out).toString('latin1');
    t.equal(all, 'a'.repeat(passed) + '\nok\n', what);
    t.equal(bound.droppedBytes, len - passed, `${what}: dropped`);
    bound.destroy();
  }
});

t.test('property: random lines in random chunks give the outcomes of parsing each line alone', async (t) => {
  const { default: fc } = await import('fast-check');
  const lineArb = fc.oneof(
    fc.constantFrom('HB seq=43*77', 'SWITCH idx=2 state=open', 'BOOST action=press*21', '', 'LABEL idx=2 text="a b"', 'X'.repeat(300)),
    fc.string({ maxLength: 40 }).map((s) => s.replace(/\n/g, ' ')),
    fc.integer({ min: 250, max: 700 }).map((n) => 'Y'.repeat(n)),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(lineArb, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }), async (lines, sizes) => {
      const data = Buffer.from(lines.map((l) => l + '\n').join(''), 'latin1');
      const chunks: Buffer[] = [];
      for (let off = 0, k = 0; off < data.length; k++) {
        const n = sizes[k % sizes.length] ?? 1;
        chunks.push(data.subarray(off, off + n));
        off += n;
      }
      const { lines: got, maxBuffered } = await feed(chunks);
      // What each line should come to; the splitter drops empty lines, which parse as empty anyway.
      const expected = lines
        .map((l) => Buffer.from(l, 'latin1').toString('latin1'))
        .map((l) => parseLine(l))
        .filter((o) => o.kind !== 'empty');
      const actual = got.map((l) => parseLine(l)).filter((o) => o.kind !== 'empty');
      return JSON.stringify(actual) === JSON.stringify(expected) && maxBuffered <= MAX_LINE_BYTES;
    }),
    { numRuns: 300 },
  );
  t.pass('300 random inputs');
});
