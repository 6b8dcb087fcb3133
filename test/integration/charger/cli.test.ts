// `charger probe|read|set|failsafe-test` against the simulator over loopback TCP, with a real
// event log in a temp dir. failsafe-test must see the fallback when the keep-alive stops,
// and must fail when the charger does not fall back.
import t from 'tap';
import pino from 'pino';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { chargerCommand } from '../../../agent/cli/charger.js';
import { openEventLog } from '../../../agent/event-log/store.js';
import { loadProfiles } from '../../../drivers/charger/profile.js';
import { ChargerSimulator } from '../../../drivers/charger/simulator.js';
import type { ChargerConfig, Config } from '../../../config/types.js';

const logger = pino({ level: 'silent' });
const profiles = loadProfiles();

async function setup(
  t: { teardown(fn: () => unknown): void },
  units: Parameters<typeof ChargerSimulator.start>[0]['units'],
  chargers: (sim: ChargerSimulator) => ChargerConfig[],
) {
  const sim = await ChargerSimulator.start({ units });
  const dir = mkdtempSync(join(tmpdir(), 'charger-cli-'));
  const eventLog = openEventLog(join(dir, 'events.db'));
  t.teardown(async () => {
    eventLog.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const config = { chargers: chargers(sim), eventLog: { path: join(dir, 'events.db') } } as unknown as Config;
  let agent = { held: false, pid: null as number | null, path: join(dir, 'agent.lock') };
  const setAgent = (pid: number | null): void => {
    agent = { ...agent, held: pid !== null, pid };
  };
  const run = async (argv: string[]) => {
    const out = new PassThrough();
    const err = new PassThrough();
    let text = '';
    let errText = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    err.on('data', (d: Buffer) => (errText += d.toString()));
    const code = await chargerCommand(argv, { config, logger, eventLog, out, err, agentRunning: () => agent });
    return { code, text, errText };
  };
  return { sim, eventLog, run, setAgent };
}

const base = (sim: ChargerSimulator, over: Partial<ChargerConfig>): ChargerConfig => ({
  id: 'c',
  profile: 'x',
  transport: { type: 'tcp', host: sim.host, port: sim.port },
  unitId: 1,
  minCurrentA: 6,
  maxCurrentA: 16,
  allowPause: false,
  timeoutMs: 500,
  ...over,
});

t.test('failsafe-test, Heidelberg (poll keep-alive, seen by measured current): PASS over two silent periods', async (t) => {
  const { sim, eventLog, run } = await setup(t, [{ unitId: 1, profile: profiles.get('heidelberg-energy-control')!, carDelayMs: 100 }], (sim) => [
    base(sim, { id: 'heid', profile: 'heidelberg-energy-control', failsafeCurrentA: 6, failsafeTimeoutS: 2 }),
  ]);
  const r = await run(['failsafe-test', '--charger', 'heid', '--json', '--poll-ms', '100', '--window-s', '2']);
  const res = JSON.parse(r.text) as Record<string, unknown>;
  t.equal(r.code, 0, r.text + r.errText);
  t.equal(res.outcome, 'PASS', String(res.reason));
  t.equal(res.failsafeA, 6);
  t.equal(res.view, 'measured-current');
  t.equal(res.twoPeriods, true, 'any request feeds this watchdog: one read per silent period');
  t.equal(res.samples, 2);
  t.ok((res.observedA as number) <= 7, `fell to ${res.observedA} A`);
  t.match(r.errText, /keep-alive stopped; expecting the fallback between 1\.0 s and 7\.0 s/, 'progress on stderr in --json mode');
  t.not(sim.unit(1).fallbackSinceMs, null, 'the simulator really fell back');
  const rows = eventLog.query({ kind: 'charger.failsafe-test' });
  t.equal(rows.length, 1);
  t.equal(rows[0]!.chargerId, 'heid');
  t.equal(rows[0]!.data.pass, true);
});

t.test('failsafe-test, Alfen (setpoint rewrite keep-alive, seen by applied limit 1206): PASS', async (t) => {
  const { run } = await setup(t, [{ unitId: 1, profile: profiles.get('alfen-eve')!, carDelayMs: 100, safeCurrentA: 6, timeoutS: 2 }], (sim) => [
    base(sim, { id: 'alfen', profile: 'alfen-eve', failsafeTimeoutS: 2 }),
  ]);
  const r = await run(['failsafe-test', '--charger', 'alfen', '--poll-ms', '100', '--window-s', '2']);
  t.equal(r.code, 0, r.text + r.errText);
  t.match(r.text, /alfen: failsafe-test, fallback seen by applied-limit/);
  t.match(r.text, /alfen: PASS: held 16\.00 A at \+\d\.\d s and fell back to 6\.00 A by \+\d\.\d s: within \+1\.0 s\.\.\+7\.\d s/);
});

t.test('failsafe-test FAILS when the charger does not fall back', async (t) => {
  const { sim, run, eventLog } = await setup(t, [{ unitId: 1, profile: profiles.get('alfen-eve')!, carDelayMs: 0, safeCurrentA: 6, timeoutS: 1 }], (sim) => [
    base(sim, { id: 'alfen', profile: 'alfen-eve', failsafeTimeoutS: 1, registers: { setpoint: { stepS: 1 } } }),
  ]);
  // A charger whose watchdog is off: the simulator never times out.
  sim.unit(1).timeoutMs = null;
  const r = await run(['failsafe-test', '--charger', 'alfen', '--json', '--poll-ms', '200']);
  t.equal(r.code, 1);
  const res = JSON.parse(r.text) as Record<string, unknown>;
  t.equal(res.outcome, 'FAIL');
  t.match(res.reason, /NO FALLBACK: still 16\.00 A at \+2\.\d s, after \+2\.\d s/);
  t.equal(res.fallbackSeenMs, null);
  t.equal(eventLog.query({ kind: 'charger.failsafe-test' })[0]!.data.pass, false);
});

t.test('failsafe-test on a charger without failsafe is not applicable, said before connecting', async (t) => {
  const { sim, run } = await setup(t, [{ unitId: 1, profile: profiles.get('go-e')! }], (sim) => [base(sim, { id: 'goe', profile: 'go-e' })]);
  const r = await run(['failsafe-test', '--charger', 'goe']);
  t.equal(r.code, 2);
  t.match(r.text, /NOT APPLICABLE: .* has no failsafe to test/);
  t.equal(sim.requests.length, 0, 'nothing was sent');
});

t.test('set and failsafe-test refuse while an agent runs on the config, unless --force', async (t) => {
  const { sim, run, setAgent } = await setup(t, [{ unitId: 7, profile: profiles.get('heidelberg-energy-control')!, carDelayMs: 0 }], (sim) => [
    base(sim, { id: 'heid', profile: 'heidelberg-energy-control', unitId: 7, failsafeCurrentA: 6, failsafeTimeoutS: 30 }),
  ]);
  setAgent(4242);
  for (const argv of [
    ['set', '--charger', 'heid', '--limit', '10'],
    ['failsafe-test', '--charger', 'heid'],
  ]) {
    const r = await run(argv);
    t.equal(r.code, 75, `${argv[0]} refused`);
    t.match(r.errText, /an agent runs on this config \(pid 4242, lock .*agent\.lock\).*--force/);
  }
  t.equal(sim.requests.length, 0, 'nothing was sent');
  t.equal((await run(['probe', '--charger', 'heid'])).code, 0, 'probe only reads: allowed');
  const forced = await run(['set', '--charger', 'heid', '--limit', '10', '--force']);
  t.equal(forced.code, 0, forced.errText);
  t.equal(sim.unit(7).setpointA, 10);
});

t.test('probe, read, set (owner.manual-set in the event log)', async (t) => {
  const { sim, eventLog, run } = await setup(t, [{ unitId: 7, profile: profiles.get('heidelberg-energy-control')!, carDelayMs: 0 }], (sim) => [
    base(sim, { id: 'heid', profile: 'heidelberg-energy-control', unitId: 7, failsafeCurrentA: 6, failsafeTimeoutS: 30 }),
  ]);
  const p = await run(['probe', '--charger', 'heid']);
  t.equal(p.code, 0, p.errText);
  t.match(p.text, /Heidelberg Energy Control.*confidence high/);
  t.match(p.text, /answered/);
  t.equal(sim.requests.filter((x) => x.fc === 6 || x.fc === 16).length, 0, 'probe writes nothing');
  const s = await run(['set', '--charger', 'heid', '--limit', '10']);
  t.equal(s.code, 0, s.errText);
  t.match(s.text, /wrote 10 A, reads back 10 A/);
  t.equal(sim.unit(7).setpointA, 10);
  const rows = eventLog.query({ kind: 'owner.manual-set' });
  t.equal(rows.length, 1);
  t.same([rows[0]!.chargerId, rows[0]!.data.limitA, rows[0]!.data.ok], ['heid', 10, true]);
  const rd = await run(['read', '--charger', 'heid', '--json']);
  const reading = (JSON.parse(rd.text) as { reading: { vehicleState: string; currentsA: number[] } }).reading;
  t.equal(reading.vehicleState, 'C');
  t.same(reading.currentsA, [9.5, 9.5, 9.5]);
  const bad = await run(['set', '--charger', 'heid', '--limit', '40']);
  t.equal(bad.code, 1);
  t.match(bad.text, /not written: limit 40 A above the maximum 16 A/);
  t.equal(eventLog.query({ kind: 'owner.manual-set' }).length, 2, 'a refused set is recorded too');
});

t.test('usage and lookup errors', async (t) => {
  const { run } = await setup(t, [], (sim) => [base(sim, { id: 'a', profile: 'nope' })]);
  t.equal((await run(['probe'])).code, 64);
  t.equal((await run(['frob', '--charger', 'a'])).code, 64);
  t.match((await run(['read', '--charger', 'zz'])).errText, /no charger "zz" in the config \(known: a\)/);
  t.match((await run(['read', '--charger', 'a'])).errText, /chargers\[0\]\.profile: unknown profile "nope"/);
  t.match((await run(['set', '--charger', 'a'])).errText, /set needs --limit/);
  t.match((await run(['set', '--charger', 'a', '--limit', 'x'])).errText, /--limit needs a non-negative number/);
  t.match((await run(['read', '--charger', 'a', '--poll-ms=-5'])).errText, /--poll-ms needs a non-negative number/);
  const unknown = await run(['read', '--charger', 'a', '--bogus']);
  t.equal(unknown.code, 64, 'an unknown option is bad usage');
  t.match(unknown.errText, /--bogus/);
  t.equal((await run(['read', 'extra', '--charger', 'a'])).code, 64, 'a stray argument is bad usage');
});

t.test('an unreachable charger is a clear error, not a crash', async (t) => {
  const { sim, run } = await setup(t, [], (sim) => [base(sim, { id: 'a', profile: 'go-e' })]);
  await sim.close();
  const r = await run(['probe', '--charger', 'a']);
  t.equal(r.code, 1);
  t.match(r.errText, /a: cannot connect to 127\.0\.0\.1:\d+/);
});
