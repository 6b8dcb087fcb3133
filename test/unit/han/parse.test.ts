// parseLine beyond the shared vectors: the protocol doc's examples, every rejection reason for
// every field, the rejection order, requireChecksum, checksums and formatLine.
import t from 'tap';
import fc from 'fast-check';
import { checksumOf, formatLine, parseLine, MAX_LINE_BYTES } from '../../../drivers/han/parse.js';
import type { HanMessage, ParseOutcome } from '../../../drivers/han/messages.js';

const message = (out: ParseOutcome): HanMessage | undefined => (out.kind === 'message' ? out.message : undefined);

t.test('every example in the protocol doc parses to its message, checksum verified', async (t) => {
  const table: Array<[string, HanMessage]> = [
    [
      'SWITCH idx=2 type=HCALCS dev=00-DB-12-34-56-78-90-97 state=open cause=dno dur=30 seq=41*70',
      { verb: 'SWITCH', idx: 2, type: 'HCALCS', dev: '00-DB-12-34-56-78-90-97', state: 'open', cause: 'dno', durMin: 30, seq: 41 },
    ],
    ['SWITCH idx=2 state=closed cause=reset seq=42*45', { verb: 'SWITCH', idx: 2, type: 'HCALCS', state: 'closed', cause: 'reset', seq: 42 }],
    ['HB seq=43*77', { verb: 'HB', seq: 43 }],
    ['BOOST action=press*21', { verb: 'BOOST', action: 'press' }],
    ['BOOSTCFG loads=2,3 period=60*5C', { verb: 'BOOSTCFG', loads: [2, 3], periodMin: 60 }],
    ['LABEL idx=2 text="EV Charger"*67', { verb: 'LABEL', idx: 2, text: 'EV Charger' }],
    ['HB seq=43 time=2026-11-28T12:00:00Z', { verb: 'HB', seq: 43, time: '2026-11-28T12:00:00Z' }],
    ['BOOST action=cancel', { verb: 'BOOST', action: 'cancel' }],
    ['END what=switches', { verb: 'END', what: 'switches' }],
    ['ERR code=busy text="..."', { verb: 'ERR', code: 'busy', text: '...' }],
    ['BOOSTCFG loads=- period=1440', { verb: 'BOOSTCFG', loads: [], periodMin: 1440 }],
    ['SWITCH idx=1 state=open type=ALCS cause=calendar dur=0', { verb: 'SWITCH', idx: 1, type: 'ALCS', state: 'open', cause: 'calendar' }],
    [
      'SWITCH idx=1 state=open dev=00-db-12-34-56-78-90-9a',
      { verb: 'SWITCH', idx: 1, type: 'HCALCS', state: 'open', cause: 'unknown', dev: '00-DB-12-34-56-78-90-9A' },
    ],
  ];
  for (const [line, expected] of table) t.same(message(parseLine(line)), expected, line);
  // The agent's own verbs reach a parser on the meter side as unknown verbs, with their fields.
  t.same(parseLine('READ what=switches*01'), { kind: 'ignored', verb: 'READ', fields: { what: 'switches' } });
  t.same(parseLine('PING*10'), { kind: 'ignored', verb: 'PING', fields: {} });
});

t.test('checksumOf reproduces every checksum in the doc; either hex case is accepted', async (t) => {
  const examples = [
    'SWITCH idx=2 type=HCALCS dev=00-DB-12-34-56-78-90-97 state=open cause=dno dur=30 seq=41*70',
    'SWITCH idx=2 state=closed cause=reset seq=42*45',
    'HB seq=43*77',
    'BOOST action=press*21',
    'BOOSTCFG loads=2,3 period=60*5C',
    'LABEL idx=2 text="EV Charger"*67',
    'READ what=switches*01',
    'PING*10',
  ];
  for (const ex of examples) {
    const star = ex.lastIndexOf('*');
    t.equal(checksumOf(ex.slice(0, star)), ex.slice(star + 1), ex);
  }
  t.equal(parseLine('BOOSTCFG loads=2,3 period=60*5c').kind, 'message', 'lower-case hex');
  t.equal(checksumOf(''), '00');
});

t.test('rejections, one per field and reason', async (t) => {
  const table: Array<[string, string]> = [
    // SWITCH
    ['SWITCH state=open', 'missing_field:idx'],
    ['SWITCH idx=x state=open', 'bad_value:idx'],
    ['SWITCH idx=-1 state=open', 'bad_value:idx'],
    ['SWITCH idx=2', 'missing_field:state'],
    ['SWITCH idx=2 state=OPEN', 'bad_value:state'],
    ['SWITCH idx=2 state=open type=hcalcs', 'bad_value:type'],
    ['SWITCH idx=2 state=open dev=00-DB-12-34-56-78-90-9G', 'bad_value:dev'],
    ['SWITCH idx=2 state=open dev=00:DB:12:34:56:78:90:97', 'bad_value:dev'],
    ['SWITCH idx=2 state=open dev=00-DB-12-34-56-78-90-97-11', 'bad_value:dev'],
    ['SWITCH idx=2 state=open cause=DNO', 'bad_value:cause'],
    ['SWITCH idx=2 state=open dur=-1', 'bad_value:dur'],
    ['SWITCH idx=2 state=open dur=1.5', 'bad_value:dur'],
    ['SWITCH idx=2 state=open seq=-1', 'bad_value:seq'],
    ['SWITCH idx=2 state=open seq=99999999', 'bad_value:seq'],
    // LABEL
    ['LABEL text="x"', 'missing_field:idx'],
    ['LABEL idx=9 text="x"', 'bad_value:idx'],
    ['LABEL idx=1', 'missing_field:text'],
    [`LABEL idx=1 text="${'y'.repeat(65)}"`, 'bad_value:text'],
    ['LABEL idx=1 text=x seq=70000', 'bad_value:seq'],
    // BOOSTCFG
    ['BOOSTCFG period=60', 'missing_field:loads'],
    ['BOOSTCFG loads=2,2 period=60', 'bad_value:loads'],
    ['BOOSTCFG loads=2, period=60', 'bad_value:loads'],
    ['BOOSTCFG loads=,2 period=60', 'bad_value:loads'],
    ['BOOSTCFG loads=23 period=60', 'bad_value:loads'],
    ['BOOSTCFG loads=0 period=60', 'bad_value:loads'],
    ['BOOSTCFG loads=1,2,3,4,5,1 period=60', 'bad_value:loads'],
    ['BOOSTCFG loads=2', 'missing_field:period'],
    ['BOOSTCFG loads=2 period=1441', 'bad_value:period'],
    ['BOOSTCFG loads=2 period=60 seq=x', 'bad_value:seq'],
    // BOOST
    ['BOOST', 'missing_field:action'],
    ['BOOST action=Press', 'bad_value:action'],
    ['BOOST action=press seq=65536', 'bad_value:seq'],
    // HB
    ['HB seq=abc', 'bad_value:seq'],
    ['HB time=yesterday', 'bad_value:time'],
    // END, ERR
    ['END', 'missing_field:what'],
    ['END what=""', 'bad_value:what'],
    ['ERR text="x"', 'missing_field:code'],
    [`ERR code=busy text="${'z'.repeat(65)}"`, 'bad_value:text'],
    // framing and syntax
    ['X'.repeat(MAX_LINE_BYTES), 'line_too_long'],
    ['HB seq=1\t', 'bad_byte'],
    ['HB seq=1\x7f', 'bad_byte'],
    ['HB seq=1\rx', 'bad_byte'],
    ['HB seq=1*78', 'bad_checksum'],
    ['1HB seq=1', 'bad_syntax'],
    ['HB seq=1 =2', 'bad_syntax'],
    ['HB seq=', 'bad_syntax'],
    ['HB Seq=1', 'bad_syntax'],
    ['HB seq=1;', 'bad_syntax'],
    ['HB seq="1"x', 'bad_syntax'],
    ['LABEL idx=1 text="a\\nb"', 'bad_syntax'],
    ['LABEL idx=1 text="ends in backslash\\"', 'bad_syntax'],
    ['HB seq=1*7', 'bad_syntax'],
    ['HB seq=1 seq=1', 'bad_syntax'],
    ['SWITCH idx=2 constructor=1 constructor=2 state=open', 'bad_syntax'],
  ];
  for (const [line, reason] of table) t.same(parseLine(line), { kind: 'rejected', reason }, `${JSON.stringify(line.slice(0, 50))} -> ${reason}`);
});

t.test('the first failing check names the reason (length, bytes, checksum, syntax, fields)', async (t) => {
  const table: Array<[string, string]> = [
    ['SWITCH idx=9 \x00' + 'x'.repeat(300), 'line_too_long'],
    ['SWITCH idx=9 \x00 *00', 'bad_byte'],
    ['switch idx=9*00', 'bad_checksum'],
    ['switch idx=9', 'bad_syntax'],
    ['SWITCH idx=9', 'bad_value:idx'],
    ['SWITCH dur=9999', 'missing_field:idx'],
  ];
  for (const [line, reason] of table) t.same(parseLine(line), { kind: 'rejected', reason }, reason);
});

t.test('length limit: 255 bytes before the LF pass, 256 do not; the CR counts', async (t) => {
  const pad = (n: number): string => {
    const head = 'HB text=';
    return head + 'a'.repeat(n - head.length);
  };
  t.equal(parseLine(pad(255)).kind, 'message');
  t.same(parseLine(pad(256)), { kind: 'rejected', reason: 'line_too_long' });
  t.equal(parseLine(pad(254) + '\r').kind, 'message');
  t.same(parseLine(pad(255) + '\r'), { kind: 'rejected', reason: 'line_too_long' });
});

t.test('spaces, CR, empty lines', async (t) => {
  t.same(parseLine(''), { kind: 'empty' });
  t.same(parseLine('   '), { kind: 'empty' });
  t.same(parseLine('\r'), { kind: 'empty' });
  t.same(message(parseLine('  HB seq=7   \r')), { verb: 'HB', seq: 7 });
  const line = 'HB seq=7';
  t.same(message(parseLine(`${line}*${checksumOf(line)}  \r`)), { verb: 'HB', seq: 7 }, 'spaces after the checksum');
  const spaced = 'HB seq=7 ';
  t.same(message(parseLine(`${spaced}*${checksumOf(spaced)}`)), { verb: 'HB', seq: 7 }, 'a space before the star is covered by the checksum');
});

t.test('requireChecksum rejects a line without a valid *HH as bad_checksum', async (t) => {
  const opts = { requireChecksum: true };
  t.same(parseLine('HB seq=43', opts), { kind: 'rejected', reason: 'bad_checksum' });
  t.same(parseLine('HB seq=43*5g', opts), { kind: 'rejected', reason: 'bad_checksum' });
  t.same(parseLine('HB seq=43*00', opts), { kind: 'rejected', reason: 'bad_checksum' });
  t.same(message(parseLine('HB seq=43*77', opts)), { verb: 'HB', seq: 43 });
  t.same(parseLine('', opts), { kind: 'empty' }, 'an empty line is still just empty');
  t.same(parseLine('FROB*' + checksumOf('FROB'), opts), { kind: 'ignored', verb: 'FROB', fields: {} });
});

t.test('quoted strings: escapes, stars and spaces inside, the 64-character limit counts decoded text', async (t) => {
  t.same(message(parseLine('LABEL idx=1 text="a \\"b\\" \\\\ c*12"')), { verb: 'LABEL', idx: 1, text: 'a "b" \\ c*12' });
  t.same(message(parseLine('LABEL idx=1 text=""')), { verb: 'LABEL', idx: 1, text: '' });
  t.same(message(parseLine('LABEL idx=1 text=EV_Charger')), { verb: 'LABEL', idx: 1, text: 'EV_Charger' });
  const sixtyFour = 'q'.repeat(63) + '"';
  t.same(message(parseLine(`LABEL idx=1 text="${'q'.repeat(63)}\\""`)), { verb: 'LABEL', idx: 1, text: sixtyFour });
  t.same(parseLine('LABEL idx=1 text="open'), { kind: 'rejected', reason: 'bad_syntax' });
  t.same(parseLine('LABEL idx=1 text="x"y'), { kind: 'rejected', reason: 'bad_syntax' });
});

t.test('unknown keys are kept in fields, left out of the message', async (t) => {
  const out = parseLine('SWITCH idx=3 state=closed extra=ignored constructor=x');
  t.equal(out.kind, 'message');
  if (out.kind !== 'message') return;
  t.same(out.message, { verb: 'SWITCH', idx: 3, type: 'HCALCS', state: 'closed', cause: 'unknown' });
  t.equal(out.fields.extra, 'ignored');
  t.equal(out.fields.constructor, 'x');
});

t.test('formatLine quotes what needs it, adds a checksum when asked, and parses back', async (t) => {
  t.equal(formatLine('READ', { what: 'switches' }, { checksum: true }), 'READ what=switches*01');
  t.equal(formatLine('PING', {}, { checksum: true }), 'PING*10');
  t.equal(formatLine('LABEL', { idx: 2, text: 'EV Charger' }, { checksum: true }), 'LABEL idx=2 text="EV Charger"*67');
  t.equal(formatLine('LABEL', { idx: 2, text: 'say "hi" \\' }), 'LABEL idx=2 text="say \\"hi\\" \\\\"');
  t.equal(formatLine('LABEL', { idx: 2, text: '' }), 'LABEL idx=2 text=""');
  t.throws(() => formatLine('read', {}), RangeError);
  t.throws(() => formatLine('READ', { What: 'x' }), RangeError);
  t.throws(() => formatLine('LABEL', { text: 'caf\u00e9' }), RangeError);
  t.throws(() => formatLine('LABEL', { text: 'x'.repeat(300) }), RangeError);
});

t.test('property: any printable label text survives formatLine -> parseLine, with or without checksum', async (t) => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom(...Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i))), maxLength: 64 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 0, max: 65535 }),
      fc.boolean(),
      (text, idx, seq, checksum) => {
        const out = parseLine(formatLine('LABEL', { idx, text, seq }, { checksum }), { requireChecksum: checksum });
        return out.kind === 'message' && out.message.verb === 'LABEL' && out.message.text === text && out.message.seq === seq;
      },
    ),
    { numRuns: 2000 },
  );
  t.pass('2000 round trips');
});

t.test('property: parseLine never throws and rejects any line with a byte outside 0x20-0x7E', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const line = Buffer.from(bytes).toString('latin1');
      const out = parseLine(line);
      if (line.length > 255) return out.kind === 'rejected' && out.reason === 'line_too_long';
      const body = line.endsWith('\r') ? line.slice(0, -1) : line;
      const bad = [...body].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) > 0x7e);
      return !bad || (out.kind === 'rejected' && out.reason === 'bad_byte');
    }),
    { numRuns: 3000 },
  );
  t.pass('3000 random byte lines');
});
