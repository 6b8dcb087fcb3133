// A second opinion on what our driver wrote: after the driver sets a limit on the pymodbus
// peer, mbpoll (libmodbus, not ours) reads the setpoint back with the type and word order
// the charger's document gives (16-bit, 32-bit int, float; -B for high word first) and the
// value times the scale must be the limit, floored to the register's resolution.
// mbpoll counts references from 1: reference = PDU address + 1.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadProfiles, type Profile } from '../../drivers/charger/profile.js';
import { needs } from '../helpers/peers.js';
import { startPymodbusPeer } from '../helpers/pymodbus-peer.js';
import { rigFor, startPeerFor, transportOf } from './profile-rig.js';

const run = promisify(execFile);
const LIMIT_A = 13.37;

function mbpollType(p: Profile): string[] {
  const r = p.setpoint.register;
  const order = r.wordOrder === 'LE' ? [] : ['-B'];
  if (r.type === 'float32') return ['-t', '4:float', ...order];
  if (r.type === 'uint32' || r.type === 'int32') return ['-t', '4:int', ...order];
  return ['-t', '4'];
}

/** The limit as the register can hold it: floored to its resolution (float32: within 1e-5). */
function check(t: Tap, p: Profile, value: number): void {
  const r = p.setpoint.register;
  const amps = value * (r.scale ?? 1);
  const step = r.type === 'float32' ? 1e-5 : (r.scale ?? 1);
  t.ok(amps <= LIMIT_A + 1e-9 && amps > LIMIT_A - step - 1e-9, `${p.id}: mbpoll ${mbpollType(p).join(' ')} reads ${value} -> ${amps} A for ${LIMIT_A} A`);
}

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

function parse(stdout: string, ref: number): number | undefined {
  const m = new RegExp(`^\\[${ref}\\]:\\s+(-?[0-9.]+)`, 'm').exec(stdout);
  return m ? Number(m[1]) : undefined;
}

const all = [...loadProfiles().values()].filter((p) => LIMIT_A >= p.setpoint.minA && LIMIT_A <= p.setpoint.maxA);
const tcp = all.filter((p) => transportOf(p) === 'tcp');
const rtu = all.filter((p) => transportOf(p) === 'rtu');

t.test('TCP profiles: mbpoll reads the setpoint our driver wrote', needs('pymodbus', 'mbpoll'), async (t) => {
  const peer = await startPymodbusPeer({ units: Object.fromEntries(tcp.map((p) => [p.transport.defaultUnitId, {}])) });
  t.teardown(() => peer.stop());
  for (const p of tcp) {
    // Profiles sharing a default unit id share its registers on this peer: each is read right after its own write.
    const rig = await rigFor(p, {}, { peer });
    const out = await rig.charger.setCurrentLimitA(LIMIT_A);
    await rig.close();
    t.equal(out.ok, true, `${p.id}: ${LIMIT_A} A written${out.error ? ` (${out.error})` : ''}`);
    const ref = p.setpoint.register.address + 1;
    const res = await run('mbpoll', [
      '-m',
      'tcp',
      '-p',
      String(peer.port),
      '-a',
      String(p.transport.defaultUnitId),
      '-r',
      String(ref),
      ...mbpollType(p),
      '-1',
      '-o',
      '1',
      '127.0.0.1',
    ]);
    const v = parse(res.stdout, ref);
    t.ok(v !== undefined, `${p.id}: mbpoll printed [${ref}]`);
    if (v !== undefined) check(t, p, v);
  }
});

for (const p of rtu) {
  t.test(`RTU ${p.id}: mbpoll reads the setpoint over the pty at the profile's settings`, needs('pymodbus', 'socat', 'mbpoll'), async (t) => {
    const unit = p.transport.defaultUnitId;
    const peer = await startPeerFor(p, { [unit]: {} });
    t.teardown(() => peer.stop());
    const rig = await rigFor(p, {}, { peer });
    const out = await rig.charger.setCurrentLimitA(LIMIT_A);
    await rig.close();
    t.equal(out.ok, true, `${LIMIT_A} A written${out.error ? ` (${out.error})` : ''}`);
    const s = p.transport.rtu!;
    const ref = p.setpoint.register.address + 1;
    const res = await run('mbpoll', [
      '-m',
      'rtu',
      '-b',
      String(s.baudRate),
      '-d',
      String(s.dataBits),
      '-P',
      s.parity,
      '-s',
      String(s.stopBits),
      '-a',
      String(unit),
      '-r',
      String(ref),
      ...mbpollType(p),
      '-1',
      '-o',
      '1',
      peer.path!,
    ]);
    const v = parse(res.stdout, ref);
    t.ok(v !== undefined, `mbpoll printed [${ref}]`);
    if (v !== undefined) check(t, p, v);
  });
}
