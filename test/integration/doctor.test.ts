// doctor against a healthy installation (the demo's parts: HAN emulator and an Alfen Eve
// simulator on loopback, the real agent between them), then with the charger stopped and
// with the HAN port missing: each failure names its fix.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildAgent, loadAgentConfig, type Agent } from '../../agent/compose.js';
import { MeterEmulator } from '../../drivers/han/emulator.js';
import { ChargerSimulator } from '../../drivers/charger/simulator.js';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { doctorCommand, runChecks, type Check } from '../../agent/cli/doctor.js';
import { openEventLogStore } from '../../agent/event-log/store.js';
import { STATE_KEY_RUNTIME } from '../../agent/runtime.js';
import { Sink } from '../unit/event-log/fixtures/helpers.js';
import { ManualClock } from '../helpers/fakes.js';

function writeConfig(dir: string, han: string, chargerPort: number): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(
    path,
    `version: 1
han:
  port: ${han}
  reconnect: { initialMs: 100, maxMs: 1000 }
chargers:
  - id: garage
    profile: alfen-eve
    transport: { type: tcp, host: 127.0.0.1, port: ${chargerPort} }
    unitId: 1
    maxCurrentA: 32
bindings:
  - switch: 2
    chargers: [garage]
    reducedCurrentA: 6
eventLog:
  path: ${join(dir, 'events.db')}
`,
  );
  return path;
}

const waitFor = async (pred: () => boolean) => {
  while (!pred()) await new Promise((r) => setTimeout(r, 20));
};

async function doctor(configPath: string) {
  const out = new Sink();
  const code = await doctorCommand(['--config', configPath, '--json'], { out, err: new Sink(), env: {}, clockSynced: () => true });
  const report = JSON.parse(out.text) as { ok: boolean; checks: Check[] };
  return { code, report, by: (name: string) => report.checks.find((c) => c.name === name) };
}

t.test('doctor: a healthy demo passes; the charger stopped or the HAN port missing fail with a fix', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-doctor-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const logger = pino({ level: 'silent' });
  const meter = new MeterEmulator({ heartbeatMs: 1000, logger });
  meter.setSwitch(2, 'closed', { cause: 'calendar' });
  meter.setLabel(2, 'EV Charger');
  const hanPort = await meter.listenTcp('127.0.0.1', 0);
  const sim = await ChargerSimulator.start({
    units: [{ unitId: 1, profile: loadProfiles().get('alfen-eve')!, carDelayMs: 100, timeoutS: 60, safeCurrentA: 6 }],
  });
  const configPath = writeConfig(dir, `tcp://127.0.0.1:${hanPort}`, sim.port);
  const loaded = loadAgentConfig(configPath);
  if (!loaded.ok) return t.fail(loaded.problems.join('\n'));
  let agent: Agent | undefined = buildAgent(loaded.config, { logger, dryRun: false, seed: 1 });
  t.teardown(async () => {
    await agent?.stop('test');
    await meter.close();
    await sim.close();
  });
  agent.runtime.start();
  const snapshot = () => {
    const log = openEventLogStore(loaded.config.eventLog.path, { readonly: true });
    try {
      return log.loadState<{ linkUp: boolean; lastLineAtMs: number | null; chargers: Record<string, { connected: boolean }> }>(STATE_KEY_RUNTIME);
    } finally {
      log.close();
    }
  };
  // Healthy once the agent has the link, a line, and the charger connected with its failsafe.
  await waitFor(() => {
    const s = snapshot();
    return s !== undefined && s.linkUp && s.lastLineAtMs !== null && s.chargers.garage?.connected === true;
  });
  const healthy = await doctor(configPath);
  t.equal(healthy.code, 0, JSON.stringify(healthy.report.checks.filter((c) => c.verdict === 'fail')));
  t.equal(healthy.report.ok, true);
  for (const name of [
    'config',
    'event log chain',
    'event log writable',
    'agent running',
    'HAN port',
    'HAN lines',
    'charger garage',
    'failsafe garage',
    'clock',
  ]) {
    t.equal(healthy.by(name)?.verdict, 'ok', `${name}: ${healthy.by(name)?.detail}`);
  }

  // The charger stopped (and the agent with it, as an engineer finds a site after a power cut).
  await agent.stop('test');
  agent = undefined;
  await sim.close();
  const stopped = await doctor(configPath);
  t.equal(stopped.code, 1);
  t.equal(stopped.by('charger garage')?.verdict, 'fail');
  t.match(stopped.by('charger garage')?.fix, /check garage is powered and on the network/);
  t.equal(stopped.by('agent running')?.verdict, 'fail');
  t.match(stopped.by('agent running')?.fix, /systemctl start hcalcs-agent/);

  // The HAN port missing: a serial device that is not there.
  const missing = writeConfig(dir, '/dev/ttyHCALCS-not-there', sim.port);
  const noHan = await doctor(missing);
  t.equal(noHan.code, 1);
  t.equal(noHan.by('HAN port')?.verdict, 'fail');
  t.match(noHan.by('HAN port')?.detail, /\/dev\/ttyHCALCS-not-there does not exist/);
  t.match(noHan.by('HAN port')?.fix, /plug in the HAN radio module's serial adapter/);

  // The plain text, as on the console: each failure followed by its fix, 80 columns.
  const out = new Sink();
  await doctorCommand(['--config', missing], { out, err: new Sink(), env: {}, clockSynced: () => null });
  t.match(out.text, /\[FAIL\] HAN port: \/dev\/ttyHCALCS-not-there does not exist\n +fix: plug in/);
  t.match(out.text, /checks? failed\n$/);
  for (const l of out.text.split('\n')) t.ok(l.length <= 80, `<= 80: ${l}`);
});

t.test('doctor: a running agent reporting its charger disconnected fails with the fix', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-doctor-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = writeConfig(dir, 'tcp://127.0.0.1:1', 1);
  const loaded = loadAgentConfig(configPath);
  if (!loaded.ok) return t.fail(loaded.problems.join('\n'));
  const log = openEventLogStore(loaded.config.eventLog.path);
  const now = Date.now();
  log.saveState(STATE_KEY_RUNTIME, {
    pid: 4242,
    dryRun: false,
    startedAtMs: now - 60_000,
    updatedAtMs: now,
    stoppedAtMs: null,
    linkUp: true,
    lastLineAtMs: now - 2000,
    chargers: { garage: { connected: false, lastError: 'Timed out' } },
  });
  log.close();
  const checks = await runChecks(
    loaded.config,
    null,
    { out: new Sink(), err: new Sink(), env: {}, clock: new ManualClock(now + 100), clockSynced: () => false },
    'hcalcs',
  );
  const by = (n: string) => checks.find((c) => c.name === n);
  t.equal(by('agent running')?.verdict, 'ok');
  t.equal(by('HAN lines')?.verdict, 'ok');
  t.match(by('charger garage'), { verdict: 'fail', detail: /not connected: Timed out/, fix: /Modbus TCP is enabled/ });
  t.match(by('failsafe garage'), { verdict: 'fail', fix: /writes the failsafe settings on connect/ });
  t.match(by('clock'), { verdict: 'fail', fix: /timedatectl set-ntp true/ });
});
