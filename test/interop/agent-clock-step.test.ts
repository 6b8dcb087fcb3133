// A wall-clock step during a pending restore, on the real agent process under libfaketime
// (Debian's faketime; FAKETIME_DONT_FAKE_MONOTONIC keeps the monotonic clock true, as an NTP
// step or a Pi setting its clock after boot would). Asserted from the charger's side: the
// rise after the meter closes the switch lands at the random delay drawn, neither a year
// late (a step back) nor early (a step forward), and the step is recorded.
import t from 'tap';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeterEmulator } from '../../drivers/han/emulator.js';
import { ChargerSimulator } from '../../drivers/charger/simulator.js';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { openEventLog } from '../../agent/event-log/store.js';
import { recordSetpoints, startAgentProcess, writeAgentConfig } from '../helpers/fault-agent.js';

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const missing = existsSync(LIBFAKETIME) ? false : `libfaketime not installed (${LIBFAKETIME}; apt-get install faketime)`;
const skip = missing && process.env['CI'] !== 'true' ? missing : false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await sleep(10);
  return pred();
}
/** Early by more than this would be a skipped wait (the agent's own steps take a few ms). */
const EARLY_SLACK_MS = 250;
/** Late by more than this would be a blocked one (polls, a loaded machine). */
const LATE_SLACK_MS = 5_000;

// Two real-time restores of up to 12 s each, on a possibly loaded machine.
t.setTimeout(360_000);

for (const [name, offset] of [
  ['back a year', '-365d'],
  ['forward a year', '+365d'],
] as const) {
  t.test(`a wall clock stepped ${name} during a pending restore neither blocks nor skips it`, { skip, timeout: 180_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hcalcs-clock-'));
    const ftFile = join(dir, 'faketime');
    writeFileSync(ftFile, '+0\n');
    const meter = new MeterEmulator({ heartbeatMs: 1000 });
    meter.setSwitch(2, 'open', { cause: 'dno' });
    meter.setLabel(2, 'EV Charger');
    const hanPort = await meter.listenTcp('127.0.0.1', 0);
    const sim = await ChargerSimulator.start({ units: [{ unitId: 1, profile: loadProfiles().get('alfen-eve')!, timeoutS: 60, safeCurrentA: 6 }] });
    const writes = recordSetpoints(sim);
    const config = writeAgentConfig(dir, { hanPort: `tcp://127.0.0.1:${hanPort}`, chargerPort: sim.port, maxDelayS: 12 });
    const agent = startAgentProcess(config, {
      env: { LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: ftFile, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' },
    });
    t.teardown(async () => {
      await agent.stop();
      await meter.close();
      await sim.close();
    });
    await agent.running;
    t.ok(await waitFor(() => writes.at(-1)?.limitA === 6, 20_000), 'the open is applied: 6 A');

    const log = openEventLog(join(dir, 'events.db'), { readonly: true });
    t.teardown(() => log.close());
    const scheduled = () => log.query({ kind: 'restore.scheduled' });
    // The delay is random: close until one long enough to step the clock inside it is drawn.
    let closedAt = 0;
    let delayMs = 0;
    for (let attempt = 0; attempt < 8; attempt++) {
      const seen = scheduled().length;
      closedAt = Date.now();
      meter.setSwitch(2, 'closed', { cause: 'reset' });
      t.ok(await waitFor(() => scheduled().length > seen, 10_000), 'a restore is scheduled');
      delayMs = scheduled().at(-1)!.data.delayMs as number;
      if (delayMs >= 4_000) break;
      await waitFor(() => writes.at(-1)?.limitA === 32, 20_000);
      meter.setSwitch(2, 'open', { cause: 'dno' });
      await waitFor(() => writes.at(-1)?.limitA === 6, 10_000);
    }
    t.ok(delayMs >= 4_000, `a delay of ${delayMs} ms to step the clock in`);
    const before = writes.length;
    await sleep(500);
    writeFileSync(ftFile, `${offset}\n`);

    const rose = await waitFor(() => writes.slice(before).some((w) => w.limitA === 32), delayMs + LATE_SLACK_MS + 5_000);
    const at = writes.slice(before).find((w) => w.limitA === 32)?.atMs ?? NaN;
    t.ok(rose, 'the charger was raised to 32 A');
    t.ok(at >= closedAt + delayMs - EARLY_SLACK_MS, `not skipped: raised ${at - closedAt} ms after the close, delay ${delayMs} ms`);
    t.ok(at <= closedAt + delayMs + LATE_SLACK_MS, `not blocked: raised ${at - closedAt} ms after the close, delay ${delayMs} ms`);
    t.ok(await waitFor(() => log.query({ kind: 'clock.step' }).length > 0, 5_000), 'the step is recorded');
    const step = log.query({ kind: 'clock.step' })[0]?.data as { byMs: number } | undefined;
    const year = 365 * 86_400_000;
    t.ok(step && Math.abs(Math.abs(step.byMs) - year) < 10_000 && Math.sign(step.byMs) === (offset.startsWith('-') ? -1 : 1), `by ${String(step?.byMs)} ms`);
  });
}
