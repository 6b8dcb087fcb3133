// `hcalcs-agent demo` (`npm start`): the whole control path on one machine, with no hardware.
// A built-in meter-side emulator speaks the HAN line protocol on a loopback TCP bridge, a
// built-in Modbus charger simulator plays an Alfen Eve on loopback, and the real agent sits
// between them. A short story plays as a timeline; the event log stays for `hcalcs-agent log`.

import { existsSync, rmSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { MeterEmulator } from '../../drivers/han/emulator.js';
import { ChargerSimulator } from '../../drivers/charger/simulator.js';
import { buildAgent, loadAgentConfig, type Agent } from '../compose.js';
import { loadProfiles } from '../../drivers/charger/profile.js';
import type { EventInput } from '../event-log/types.js';
import { openEventLogStore } from '../event-log/store.js';
import { takeInstanceLock } from './run.js';
import { EXIT } from './shared/exit-codes.js';

const DEMO_CONFIG = fileURLToPath(new URL('../../config/demo.yaml', import.meta.url));

const USAGE = `usage: hcalcs-agent demo [--keep-running] [--mqtt[=URL]] [--config PATH]
  Plays the demo story against a built-in HAN emulator and charger simulator on loopback.
  --keep-running  keep the agent, emulator and simulator running after the story (Ctrl-C stops)
  --mqtt[=URL]    turn on the config's fleet uplink (demo: mqtt://127.0.0.1:1883, topics hcalcs/demo/#)
`;

/** Marks a log as the demo's own, in its state table: only such a log is ever removed. */
export const DEMO_MARK_KEY = 'created-by';
export const DEMO_MARK = 'hcalcs-agent demo';

/** true if the demo may remove the log at path (absent, or made by the demo), else why not. */
export function demoOwnsLog(path: string): true | string {
  if (!existsSync(path)) return true;
  let log;
  try {
    log = openEventLogStore(path, { readonly: true });
  } catch (err) {
    return `${path} exists and is not an event log the demo can read (${(err as Error).message})`;
  }
  try {
    return log.loadState<string>(DEMO_MARK_KEY) === DEMO_MARK ? true : `${path} is an event log the demo did not create`;
  } catch {
    return `${path} is an event log the demo did not create`;
  } finally {
    log.close();
  }
}

/** A one-line reading of an event for the timeline, or null to leave it out. */
export function describeEvent(e: EventInput): string | null {
  const who = e.chargerId ?? '';
  switch (e.kind) {
    case 'agent.start':
      return `agent: started${e.data.resumed ? ' (resumed saved state)' : ''}`;
    case 'link.up':
      return 'agent: HAN link up; asked the meter side for the full state (READ)';
    case 'link.down':
      return 'agent: HAN link down';
    case 'link.stale':
      return 'agent: HAN link stale (no valid line)';
    case 'switch.state': {
      const d = e.data;
      return `agent: heard switch ${d.idx} ${d.state} (cause ${d.cause}${d.durMin ? `, for ${d.durMin} min` : ''})`;
    }
    case 'label.alarm': {
      const d = e.data;
      const what = d.problem === 'missing' ? 'missing' : `${JSON.stringify(d.text)} does not match ${d.pattern}`;
      return `agent: ALARM label of switch ${d.idx}: ${what}`;
    }
    case 'boost.denied':
      return `agent: boost denied for switch ${e.data.idx}: ${e.data.reason}`;
    case 'boost.granted':
      return `agent: boost granted for switch ${e.data.idx}`;
    case 'limit.changed': {
      const d = e.data;
      return `agent: ${who} limit ${d.fromA === null ? 'at start' : `${d.fromA} A`} -> ${d.toA} A   [${d.explanation}]`;
    }
    case 'restore.scheduled': {
      const d = e.data;
      return `agent: ${who} restore to ${d.toA} A delayed ${(d.delayMs / 1000).toFixed(1)} s (random 0-${d.maxDelayMs / 1000} s, Reg 11)`;
    }
    case 'restore.done':
      return `agent: ${who} restore delay over`;
    case 'restore.exempt':
      return `agent: ${who} restore without delay: ${e.data.reason}`;
    case 'han.rejected':
      return `agent: REJECTED line (${e.data.reason}): ${e.data.line}`;
    case 'seq.gap':
      return `agent: sequence gap (${JSON.stringify(e.data)}); asked for the full state`;
    case 'charger.connected':
      return `charger ${who}: connected`;
    case 'charger.connect-failed':
      return `charger ${who}: connect failed: ${e.data.error}`;
    case 'charger.failsafe':
      return e.data.ok ? `charger ${who}: failsafe settings written and read back` : `charger ${who}: failsafe settings NOT confirmed`;
    case 'charger.write': {
      const d = e.data;
      return d.ok
        ? `charger ${who}: wrote ${d.limitA} A${d.readBackA !== null ? `, read back ${d.readBackA} A` : ''} (${d.durationMs} ms)`
        : `charger ${who}: write of ${d.limitA} A FAILED: ${d.error}`;
    }
    case 'charger.verified': {
      const d = e.data;
      return 'measuredA' in d
        ? `charger ${who}: measured ${d.measuredA.toFixed(1)} A, within the ${d.limitA} A limit ${d.confirmMs} ms after the write`
        : `charger ${who}: ${d.limitA} A read back (the charger measures no current)`;
    }
    case 'charger.alarm':
      return `charger ${who}: ALARM ${e.data.reason}`;
    case 'agent.stop':
      return 'agent: stopped';
    default:
      return null;
  }
}

export async function demoCommand(argv: string[], sink: { write(text: string): unknown } = process.stdout): Promise<number> {
  let keepRunning = false;
  let configPath = DEMO_CONFIG;
  /** '' turns the uplink on with the config's URL. */
  let mqttUrl: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (a === '--keep-running') keepRunning = true;
    else if (a === '--config' && argv[i + 1]) configPath = argv[++i] as string;
    else if (a === '--mqtt' || a?.startsWith('--mqtt=')) mqttUrl = a === '--mqtt' ? '' : a.slice('--mqtt='.length);
    else {
      process.stderr.write(`demo: unknown argument ${JSON.stringify(a)}\n${USAGE}`);
      return EXIT.USAGE;
    }
  }
  const loaded = loadAgentConfig(configPath);
  if (!loaded.ok) {
    for (const p of loaded.problems) process.stderr.write(`${p}\n`);
    return EXIT.CONFIG;
  }
  const config = loaded.config;
  if (mqttUrl !== undefined) {
    if (config.mqtt === undefined) {
      process.stderr.write(`demo: --mqtt needs an mqtt section in ${configPath}\n`);
      return EXIT.USAGE;
    }
    config.mqtt.enabled = true;
    if (mqttUrl !== '') config.mqtt.url = mqttUrl;
  }
  const out = (s: string) => sink.write(s + '\n');
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  // Pino's JSON goes to a file beside the event log; the terminal gets the timeline.
  const logFile = config.eventLog.path.replace(/\.db$/, '') + '.log';
  const logger = pino({ level: config.log.level }, pino.destination({ dest: logFile, mkdir: true, sync: true }));
  // A second demo on the same state would delete the first one's log below and fight it.
  const locked = takeInstanceLock('demo', config.eventLog.path, logger);
  if (!locked.ok) {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    return locked.code;
  }
  const lock = locked.lock;

  // The demo starts from a clean log each time, so the story reads the same on every run; but
  // it only ever removes a log it made itself (a site's log given by --config is evidence).
  const owned = demoOwnsLog(config.eventLog.path);
  if (owned !== true) {
    process.stderr.write(`demo: ${owned}; the demo never touches a log it did not create: give a config whose eventLog.path is new\n`);
    return EXIT.CANTCREAT;
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(config.eventLog.path + suffix, { force: true });

  const meter = new MeterEmulator({ heartbeatMs: 10_000, logger });
  meter.setSwitch(2, 'closed', { cause: 'calendar' });
  meter.setLabel(2, 'EV Charger');
  meter.setBoostConfig([3], 60);
  const hanPort = await meter.listenTcp('127.0.0.1', 0);

  const alfen = loadProfiles().get('alfen-eve');
  const chargerConfig = config.chargers[0];
  if (!alfen || !chargerConfig) throw new Error('the demo needs the alfen-eve profile and one charger in its config');
  const sim = await ChargerSimulator.start({
    units: [{ unitId: chargerConfig.unitId ?? 1, profile: alfen, carDelayMs: 1500, timeoutS: 60, safeCurrentA: 6 }],
  });
  config.han.port = `tcp://127.0.0.1:${hanPort}`;
  chargerConfig.transport = { type: 'tcp', host: '127.0.0.1', port: sim.port };

  const t0 = Date.now();
  const stamp = () => `+${((Date.now() - t0) / 1000).toFixed(3).padStart(7)}s`;
  const say = (text: string) => out(`${stamp()}  >> ${text}`);
  let agent: Agent | undefined;
  const onEvent = (e: EventInput) => {
    const line = describeEvent(e);
    if (line) out(`${stamp()}     ${line}`);
  };

  out('hcalcs-agent demo: a DNO turns an EV charger down through the smart meter, then lets it go');
  out(`  meter side (HAN emulator)  ${config.han.port}`);
  out(`  charger (simulated Alfen Eve, Modbus TCP)  127.0.0.1:${sim.port} unit ${chargerConfig.unitId ?? 1}, max ${chargerConfig.maxCurrentA} A`);
  if (config.mqtt?.enabled)
    out(
      `  fleet uplink  ${config.mqtt.url}, topics ${config.mqtt.topicPrefix ?? `hcalcs/${config.mqtt.gatewayId ?? '<gateway id>'}`}/#   (watch: mosquitto_sub -t 'hcalcs/#' -v)`,
    );
  out(`  event log  ${relative(process.cwd(), config.eventLog.path) || config.eventLog.path}   (agent log: ${relative(process.cwd(), logFile)})`);
  out('');

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (abort.signal.aborted) return resolve();
      const onAbort = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        abort.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  const setpoint = () => sim.unit(chargerConfig.unitId ?? 1).setpointA;
  const waitFor = async (pred: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!pred() && Date.now() < end && !abort.signal.aborted) await sleep(50);
    return pred();
  };

  let failed = false;
  try {
    say('meter: switch 2 closed by its calendar, labelled "EV Charger"; Boost Button drives switch 3 only');
    agent = buildAgent(config, { logger, dryRun: false, onEvent, seed: Date.now() });
    agent.eventLog.saveState(DEMO_MARK_KEY, DEMO_MARK);
    agent.runtime.start();
    // A fresh start writes the reduced current once the meter confirms switch 2, then rises
    // after the random restore delay like any rise (a street's chargers never jump together).
    await waitFor(() => setpoint() === chargerConfig.maxCurrentA, (config.rules.restore.maxDelayS + 5) * 1000);
    await sleep(2500);

    if (!abort.signal.aborted) {
      say('DNO: Deactivate Auxiliary Load on switch 2 (SRV 7.6) for 30 min: the street cable is near its limit');
      const sentAt = Date.now();
      meter.setSwitch(2, 'open', { cause: 'dno', durMin: 30 });
      const ok = await waitFor(() => setpoint() === 6, 2000);
      say(
        ok
          ? `charger register 1210 (float32) now holds ${setpoint()} A: ${Date.now() - sentAt} ms from the meter's line to the charger (polled every 50 ms)`
          : `charger setpoint is ${setpoint()} A, expected 6 A`,
      );
      failed ||= !ok;
      await sleep(2500);
    }
    if (!abort.signal.aborted) {
      say('noise on the serial line: a SWITCH line with a wrong checksum');
      meter.sendRaw('SWITCH idx=2 state=closed cause=dno*00');
      await sleep(800);
      say(`charger still at ${setpoint()} A: the bad line changed nothing`);
      failed ||= setpoint() !== 6;
      await sleep(1000);
    }
    if (!abort.signal.aborted) {
      say('consumer presses the Boost Button (it drives switch 3, not switch 2)');
      meter.pressBoost({ moveSwitches: false });
      await sleep(1500);
    }
    if (!abort.signal.aborted) {
      say('DNO: Reset Auxiliary Load on switch 2 (SRV 7.8): back to the calendar state, closed');
      meter.setSwitch(2, 'closed', { cause: 'reset' });
      const restored = await waitFor(() => setpoint() === chargerConfig.maxCurrentA, (config.rules.restore.maxDelayS + 5) * 1000);
      say(
        restored ? `charger back at ${setpoint()} A after the randomised restore delay` : `charger at ${setpoint()} A, expected ${chargerConfig.maxCurrentA} A`,
      );
      failed ||= !restored;
      await sleep(2000);
    }
    if (keepRunning && !abort.signal.aborted) {
      say('story over; agent keeps running (Ctrl-C stops)');
      await new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
  } finally {
    if (abort.signal.aborted) out(`${stamp()}  >> Ctrl-C: stopping cleanly`);
    await agent?.stop(abort.signal.aborted ? 'SIGINT' : 'demo over');
    await meter.close();
    await sim.close();
    lock?.release();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  // From a checkout, name the source copy of the demo config; the built copy is the same file.
  const cfgArg = configPath === DEMO_CONFIG && existsSync('config/demo.yaml') ? 'config/demo.yaml' : configPath;
  out('');
  out('The event log holds every line heard, decision taken and charger write, hash-chained:');
  out(`  node dist/agent/main.js log --config ${cfgArg}`);
  out(`  node dist/agent/main.js verify-log --config ${cfgArg}`);
  return failed ? 1 : 0;
}
