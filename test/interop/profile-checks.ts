// The per-profile interop checks, run by profiles-tcp.test.ts and profiles-rtu.test.ts for
// every shipped profile of their transport. Each check drives the real driver against the
// pymodbus peer and compares the wire with struct-oracle.ts and charger-facts.ts, never with
// our own encoder.
import type tap from 'tap';
import type { Profile } from '../../drivers/charger/profile.js';
import type { RegisterSpec } from '../../drivers/charger/register-map.js';
import type { Peer, PeerRequest, PeerUnitSpec, PeerWrite } from '../helpers/pymodbus-peer.js';
import { FACTS } from './charger-facts.js';
import { ask, expectedWriteFc, readFc, rigFor, spanOf, timeoutWithin, transportOf, words, type Rig } from './profile-rig.js';
import type { EncodeAsk, StringAsk } from './struct-oracle.js';

/** A tap subtest (the last overload of t.test takes just the callback). */
export type T = Parameters<Parameters<typeof tap.test>[0]>[0];

const MEASURED_CURRENTS_A = [10, 11, 12];
const MEASURED_POWER_W = 7000;
const APPLIED_A = 13;

function place(seed: PeerUnitSpec, spec: RegisterSpec, regs: number[]): void {
  const table = spec.table === 'holding' ? (seed.holding ??= {}) : (seed.input ??= {});
  table[spec.address] = regs;
}

function statusAsk(spec: RegisterSpec, raw: string | number): EncodeAsk | StringAsk {
  if (spec.type === 'string') return { type: 'string', text: String(raw), length: spec.length ?? 1 };
  const value = Number(raw) * 2 ** (spec.shift ?? 0);
  return { type: spec.type as EncodeAsk['type'], value, mode: 'exact', ...(spec.wordOrder ? { wordOrder: spec.wordOrder } : {}) };
}

function closeTo(t: T, got: number | undefined, want: number, msg: string): void {
  t.ok(got !== undefined && Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want)), `${msg}: got ${got}, want ${want}`);
}

/** The limits to write: the range ends, a whole and a fractional value, and 16 A for the facts. */
function limitsFor(profile: Profile): number[] {
  const { minA, maxA } = profile.setpoint;
  return [...new Set([minA, 10, 13.37, 16, maxA])].filter((a) => a >= minA && a <= maxA);
}

/** The smallest unsigned value that the status map does not name. */
function unmappedStatus(profile: Profile): string {
  if (profile.status.register.type === 'string') return 'X9';
  for (let n = 0; ; n++) if (!(String(n) in profile.status.map)) return String(n);
}

/** Every oracle question checkProfile will ask, so a suite can get all answers in one python run. */
export function plannedAsks(profile: Profile): Array<EncodeAsk | StringAsk> {
  const out: Array<EncodeAsk | StringAsk> = [];
  const sp = profile.setpoint.register;
  const fs = profile.failsafe;
  const m = profile.measurements;
  const timeoutS = timeoutWithin(profile, 30);
  (m?.currentsA ?? []).forEach((spec, i) => {
    out.push(ask(spec, MEASURED_CURRENTS_A[i]!, 'exact'));
    if (spec.missing !== undefined) out.push({ type: spec.type as EncodeAsk['type'], value: spec.missing, mode: 'exact' });
  });
  if (m?.powerW) out.push(ask(m.powerW, MEASURED_POWER_W, 'exact'));
  if (profile.appliedLimit)
    out.push(ask(profile.appliedLimit, APPLIED_A, 'exact'), ask(profile.appliedLimit, profile.setpoint.maxA, 'exact'), ask(profile.appliedLimit, 0, 'exact'));
  if (fs?.current?.read && fs.current.write) out.push(ask(fs.current.read, 6, 'exact'));
  if (fs?.current?.write) out.push(ask(fs.current.write, 6, 'limit'));
  const rawTimeout = fs?.timeout?.unit === 'ms' ? timeoutS * 1000 : timeoutS;
  if (fs?.timeout?.read) out.push(ask(fs.timeout.read, rawTimeout, 'exact'));
  if (fs?.timeout?.write) out.push(ask(fs.timeout.write, rawTimeout, 'limit'));
  for (const w of profile.init ?? []) out.push(ask(w.register, w.value, 'limit'));
  for (const a of limitsFor(profile)) out.push(ask(sp, a, 'limit'));
  if (profile.setpoint.pauseValueA !== null) out.push(ask(sp, profile.setpoint.pauseValueA, 'limit'));
  const st = profile.status;
  for (const k of [...Object.keys(st.map), unmappedStatus(profile)]) out.push(statusAsk(st.register, k));
  if (st.register.mask !== undefined && st.register.type !== 'string') out.push(statusAsk(st.register, noisyStatus(profile)));
  if (st.charging) out.push(statusAsk(st.charging.register, st.charging.values[0]!));
  const ka = profile.keepAlive;
  if (ka.register && ka.value !== undefined) out.push(ask(ka.register, ka.value, 'limit'));
  return out;
}

/** A mapped status value with a bit set just above the mask. */
function noisyStatus(profile: Profile): number {
  const st = profile.status;
  const keys = Object.keys(st.map);
  const key = keys.find((k) => st.map[k] !== 'unknown') ?? keys[0]!;
  return (Number(key) | (st.register.mask! + 1)) >>> 0;
}

/** The registers a charger of this profile holds before the agent talks to it. */
export function seedFor(profile: Profile): PeerUnitSpec {
  const m = profile.measurements;
  const fs = profile.failsafe;
  const seedAsks: Array<[RegisterSpec, EncodeAsk]> = [];
  (m?.currentsA ?? []).forEach((spec, i) => seedAsks.push([spec, ask(spec, MEASURED_CURRENTS_A[i]!, 'exact')]));
  if (m?.powerW) seedAsks.push([m.powerW, ask(m.powerW, MEASURED_POWER_W, 'exact')]);
  if (fs?.current?.read && fs.current.write) seedAsks.push([fs.current.read, ask(fs.current.read, 6, 'exact')]);
  const seed: PeerUnitSpec = {};
  words(seedAsks.map(([, a]) => a)).forEach((regs, i) => place(seed, seedAsks[i]![0], regs));
  return seed;
}

/**
 * Runs every check for one profile. With opts.peer the profile runs on that (shared) peer at
 * opts.unit, whose registers must hold seedFor(profile); else it gets a peer of its own.
 */
export async function checkProfile(t: T, profile: Profile, opts: { peer?: Peer; unit?: number } = {}): Promise<void> {
  const facts = FACTS[profile.id];
  const sp = profile.setpoint.register;
  const m = profile.measurements;
  const fs = profile.failsafe;
  const failsafeCurrentA = 6;

  const rig = opts.peer
    ? await rigFor(profile, {}, { peer: opts.peer, config: { unitId: opts.unit ?? profile.transport.defaultUnitId } })
    : await rigFor(profile, seedFor(profile));
  t.teardown(() => rig.close());
  const { peer, charger, unit, config } = rig;
  // A shared peer serves other profiles on other units: look only at this unit's traffic.
  const writes = (): PeerWrite[] => peer.writes().filter((w) => w.unit === unit);
  const requests = (): PeerRequest[] => peer.requests().filter((q) => q.unit === unit);
  const allWritesBefore = peer.writes().length;
  if (fs?.timeout?.read && fs.timeout.write && config.failsafeTimeoutS !== undefined) {
    const raw = fs.timeout.unit === 'ms' ? config.failsafeTimeoutS * 1000 : config.failsafeTimeoutS;
    const [regs] = words([ask(fs.timeout.read, raw, 'exact')]);
    await peer.setRegisters(unit, fs.timeout.read.table, fs.timeout.read.address, regs!);
  }

  await t.test('facts from chargers.md', async (t) => {
    if (!facts) {
      t.comment(`no entry in charger-facts.ts for ${profile.id}: only the profile's own declarations are checked`);
      t.ok(true, 'no facts entry (new profile)');
      return;
    }
    t.equal(transportOf(profile), facts.transport, 'transport');
    t.equal(profile.transport.defaultUnitId, facts.defaultUnitId, 'default unit id');
    if (facts.serial) t.same(profile.transport.rtu, facts.serial, 'serial settings');
    t.equal(sp.address, facts.setpointAddress, 'setpoint address');
    t.ok(facts.setpointFcs.includes(profile.setpoint.functionCode), `setpoint FC${profile.setpoint.functionCode} is one the charger takes`);
  });

  await t.test('connect writes init and failsafe registers', async (t) => {
    await charger.connect();
    await peer.sync();
    const expected: Array<{ fc: number; address: number; values: number[] }> = [];
    const asks: Array<[RegisterSpec, EncodeAsk]> = [];
    for (const w of profile.init ?? []) asks.push([w.register, ask(w.register, w.value, 'limit')]);
    for (const w of fs?.reenable ?? []) asks.push([w.register, ask(w.register, w.value, 'limit')]);
    if (fs?.current?.write) asks.push([fs.current.write, ask(fs.current.write, failsafeCurrentA, 'limit')]);
    if (fs?.timeout?.write && config.failsafeTimeoutS !== undefined) {
      const raw = fs.timeout.unit === 'ms' ? config.failsafeTimeoutS * 1000 : config.failsafeTimeoutS;
      asks.push([fs.timeout.write, ask(fs.timeout.write, raw, 'limit')]);
    }
    words(asks.map(([, a]) => a)).forEach((regs, i) => {
      const spec = asks[i]![0];
      expected.push({ fc: expectedWriteFc(profile, spanOf(spec)), address: spec.address, values: regs });
    });
    const got = writes().map((w) => ({ fc: w.fc, address: w.address, values: w.values }));
    const byAddress = (a: { address: number }, b: { address: number }): number => a.address - b.address;
    t.same(got.sort(byAddress), expected.sort(byAddress), `connect wrote ${expected.length} register(s) as struct.pack says`);
    t.equal(peer.writes().length - allWritesBefore, got.length, `all to unit ${unit}`);
    if (facts?.failsafeCurrentAt6A) {
      const f = facts.failsafeCurrentAt6A;
      t.ok(
        got.some((w) => w.address === f.address && JSON.stringify(w.values) === JSON.stringify(f.words)),
        `failsafe 6 A at ${f.address} = ${JSON.stringify(f.words)} (chargers.md)`,
      );
    }
    t.ok(charger.failsafe, 'failsafe report');
    t.equal(charger.failsafe?.ok, true, `failsafe report ok (${charger.failsafe?.notes.join('; ')})`);
  });

  await t.test('setpoint encoding', async (t) => {
    const limits = limitsFor(profile);
    const expectedRegs = words(limits.map((a) => ask(sp, a, 'limit')));
    for (const [i, limitA] of limits.entries()) {
      const from = writes().length;
      const out = await charger.setCurrentLimitA(limitA);
      await peer.sync();
      t.equal(out.ok, true, `${limitA} A acknowledged${out.error ? ` (${out.error})` : ''}`);
      const w = writes().slice(from);
      t.same(
        w.map((x) => [x.unit, x.fc, x.address, x.values]),
        [[unit, profile.setpoint.functionCode, sp.address, expectedRegs[i]]],
        `${limitA} A -> FC${profile.setpoint.functionCode} ${sp.address} ${JSON.stringify(expectedRegs[i])}`,
      );
      if (limitA === 16 && facts) t.same(w[0]?.values, facts.wordsAt16A, `16 A is ${JSON.stringify(facts.wordsAt16A)} as chargers.md says`);
      if (profile.setpoint.readable) {
        const step = sp.type === 'float32' ? 1e-5 : (sp.scale ?? 1);
        t.ok(
          out.readBackA !== undefined && out.readBackA <= limitA + 1e-9 && out.readBackA > limitA - step - 1e-9,
          `read back ${out.readBackA} A: at or just below ${limitA} A`,
        );
      }
    }
    const from = writes().length;
    const pause = await charger.setCurrentLimitA(0);
    await peer.sync();
    if (profile.setpoint.pauseValueA === null) {
      t.equal(pause.ok, false, 'no pause value: 0 A refused');
      t.equal(writes().length, from, 'and nothing written');
    } else {
      const [regs] = words([ask(sp, profile.setpoint.pauseValueA, 'limit')]);
      t.equal(pause.ok, true, 'pause acknowledged');
      t.same(
        writes()
          .slice(from)
          .map((x) => x.values),
        [regs],
        `pause writes ${JSON.stringify(regs)}`,
      );
    }
    const over = await charger.setCurrentLimitA(profile.setpoint.maxA + 1);
    const under = await charger.setCurrentLimitA(Math.max(0.5, profile.setpoint.minA - 1));
    await peer.sync();
    t.equal(over.ok || under.ok, false, 'out-of-range limits refused');
    t.equal(writes().length, from + (profile.setpoint.pauseValueA === null ? 0 : 1), 'out-of-range limits never reach the wire');
  });

  await t.test('status decoding', async (t) => {
    const st = profile.status;
    const keys = Object.keys(st.map);
    const extra = [unmappedStatus(profile)];
    const regs = words([...keys, ...extra].map((k) => statusAsk(st.register, k)));
    if (st.charging) await peer.setRegisters(unit, st.charging.register.table, st.charging.register.address, [0, 0].slice(0, spanOf(st.charging.register)));
    for (const [i, key] of [...keys, ...extra].entries()) {
      await peer.setRegisters(unit, st.register.table, st.register.address, regs[i]!);
      const r = await charger.read();
      const want = st.map[key] ?? 'unknown';
      t.equal(r.vehicleState, want, `raw ${JSON.stringify(key)} -> ${want}`);
      if (st.chargingValues) t.equal(r.charging, st.chargingValues.includes(key), `raw ${JSON.stringify(key)} charging = ${st.chargingValues.includes(key)}`);
    }
    if (st.register.mask !== undefined && st.register.type !== 'string') {
      const key = keys.find((k) => st.map[k] !== 'unknown') ?? keys[0]!;
      const [r] = words([statusAsk(st.register, noisyStatus(profile))]);
      await peer.setRegisters(unit, st.register.table, st.register.address, r!);
      t.equal((await charger.read()).vehicleState, st.map[key], `bits outside mask 0x${st.register.mask.toString(16)} ignored`);
    }
    if (st.charging) {
      const bKey = keys.find((k) => st.map[k] === 'B');
      if (bKey !== undefined) {
        const [sr, cr] = words([statusAsk(st.register, bKey), statusAsk(st.charging.register, st.charging.values[0]!)]);
        await peer.setRegisters(unit, st.register.table, st.register.address, sr!);
        await peer.setRegisters(unit, st.charging.register.table, st.charging.register.address, cr!);
        const r = await charger.read();
        t.same([r.vehicleState, r.charging], ['C', true], `charging register ${st.charging.register.address} = ${st.charging.values[0]} upgrades B to C`);
      }
    }
  });

  await t.test('measurement decoding', async (t) => {
    const r = await charger.read();
    if (m?.currentsA) {
      t.equal(r.currentsA?.length, m.currentsA.length, 'one current per register');
      (r.currentsA ?? []).forEach((c, i) => closeTo(t, c, MEASURED_CURRENTS_A[i]!, `current L${i + 1} at ${m.currentsA![i]!.address}`));
      const missing = m.currentsA.find((s) => s.missing !== undefined);
      if (missing) {
        for (const spec of m.currentsA) {
          const [regs] = words([{ type: spec.type as EncodeAsk['type'], value: spec.missing!, mode: 'exact' }]);
          await peer.setRegisters(unit, spec.table, spec.address, regs!);
        }
        t.equal((await charger.read()).currentsA, undefined, 'meter-less pattern: no currents reported');
      }
    } else {
      t.equal(r.currentsA, undefined, 'no current registers, no currents');
    }
    if (m?.powerW) closeTo(t, r.powerW, MEASURED_POWER_W, `power at ${m.powerW.address}`);
    const al = profile.appliedLimit;
    if (al) {
      const [applied, maxed] = words([ask(al, APPLIED_A, 'exact'), ask(al, profile.setpoint.maxA, 'exact')]);
      await peer.setRegisters(unit, al.table, al.address, applied!);
      closeTo(t, (await charger.read()).appliedLimitA, APPLIED_A, `applied limit at ${al.address}`);
      if (!profile.setpoint.readable) {
        // A charger that reports applying more than it was told has not taken the limit.
        await peer.setRegisters(unit, al.table, al.address, maxed!);
        const out = await charger.setCurrentLimitA(profile.setpoint.minA);
        t.equal(out.ok, false, `applied ${profile.setpoint.maxA} A after writing ${profile.setpoint.minA} A is not ok`);
        t.match(out.error, /applies/, 'and says why');
      }
      await peer.setRegisters(unit, al.table, al.address, words([ask(al, 0, 'exact')])[0]!);
    } else if (profile.setpoint.readable) {
      t.ok(r.appliedLimitA !== undefined, 'readable setpoint reported as the applied limit');
    }
  });

  await t.test('keep-alive', async (t) => {
    const ka = profile.keepAlive;
    const wFrom = writes().length;
    const rFrom = requests().length;
    const last = await charger.setCurrentLimitA(10);
    t.equal(last.ok, true, 'setpoint 10 A before keep-alive');
    await peer.sync();
    const setpointWrite: PeerWrite | undefined = writes()[wFrom];
    const wMark = writes().length;
    const rMark = requests().length;
    t.ok(rMark > rFrom, 'requests logged');
    await charger.keepAlive();
    await peer.sync();
    const kaWrites = writes()
      .slice(wMark)
      .map((w) => [w.unit, w.fc, w.address, w.values]);
    const reqs = requests().slice(rMark);
    switch (ka.kind) {
      case 'life-bit':
      case 'heartbeat-value': {
        const [regs] = words([ask(ka.register!, ka.value!, 'limit')]);
        t.same(kaWrites, [[unit, expectedWriteFc(profile, 1), ka.register!.address, regs]], `${ka.kind}: ${ka.register!.address} = ${ka.value}`);
        if (facts?.keepAliveWrite) t.same([ka.register!.address, ka.value], [facts.keepAliveWrite.address, facts.keepAliveWrite.value], 'as chargers.md says');
        break;
      }
      case 'rewrite-setpoint':
        t.same(kaWrites, [[unit, setpointWrite?.fc, setpointWrite?.address, setpointWrite?.values]], 'rewrites the last setpoint as written');
        break;
      case 'poll': {
        const reg = ka.register ?? profile.status.register;
        t.same(kaWrites, [], 'a poll writes nothing');
        t.ok(
          reqs.some((q) => q.fc === readFc(reg) && q.address === reg.address),
          `polls FC0${readFc(reg)} ${reg.address}`,
        );
        break;
      }
      case 'toggle':
      case 'counter':
        // The value moves with every beat (which beat this is depends on the connect): what is
        // checked is that a beat is one write to its register.
        t.same(
          kaWrites.map(([u, fc, address]) => [u, fc, address]),
          [[unit, expectedWriteFc(profile, 1), ka.register!.address]],
          `${ka.kind}: one write to ${ka.register!.address}`,
        );
        break;
      case 'none':
        t.same(reqs, [], 'no keep-alive: nothing on the wire');
        break;
    }
    const period = charger.keepAlivePeriodMs;
    if (ka.kind === 'none') {
      t.equal(period, null, 'no period');
    } else {
      const timeoutS = charger.failsafe?.timeoutS ?? null;
      t.ok(period !== null && period > 0, `period ${period} ms`);
      if (timeoutS !== null && period !== null) t.ok(period <= (timeoutS * 1000) / 3 + 1, `period ${period} ms <= a third of the ${timeoutS} s timeout`);
      if (ka.maxPeriodMs !== undefined && period !== null) t.ok(period <= ka.maxPeriodMs, `period within the ${ka.maxPeriodMs} ms cap`);
    }
  });

  await t.test('function-code and read-size quirks held on the wire', async (t) => {
    await peer.sync();
    const reqs = requests();
    const q = profile.quirks;
    const writeFcs = [...new Set(reqs.filter((r) => r.fc === 6 || r.fc === 16).map((r) => r.fc))];
    t.ok(writeFcs.length > 0 || profile.setpoint.pauseValueA === null, `writes seen: FC${writeFcs.join('/FC')}`);
    if (q?.writeFunctionCodes)
      t.ok(
        writeFcs.every((fc) => q.writeFunctionCodes!.includes(fc as 6 | 16)),
        `only FC${q.writeFunctionCodes.join('/FC')} writes`,
      );
    const reads = reqs.filter((r) => r.fc === 3 || r.fc === 4);
    t.ok(reads.length > 0, `${reads.length} reads`);
    const maxRead = Math.max(...reads.map((r) => r.count ?? 0));
    if (q?.maxRegistersPerRead) t.ok(maxRead <= q.maxRegistersPerRead, `longest read ${maxRead} <= ${q.maxRegistersPerRead} registers`);
    for (const bad of q?.forbiddenReads ?? []) {
      t.notOk(
        reads.some((r) => r.address !== null && r.address <= bad && bad < r.address + (r.count ?? 1)),
        `register ${bad} never read (it drops the connection)`,
      );
    }
    t.ok(
      reqs.every((r) => r.fault === undefined),
      'every request served (no unknown unit, nothing dropped)',
    );
  });
}

export type { Rig };
