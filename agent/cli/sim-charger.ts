// `hcalcs-agent sim charger --profile ID`: a simulated charger and its car as a process, for a
// tester's rig: a Modbus TCP server or an RTU slave on a serial device, running any profile's
// register map (or a generic one from a file), its failsafe and timeout as the profile says,
// faults on command, and every write it receives printed with its meaning.

import { decodeNumber, registerCount, type RegisterSpec } from '../../drivers/charger/register-map.js';
import { ChargerSimulator, type SimRequest, type SimulatedCharger, type SimulatedUnitOptions } from '../../drivers/charger/simulator.js';
import type { Profile } from '../../drivers/charger/profile.js';
import { CHARGER_COMMANDS, describeCharger, runChargerCommand } from '../sim/charger-commands.js';
import { DRIVE_OPTIONS, parseHostPort, parseSimArgs } from '../sim/args.js';
import { printer, stamp, type CommandDriver } from '../sim/console.js';
import { serveSim } from '../sim/serve.js';
import { parseControlAddress } from '../sim/control.js';
import { SERIAL_OPTIONS, serialFrom } from '../sim/serial-options.js';
import { simProfile } from '../sim/sim-profile.js';
import { CommandError, parseDuration } from '../sim/words.js';
import { EXIT } from './shared/exit-codes.js';
import type { OptionsSpec } from './shared/args.js';

export const SIM_CHARGER_USAGE = `usage: hcalcs-agent sim charger (--profile ID | --profile generic --registers FILE | --profile-file FILE)
                                (--listen HOST:PORT | --port DEVICE) [options]
  --listen HOST:PORT     Modbus TCP server (port 0 picks a free one)
  --port DEVICE          RTU slave on a serial device (RS-485 adapter, socat pty)
    --baud N --parity none|even|odd --data-bits 7|8 --stop-bits 1|2   (default: the profile's)
  --unit N               Modbus unit id (default: the profile's)
  --car plugged|unplugged   (default plugged)
  --draw FRACTION        share of the limit the car draws (default 0.95)
  --phases 1|3           (default 3)
  --car-delay DURATION   limit change -> the car's new current, the IEC 61851 step (default 3s)
  --timeout-s S          the charger's own communication timeout where the profile cannot set one
  --safe-current-a A     the charger's own failsafe current where the profile cannot set one
  -e COMMAND, --script FILE [--keep-running], --control ADDR, --no-console   as for sim meter
  --reads                print reads as well as writes
Console commands ("help" at the prompt, Tab completes):
`;

/** What a write means for this profile, in words: "setpoint 16 A", "failsafe current 6 A". */
export function describeWrite(profile: Profile, req: SimRequest): string {
  const values = req.values ?? [];
  const at = (spec: RegisterSpec | undefined) =>
    spec !== undefined && spec.table === 'holding' && spec.address === req.address && values.length >= registerCount(spec);
  const fs = profile.failsafe;
  const num = (spec: RegisterSpec) => {
    try {
      return decodeNumber(spec, values.slice(0, registerCount(spec)));
    } catch {
      return NaN;
    }
  };
  if (at(profile.setpoint.register)) return `setpoint ${num(profile.setpoint.register)} A`;
  if (at(fs?.current?.write)) return `failsafe current ${num(fs!.current!.write!)} A`;
  if (at(fs?.timeout?.write)) return `failsafe timeout ${num(fs!.timeout!.write!)} ${fs!.timeout!.unit}`;
  const ka = profile.keepAlive;
  if (at(ka.register)) return `keep-alive (${ka.kind})`;
  const init = profile.init?.find((i) => at(i.register));
  if (init) return `init: ${init.why}`;
  return 'unknown register';
}

const OPTIONS = {
  profile: { type: 'string', nonEmpty: false },
  'profile-file': { type: 'string', nonEmpty: false },
  registers: { type: 'string', nonEmpty: false },
  listen: { type: 'string', nonEmpty: false },
  port: { type: 'string', nonEmpty: false },
  unit: { type: 'string', nonEmpty: false },
  car: { type: 'string', nonEmpty: false },
  draw: { type: 'string', nonEmpty: false },
  phases: { type: 'string', nonEmpty: false },
  'car-delay': { type: 'string', nonEmpty: false },
  'timeout-s': { type: 'string', nonEmpty: false },
  'safe-current-a': { type: 'string', nonEmpty: false },
  reads: { type: 'boolean' },
  ...DRIVE_OPTIONS,
  ...SERIAL_OPTIONS,
} as const satisfies OptionsSpec;

export async function simChargerCommand(argv: string[]): Promise<number> {
  const usage = SIM_CHARGER_USAGE + CHARGER_COMMANDS.map((c) => `  ${c.usage}`).join('\n') + '\n';
  const parsed = parseSimArgs('sim charger', argv, OPTIONS, usage);
  if (parsed.kind === 'exit') return parsed.code;
  const values = parsed.values;
  const bad = (msg: string) => {
    process.stderr.write(`sim charger: ${msg}\n`);
    return EXIT.USAGE;
  };
  const profile = simProfile({ profile: values.profile, profileFile: values['profile-file'], registersFile: values.registers });
  if ('error' in profile) {
    process.stderr.write(`sim charger: ${profile.error}\n`);
    return EXIT.CONFIG;
  }
  const listen = values.listen;
  const port = values.port;
  if ((listen === undefined) === (port === undefined)) return bad('give exactly one of --listen HOST:PORT and --port DEVICE');
  const tcp = listen !== undefined ? parseHostPort(listen) : null;
  if (listen !== undefined && tcp === null) return bad(`--listen ${listen}: expected HOST:PORT`);
  const rtuDefaults = profile.transport.rtu ?? { baudRate: 9600, dataBits: 8 as const, parity: 'none' as const, stopBits: 1 as const };
  const serial = serialFrom(values, rtuDefaults);
  if ('error' in serial) return bad(serial.error);

  const unit: SimulatedUnitOptions = { unitId: profile.transport.defaultUnitId, profile };
  try {
    const num = (k: 'unit' | 'draw' | 'timeout-s' | 'safe-current-a', min: number, max: number) => {
      const v = values[k];
      if (v === undefined) return undefined;
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new CommandError(`--${k} ${v}: expected a number from ${min} to ${max}`);
      return n;
    };
    const unitId = num('unit', 0, 255);
    if (unitId !== undefined) unit.unitId = unitId;
    const car = values.car;
    if (car !== undefined && car !== 'plugged' && car !== 'unplugged') throw new CommandError(`--car ${car}: expected plugged or unplugged`);
    unit.carConnected = car !== 'unplugged';
    const draw = num('draw', 0, 1);
    if (draw !== undefined) unit.carDrawFraction = draw;
    const phases = values.phases;
    if (phases !== undefined && phases !== '1' && phases !== '3') throw new CommandError(`--phases ${phases}: expected 1 or 3`);
    if (phases !== undefined) unit.phases = Number(phases) as 1 | 3;
    const delay = values['car-delay'];
    if (delay !== undefined) unit.carDelayMs = parseDuration(delay);
    const timeoutS = num('timeout-s', 1, 86400);
    if (timeoutS !== undefined) unit.timeoutS = timeoutS;
    const safe = num('safe-current-a', 0, 80);
    if (safe !== undefined) unit.safeCurrentA = safe;
  } catch (err) {
    if (err instanceof CommandError) return bad(err.message);
    throw err;
  }
  const controlText = values.control;
  const control = controlText !== undefined ? parseControlAddress(controlText) : null;
  if (control !== null && 'error' in control) return bad(control.error);

  const p = printer();
  const onRequest = (req: SimRequest) => {
    if (req.values !== undefined) {
      p.print(
        `${stamp(req.atMs)} write unit ${req.unitId} FC${String(req.fc).padStart(2, '0')} ${req.address} [${req.values.join(' ')}] -> ${describeWrite(profile, req)}`,
      );
    } else if (values.reads === true) {
      p.print(`${stamp(req.atMs)} read  unit ${req.unitId} FC${String(req.fc).padStart(2, '0')} ${req.address} x${req.length}`);
    }
  };
  let sim: ChargerSimulator;
  try {
    sim =
      tcp !== null
        ? await ChargerSimulator.start({ units: [unit], host: tcp.host, port: tcp.port, onRequest })
        : await ChargerSimulator.startRtu({ units: [unit], path: port!, serial, onRequest });
  } catch (err) {
    process.stderr.write(`sim charger: cannot open ${listen ?? port}: ${(err as Error).message}\n`);
    return 1;
  }
  const u: SimulatedCharger = sim.unit(unit.unitId);
  const driver: CommandDriver = { specs: CHARGER_COMMANDS, run: (line) => runChargerCommand(u, line) };
  for (const cmd of values.exec ?? []) {
    try {
      p.print(driver.run(cmd).text);
    } catch (err) {
      await sim.close();
      if (err instanceof CommandError) return bad(`-e ${JSON.stringify(cmd)}: ${err.message}`);
      throw err;
    }
  }
  p.print(
    tcp !== null
      ? `sim charger: ${profile.id} on Modbus TCP ${tcp.host}:${sim.port} unit ${unit.unitId}`
      : `sim charger: ${profile.id} RTU slave on ${port} at ${serial.baudRate} ${serial.dataBits}${serial.parity[0]!.toUpperCase()}${serial.stopBits}, unit ${unit.unitId}`,
  );
  p.print(describeCharger(u));

  // The failsafe is worked out lazily on each request; a tester also wants to see it happen
  // while the master is silent, so the state is looked at once a second.
  let inFailsafe = false;
  const watch = setInterval(() => {
    const fb = u.fallbackSinceMs !== null;
    if (fb !== inFailsafe)
      p.print(`${stamp()} ${fb ? `FAILSAFE: no keep-alive within the timeout, applying ${u.effectiveLimitA()} A` : 'master back in charge'}`);
    inFailsafe = fb;
  }, 1000);

  return serveSim({
    name: 'sim charger',
    driver,
    control,
    script: values.script,
    keepRunning: values['keep-running'] === true,
    console: values['no-console'] !== true,
    p,
    close: async () => {
      clearInterval(watch);
      await sim.close();
    },
  });
}
