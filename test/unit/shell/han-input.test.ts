// The one adapter between the wire and the core: every verb the parser knows reaches the core
// with its fields, field by field, and nothing the core has no word for (a heartbeat's meter
// time) leaks through; rejected and ignored lines become their inputs, empty lines none.
import t from 'tap';
import { parseLine } from '../../../drivers/han/parse.js';
import { hanInput, printable, readRequestLine } from '../../../agent/han-input.js';

const input = (line: string) => hanInput(line, parseLine(line));

t.test('each verb maps to the core word with the same fields', async (t) => {
  const cases: Array<[string, unknown]> = [
    [
      'SWITCH idx=2 type=HCALCS dev=00-DB-12-34-56-78-90-97 state=open cause=dno dur=30 seq=41',
      { verb: 'SWITCH', idx: 2, type: 'HCALCS', dev: '00-DB-12-34-56-78-90-97', state: 'open', cause: 'dno', durMin: 30, seq: 41 },
    ],
    ['SWITCH idx=1 type=ALCS state=closed cause=calendar', { verb: 'SWITCH', idx: 1, type: 'ALCS', state: 'closed', cause: 'calendar' }],
    ['LABEL idx=2 text="EV Charger" seq=7', { verb: 'LABEL', idx: 2, text: 'EV Charger', seq: 7 }],
    ['BOOSTCFG loads=2,3 period=60', { verb: 'BOOSTCFG', loads: [2, 3], periodMin: 60 }],
    ['BOOST action=press seq=9', { verb: 'BOOST', action: 'press', seq: 9 }],
    ['HB seq=3 time=2026-11-28T12:00:00Z', { verb: 'HB', seq: 3 }],
    ['END what=switches', { verb: 'END', what: 'switches' }],
    ['ERR code=busy text=later', { verb: 'ERR', code: 'busy', text: 'later' }],
  ];
  for (const [line, message] of cases) {
    const outcome = parseLine(line);
    t.equal(outcome.kind, 'message', `${line} parses`);
    // t.strictSame: no extra keys, and no key present with undefined.
    t.strictSame(input(line), { type: 'han', message }, line);
  }
});

t.test('rejected, ignored and empty lines', async (t) => {
  t.strictSame(input('SWITCH idx=2 state=open*00'), { type: 'han-rejected', reason: 'bad_checksum', line: 'SWITCH idx=2 state=open*00' });
  t.strictSame(input('FROB x=1'), { type: 'han-ignored', verb: 'FROB' });
  t.equal(input(''), null);
  t.equal(printable('A\x1bB\x00'), 'A\\x1bB\\x00', 'a rejected line is kept loggable');
});

t.test('a core read request becomes the protocol line', async (t) => {
  t.equal(readRequestLine('switches'), 'READ what=switches');
  t.equal(readRequestLine('boost'), 'READ what=boost');
});
