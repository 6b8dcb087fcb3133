// kill -9 at random moments, many rounds, asserted from the charger's side: the real agent
// process between a HAN emulator (tcp://, as a ser2net bridge) and a simulated Alfen Eve.
// The meter opens and closes switch 2, while the agent runs and while it is down; the agent
// is killed around its writes and restarted on the same state directory. Never may the charger be written above the reduced current
// while the last thing the meter said was open; once the meter says closed, the charger must
// come back up after the restore delay. The rounds run as two independent chains side by
// side (each its own meter, charger and state directory), which halves the file's time.
// Replay a run with HCALCS_KILL_SEED=...
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeterEmulator } from '../../drivers/han/emulator.js';
import { ChargerSimulator } from '../../drivers/charger/simulator.js';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { recordSetpoints, startAgentProcess, writeAgentConfig, type SetpointWrite } from '../helpers/fault-agent.js';

const ROUNDS = Number(process.env['HCALCS_KILL_ROUNDS'] ?? 30);
const CHAINS = 2;
const SEED = Number(process.env['HCALCS_KILL_SEED'] ?? Date.now() & 0x7fffffff);
const REDUCED_A = 6;
const MAX_A = 32;

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await sleep(5);
  return pred();
}

// An agent start costs ~1 s on a quiet machine and several on a loaded one: the file's own
// time limit (120 s by default) is raised to fit the rounds.
t.setTimeout((ROUNDS / CHAINS) * 20_000 + 60_000);

// Buffered subtests run side by side up to t.jobs.
t.jobs = CHAINS;
for (let chain = 0; chain < CHAINS; chain++) {
  const rounds = Math.ceil(ROUNDS / CHAINS);
  const seed = SEED + chain;
  t.test(`chain ${chain + 1}: kill -9 at random moments over ${rounds} rounds never lifts a standing reduction (seed ${seed})`, { buffered: true }, (t) =>
    killRounds(t, rounds, seed),
  );
}

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

async function killRounds(t: Tap, ROUNDS: number, SEED: number): Promise<void> {
  const random = rng(SEED);
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-kill-'));
  const meter = new MeterEmulator({ heartbeatMs: 1000 });
  meter.setSwitch(2, 'closed', { cause: 'calendar' });
  meter.setLabel(2, 'EV Charger');
  const hanPort = await meter.listenTcp('127.0.0.1', 0);
  const sim = await ChargerSimulator.start({ units: [{ unitId: 1, profile: loadProfiles().get('alfen-eve')!, timeoutS: 60, safeCurrentA: REDUCED_A }] });
  t.teardown(async () => {
    await meter.close();
    await sim.close();
  });
  const writes: SetpointWrite[] = recordSetpoints(sim);
  const said: Array<{ atMs: number; state: 'open' | 'closed' }> = [{ atMs: 0, state: 'closed' }];
  const say = (state: 'open' | 'closed') => {
    said.push({ atMs: Date.now(), state });
    meter.setSwitch(2, state, { cause: state === 'open' ? 'dno' : 'reset' });
  };
  const saidAt = (ms: number) => [...said].reverse().find((s) => s.atMs <= ms)?.state ?? 'closed';
  const config = writeAgentConfig(dir, { hanPort: `tcp://127.0.0.1:${hanPort}`, chargerPort: sim.port, maxDelayS: 2 });

  let killsNearAWrite = 0;
  const lifecycle: Array<{ atMs: number; what: string }> = [];
  const started = Date.now();
  for (let round = 0; round < ROUNDS; round++) {
    lifecycle.push({ atMs: Date.now(), what: 'spawn' });
    // Killed with SIGKILL, so it never writes V8 coverage: collecting it would only cost CPU
    // (9 s of the suite's). The last agent, stopped cleanly, keeps it.
    const agent = startAgentProcess(config, { env: { NODE_V8_COVERAGE: '' } });
    await agent.running;
    lifecycle.push({ atMs: Date.now(), what: 'running' });
    if (random() < 0.7) {
      await sleep(Math.floor(random() * 800));
      say(saidAt(Date.now()) === 'open' ? 'closed' : 'open');
    }
    const before = writes.length;
    if (random() < 0.5) {
      // Right around a write: as soon as the simulator has it, with a few ms of jitter.
      if (await waitFor(() => writes.length > before, 2500)) {
        await sleep(Math.floor(random() * 4));
        killsNearAWrite++;
      }
    } else {
      await sleep(Math.floor(random() * 1200));
    }
    lifecycle.push({ atMs: Date.now(), what: 'kill' });
    await agent.kill9();
    // The meter does not wait for the agent: sometimes it changes while the agent is down,
    // and the next agent must not trust what it saved.
    if (random() < 0.3) say(saidAt(Date.now()) === 'open' ? 'closed' : 'open');
  }
  const roundsMs = Date.now() - started;

  // The meter settles on closed; the last agent must bring the charger back up.
  if (saidAt(Date.now()) === 'open') say('closed');
  const closedAt = Date.now();
  const last = startAgentProcess(config);
  await last.running;
  const up = await waitFor(() => writes.at(-1)?.limitA === MAX_A && writes.at(-1)!.atMs >= closedAt, 30_000);
  await last.stop();

  // A write above the reduced current after the meter said open is a violation unless it was
  // already on its way: made by the process that was running when the meter spoke, before
  // that process wrote the reduction (on a loaded machine the line and the write cross
  // each other by more than a few ms). A write from a process started after the open, or
  // after the reduction, is never excused.
  const spawns = lifecycle.filter((x) => x.what === 'spawn').map((x) => x.atMs);
  const lifted = writes.filter((w) => {
    if (w.limitA <= REDUCED_A || saidAt(w.atMs) !== 'open') return false;
    const openedAt = [...said].reverse().find((x) => x.atMs <= w.atMs)!.atMs;
    const respawned = spawns.some((sp) => sp > openedAt && sp < w.atMs);
    const reducedBefore = writes.some((x) => x.atMs > openedAt && x.atMs < w.atMs && x.limitA <= REDUCED_A);
    return respawned || reducedBefore;
  });
  t.same(lifted, [], 'no write above the reduced current while the meter said open');
  for (const w of lifted) {
    const near = (ms: number) => Math.abs(ms - w.atMs) < 5_000;
    t.comment(
      `around ${w.atMs}: meter ${JSON.stringify(said.filter((x) => near(x.atMs)))} writes ${JSON.stringify(writes.filter((x) => near(x.atMs)))} agents ${JSON.stringify(lifecycle.filter((x) => near(x.atMs)))}`,
    );
  }
  t.ok(up, `after the meter said closed the charger came back to ${MAX_A} A (last write ${JSON.stringify(writes.at(-1))})`);
  const opens = said.filter((s) => s.state === 'open').length;
  t.ok(opens >= Math.max(2, Math.floor(ROUNDS / 6)), `the meter opened ${opens} times`);
  t.ok(writes.some((w) => w.limitA === REDUCED_A) && writes.some((w) => w.limitA === MAX_A), 'both limits were written');
  t.ok(killsNearAWrite >= Math.max(1, Math.floor(ROUNDS / 10)), `${killsNearAWrite} kills within a few ms of a write`);
  t.comment(`${ROUNDS} rounds in ${(roundsMs / 1000).toFixed(1)} s, ${writes.length} setpoint writes, ${said.length - 1} meter changes, seed ${SEED}`);
}
