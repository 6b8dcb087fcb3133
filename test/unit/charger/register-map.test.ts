// Codec tables: every type, both word orders, scales, and the rule that a limit never rounds up.
import t from 'tap';
import fc from 'fast-check';
import { decode, encode, encodeExact, encodeString, float32AtOrBelow, type RegisterSpec } from '../../../drivers/charger/register-map.js';

const H = (type: RegisterSpec['type'], extra: Partial<RegisterSpec> = {}): RegisterSpec => ({ address: 0, table: 'holding', type, ...extra });

t.test('encode table', async (t) => {
  const rows: Array<[string, RegisterSpec, number, number[]]> = [
    ['uint16 A', H('uint16'), 16, [16]],
    ['uint16 0.1 A', H('uint16', { scale: 0.1 }), 6.1, [61]],
    ['uint16 0.1 A floors 6.09', H('uint16', { scale: 0.1 }), 6.09, [60]],
    ['uint16 0.1 A floors 15.99', H('uint16', { scale: 0.1 }), 15.99, [159]],
    ['uint16 mA', H('uint16', { scale: 0.001 }), 6.5, [6500]],
    ['uint16 mA floors', H('uint16', { scale: 0.001 }), 6.0009, [6000]],
    ['uint16 0.01 A', H('uint16', { scale: 0.01 }), 10.07, [1007]],
    ['int16 negative', H('int16'), -2, [0xfffe]],
    ['int16 floors toward minus infinity', H('int16', { scale: 0.1 }), -0.05, [0xffff]],
    ['uint32 BE mA', H('uint32', { scale: 0.001 }), 16, [0, 16000]],
    ['uint32 LE mA', H('uint32', { scale: 0.001, wordOrder: 'LE' }), 16, [16000, 0]],
    ['uint32 BE large', H('uint32'), 0x12345678, [0x1234, 0x5678]],
    ['uint32 LE large', H('uint32', { wordOrder: 'LE' }), 0x12345678, [0x5678, 0x1234]],
    ['int32 BE -1', H('int32'), -1, [0xffff, 0xffff]],
    ['int32 LE -65536', H('int32', { wordOrder: 'LE' }), -65536, [0x0000, 0xffff]],
    ['float32 BE 16 A', H('float32'), 16, [0x4180, 0x0000]],
    ['float32 LE 16 A', H('float32', { wordOrder: 'LE' }), 16, [0x0000, 0x4180]],
    ['float32 BE 6.5 A', H('float32'), 6.5, [0x40d0, 0x0000]],
  ];
  for (const [name, spec, value, regs] of rows) t.same(encode(spec, value), regs, name);
});

t.test('decode table', async (t) => {
  const rows: Array<[string, RegisterSpec, number[], number | string]> = [
    ['uint16 0.1 A', H('uint16', { scale: 0.1 }), [61], 6.1],
    ['int16', H('int16', { scale: 0.1 }), [0xff9c], -10],
    ['uint32 BE', H('uint32', { scale: 0.001 }), [0, 16000], 16],
    ['uint32 LE', H('uint32', { scale: 0.001, wordOrder: 'LE' }), [16000, 0], 16],
    ['int32 LE', H('int32', { wordOrder: 'LE' }), [0xfffe, 0xffff], -2],
    ['float32 BE', H('float32'), [0x4180, 0], 16],
    ['float32 LE', H('float32', { wordOrder: 'LE' }), [0, 0x4180], 16],
    ['float32 kW scale', H('float32', { scale: 1000 }), [0x3fc0, 0], 1500],
    ['float64 BE', H('float64'), [0x40c3, 0x8800, 0, 0], 10000],
    ['float64 LE', H('float64', { wordOrder: 'LE' }), [0, 0, 0x8800, 0x40c3], 10000],
    ['Alfen mode 3 state C2', H('string', { length: 5 }), encodeString('C2', 5), 'C2'],
    ['Alfen mode 3 state A', H('string', { length: 5 }), [0x4100, 0, 0, 0, 0], 'A'],
    ['bit field', H('uint32', { shift: 8, mask: 0x7f }), [0, 0x8400], 4],
    ['low byte ASCII', H('uint16', { mask: 0xff }), [0x0043], 67],
    ['missing pattern', H('uint32', { missing: 0xffffffff }), [0xffff, 0xffff], Number.NaN],
  ];
  for (const [name, spec, regs, value] of rows) {
    const got = decode(spec, regs);
    if (typeof value === 'number' && Number.isNaN(value)) t.ok(Number.isNaN(got), name);
    else t.equal(got, value, name);
  }
  t.throws(() => decode(H('uint32'), [1]), /needs 2 registers/);
});

t.test('out of range is an error, never a wrap-around', async (t) => {
  t.throws(() => encode(H('uint16', { scale: 0.001 }), 66), RangeError, '66 A in mA overflows uint16');
  t.throws(() => encode(H('uint16'), -1), RangeError);
  t.throws(() => encode(H('int16'), 40000), RangeError);
  t.throws(() => encode(H('uint32'), 2 ** 32), RangeError);
  t.throws(() => encode(H('uint16'), Number.NaN), RangeError);
  t.throws(() => encode(H('float64'), 1), /read-only/);
  t.throws(() => encode(H('string', { length: 2 }), 1), /read-only/);
});

t.test('property: encode never rounds a limit up, and loses less than one step', async (t) => {
  const specs = [
    H('uint16', { scale: 0.1 }),
    H('uint16', { scale: 0.001 }),
    H('uint16', { scale: 0.01 }),
    H('uint16'),
    H('uint32', { scale: 0.001 }),
    H('uint32', { scale: 0.001, wordOrder: 'LE' }),
    H('float32'),
    H('float32', { wordOrder: 'LE' }),
  ];
  fc.assert(
    fc.property(fc.double({ min: 0, max: 63, noNaN: true }), fc.constantFrom(...specs), (a, spec) => {
      const back = decode(spec, encode(spec, a)) as number;
      const step = spec.type === 'float32' ? 1e-5 : (spec.scale ?? 1);
      return back <= a + 1e-12 && a - back < step + 1e-9;
    }),
    { numRuns: 3000 },
  );
  t.pass('3000 random limits');
});

t.test('float32 at or below', async (t) => {
  for (const v of [0.1, 6.1, 13.3, 31.7, 1e-40, -0.1]) {
    const f = float32AtOrBelow(v);
    t.ok(f <= v, `${v} -> ${f} not above`);
    t.equal(Math.fround(f), f, `${v} result is a float32`);
  }
  t.equal(float32AtOrBelow(6.5), 6.5, 'exact values stay');
});

t.test('encodeExact round-trips for simulators', async (t) => {
  t.same(decode(H('float64'), encodeExact(H('float64'), 1234.5)), 1234.5);
  t.same(decode(H('uint16', { scale: 0.1 }), encodeExact(H('uint16', { scale: 0.1 }), 15.2)), 15.2);
});
