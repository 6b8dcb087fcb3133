// End to end: the agent (a child process running the charger layer) configures a Vestel's
// failsafe (6 A after 1 s without the life bit), sets 16 A and keeps it alive; the pymodbus
// peer emulates the charger's watchdog. While the agent runs the charger stays at 16 A; when
// the agent is killed (SIGKILL: no goodbye), the charger falls back to the 6 A the agent
// configured, about one timeout after the last life bit.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { needs } from '../helpers/peers.js';
import { startPymodbusPeer } from '../helpers/pymodbus-peer.js';
import { seedFor } from './profile-checks.js';
import { ask, configFor, sleepMs, words } from './profile-rig.js';

const vestel = loadProfiles().get('vestel-evc04')!;
const CHILD = fileURLToPath(new URL('./agent-child.js', import.meta.url));

t.test('killing the agent leaves the charger on its failsafe current', needs('pymodbus'), async (t) => {
  const unit = vestel.transport.defaultUnitId;
  const peer = await startPymodbusPeer({ units: { [unit]: seedFor(vestel) } });
  t.teardown(() => peer.stop());
  const config = configFor(vestel, peer, { failsafeCurrentA: 6, failsafeTimeoutS: 1, timeoutMs: 300 });
  const child = spawn(process.execPath, [CHILD, JSON.stringify({ profileId: vestel.id, config, limitA: 16 })], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((r) => child.once('exit', (code, signal) => r(signal ?? code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const childEvents: Array<{ kind: string; data: Record<string, unknown> }> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => childEvents.push(JSON.parse(l) as { kind: string; data: Record<string, unknown> }));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));

  const sp = vestel.setpoint.register;
  const [sixteen, six, oneSecond] = words([
    ask(sp, 16, 'limit'),
    ask(vestel.failsafe!.current!.write!, 6, 'limit'),
    ask(vestel.failsafe!.timeout!.write!, 1, 'limit'),
  ]);
  await peer
    .waitForWrite((w) => w.address === sp.address && JSON.stringify(w.values) === JSON.stringify(sixteen), 20_000)
    .catch((err: unknown) => {
      throw new Error(`the agent did not write 16 A: ${(err as Error).message}; stderr: ${stderr.slice(-500)}`);
    });
  t.same(await peer.readRegisters(unit, 'holding', 2000, 1), six, 'the agent configured a failsafe current of 6 A (2000)');
  t.same(await peer.readRegisters(unit, 'holding', 2002, 1), oneSecond, 'and a failsafe timeout of 1 s (2002)');
  t.ok(
    childEvents.some((e) => e.kind === 'charger.connected'),
    'the agent reports the charger connected',
  );

  // The charger's watchdog, as the agent configured it: 1 s without the life bit -> the current at 2000.
  const timeoutS = (await peer.readRegisters(unit, 'holding', 2002, 1))[0]!;
  const fallback = await peer.readRegisters(unit, 'holding', 2000, 1);
  await peer.watchdog({ unit, watch: [6000], timeoutS, setpoint: { address: sp.address, count: 1 }, fallback });
  const from = peer.writes().length;
  await sleepMs(2500);
  await peer.sync();
  t.notOk(
    peer.events().some((e) => e.event === 'failsafe'),
    'no fallback during 2.5 timeouts while the agent runs',
  );
  t.same(await peer.readRegisters(unit, 'holding', sp.address, 1), sixteen, 'the charger still applies 16 A');
  const lifeBits = peer
    .writes()
    .slice(from)
    .filter((w) => w.address === 6000 && w.values[0] === 1);
  t.ok(lifeBits.length >= 5, `${lifeBits.length} life bits in 2.5 s (every ${config.failsafeTimeoutS! * 250} ms)`);

  child.kill('SIGKILL');
  t.equal(await exited, 'SIGKILL', 'the agent is gone');
  const fs = await peer.waitForEvent((e) => e.event === 'failsafe', 3000);
  await peer.sync();
  const lastLifeBit = peer
    .writes()
    .filter((w) => w.address === 6000)
    .at(-1)!;
  const silenceMs = (fs.t as number) - lastLifeBit.t;
  t.ok(silenceMs >= timeoutS * 1000 - 5, `fallback ${silenceMs.toFixed(0)} ms after the last life bit, not before the ${timeoutS} s timeout`);
  t.same(await peer.readRegisters(unit, 'holding', sp.address, 1), six, 'the charger now applies the 6 A failsafe current');
});
