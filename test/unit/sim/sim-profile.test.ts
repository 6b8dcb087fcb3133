// Which profile `sim charger` runs and how its serial flags are read: what a maker testing a new
// charger types, and the message it gets back when the flags or files are wrong.
import t from 'tap';
import { join } from 'node:path';
import { simProfile } from '../../../agent/sim/sim-profile.js';
import { serialFrom } from '../../../agent/sim/serial-options.js';
import type { SerialSettings } from '../../../config/types.js';

const REGISTERS = `setpoint:
  register: { address: 300, table: holding, type: uint16, scale: 0.1 }
  readable: true
status:
  register: { address: 100, table: input, type: uint16 }
  map: { "0": A, "1": B, "2": C, "3": F }
`;

const errorOf = (r: ReturnType<typeof simProfile>): string => ('error' in r ? r.error : `no error: profile ${r.id}`);

t.test('a shipped profile by id', async (t) => {
  const p = simProfile({ profile: 'keba-p30' });
  if ('error' in p) return t.fail(p.error);
  t.equal(p.id, 'keba-p30');
  t.equal(p.transport.defaultUnitId, 255, "the profile's own unit id");
});

t.test('an unknown id names the known ones', async (t) => {
  const e = errorOf(simProfile({ profile: 'no-such-charger' }));
  t.match(e, /unknown profile "no-such-charger"/);
  t.match(e, /known: generic, .*keba-p30/);
});

t.test('no profile at all is refused with what to give', async (t) => {
  t.equal(errorOf(simProfile({})), '--profile ID (or --profile-file FILE) is required');
});

t.test('--profile and --profile-file together are refused', async (t) => {
  const dir = t.testdir({ 'p.json': '{}' });
  t.equal(errorOf(simProfile({ profile: 'keba-p30', profileFile: join(dir, 'p.json') })), 'give --profile or --profile-file, not both');
});

t.test('generic with a register map from a file (the usage line "--profile generic --registers FILE")', async (t) => {
  const dir = t.testdir({ 'regs.yaml': REGISTERS });
  const p = simProfile({ profile: 'generic', registersFile: join(dir, 'regs.yaml') });
  if ('error' in p) return t.fail(p.error);
  t.equal(p.id, 'generic');
  t.same(p.setpoint.register, { address: 300, table: 'holding', type: 'uint16', scale: 0.1 }, 'the setpoint from the file');
  t.equal(p.setpoint.readable, true, 'the file overrides the generic default (not readable)');
  t.equal(p.setpoint.functionCode, 6, 'one register: FC06');
  t.equal(p.setpoint.minA, 6, 'the IEC 61851 floor');
  t.equal(p.transport.defaultUnitId, 1);
  t.same(p.status?.map, { 0: 'A', 1: 'B', 2: 'C', 3: 'F' });
});

t.test('generic: the file may set the current range', async (t) => {
  const dir = t.testdir({ 'regs.yaml': REGISTERS.replace('readable: true', 'readable: true\n  minA: 8\n  maxA: 16') });
  const p = simProfile({ profile: 'generic', registersFile: join(dir, 'regs.yaml') });
  if ('error' in p) return t.fail(p.error);
  t.equal(p.setpoint.minA, 8);
  t.equal(p.setpoint.maxA, 16);
});

t.test('generic without a register map, or with one that is not a map', async (t) => {
  t.match(errorOf(simProfile({ profile: 'generic' })), /registers: is required for profile "generic"/);
  const dir = t.testdir({ 'list.yaml': '- 1\n- 2\n', 'partial.yaml': 'setpoint:\n  register: { address: 300, table: holding, type: uint16 }\n' });
  t.equal(errorOf(simProfile({ profile: 'generic', registersFile: join(dir, 'list.yaml') })), `${join(dir, 'list.yaml')}: expected a register map (an object)`);
  t.match(errorOf(simProfile({ profile: 'generic', registersFile: join(dir, 'partial.yaml') })), /registers\.status: is required/, 'a missing part is named');
});

t.test('a register file that does not exist is an error, not a throw', async (t) => {
  t.match(errorOf(simProfile({ profile: 'generic', registersFile: '/nonexistent/regs.yaml' })), /ENOENT/);
});

t.test('a profile file: valid, invalid (each problem prefixed by the file), not JSON', async (t) => {
  const shipped = simProfile({ profile: 'keba-p30' });
  if ('error' in shipped) return t.fail(shipped.error);
  const dir = t.testdir({
    'ok.json': JSON.stringify({ ...shipped, id: 'new-charger', name: "A maker's new charger" }),
    'bad.json': JSON.stringify({ id: 'x' }),
    'broken.json': '{ not json',
  });
  const ok = simProfile({ profileFile: join(dir, 'ok.json') });
  if ('error' in ok) return t.fail(ok.error);
  t.equal(ok.id, 'new-charger');
  const bad = errorOf(simProfile({ profileFile: join(dir, 'bad.json') }));
  const lines = bad.split('\n');
  t.ok(lines.length >= 1);
  for (const l of lines) t.ok(l.startsWith(`${join(dir, 'bad.json')}: `), l);
  t.match(errorOf(simProfile({ profileFile: join(dir, 'broken.json') })), /JSON/);
});

const DEFAULTS: SerialSettings = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 };
// As parseOptions hands them over: the flag's name without its dashes.
const flags = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/^--/, ''), v]));

t.test('serial flags: absent keeps the defaults, given ones replace them', async (t) => {
  t.same(serialFrom({}, DEFAULTS), DEFAULTS);
  t.same(serialFrom(flags({ '--baud': '115200', '--parity': 'even', '--data-bits': '7', '--stop-bits': '2' }), DEFAULTS), {
    baudRate: 115200,
    dataBits: 7,
    parity: 'even',
    stopBits: 2,
  });
  t.same(DEFAULTS, { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 }, 'the defaults are not changed');
});

t.test('serial flags: each bad value is named with what is expected', async (t) => {
  const cases: [Record<string, string>, string][] = [
    [{ '--baud': 'fast' }, '--baud fast: expected a baud rate such as 9600 or 115200'],
    [{ '--baud': '49' }, '--baud 49: expected a baud rate such as 9600 or 115200'],
    [{ '--baud': '4000001' }, '--baud 4000001: expected a baud rate such as 9600 or 115200'],
    [{ '--baud': '9600.5' }, '--baud 9600.5: expected a baud rate such as 9600 or 115200'],
    [{ '--parity': 'mark' }, '--parity mark: expected none, even or odd'],
    [{ '--data-bits': '9' }, '--data-bits 9: expected 7 or 8'],
    [{ '--stop-bits': '1.5' }, '--stop-bits 1.5: expected 1 or 2'],
  ];
  for (const [given, message] of cases) t.same(serialFrom(flags(given), DEFAULTS), { error: message }, JSON.stringify(given));
  t.same(serialFrom(flags({ '--baud': '50' }), DEFAULTS), { ...DEFAULTS, baudRate: 50 }, 'the lowest rate is allowed');
  t.same(serialFrom(flags({ '--baud': '4000000' }), DEFAULTS), { ...DEFAULTS, baudRate: 4_000_000 }, 'the highest rate is allowed');
});
