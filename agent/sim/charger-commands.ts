// The charger simulator's commands: faults and the car, for `sim charger`'s console, its
// control API and a scenario's `charger:` step.

import type { SimulatedCharger } from '../../drivers/charger/simulator.js';
import { CommandError, helpText, parseDuration, parseNumber, tokenize, type CommandOutcome, type CommandSpec } from './words.js';

export const CHARGER_COMMANDS: CommandSpec[] = [
  { name: 'reboot', usage: 'reboot', help: 'power cycle: the setpoint is lost as the profile says' },
  { name: 'noreply', usage: 'noreply', help: 'stop answering Modbus requests' },
  { name: 'slow', usage: 'slow MS', help: 'answer every request MS milliseconds late' },
  { name: 'exception', usage: 'exception CODE', help: 'answer every request with Modbus exception CODE (1-11; 4 = device failure)' },
  { name: 'ok', usage: 'ok', help: 'clear the fault: answer normally again' },
  { name: 'plug', usage: 'plug', help: 'plug the car in' },
  { name: 'unplug', usage: 'unplug', help: 'unplug the car' },
  { name: 'ignore', usage: 'ignore AMPS', help: 'the car ignores the limit and draws AMPS per phase' },
  { name: 'obey', usage: 'obey', help: 'the car follows the limit again' },
  { name: 'draw', usage: 'draw FRACTION', help: 'share of the limit the car draws (default 0.95)' },
  { name: 'delay', usage: 'delay DURATION', help: 'from a limit change to the car drawing the new current (IEC 61851 step; default 3s)' },
  { name: 'show', usage: 'show', help: 'setpoint, applied limit, measured current, failsafe, fault' },
  { name: 'wait', usage: 'wait DURATION', help: 'pause a script' },
  { name: 'help', usage: 'help [COMMAND]', help: 'this list, or one command' },
  { name: 'quit', usage: 'quit', help: 'stop the simulator' },
];

export function describeCharger(u: SimulatedCharger): string {
  const f = u.fault;
  const fault = f === null ? 'none' : f.kind === 'slow' ? `slow ${f.delayMs} ms` : f.kind === 'exception' ? `exception ${f.code}` : 'no reply';
  const fb = u.fallbackSinceMs;
  return [
    `  ${u.profile.id} unit ${u.unitId}: setpoint ${u.setpointA ?? '-'} A, applied ${u.effectiveLimitA()} A${fb !== null ? ` (FAILSAFE since ${new Date(fb).toISOString().slice(11, 23)})` : ''}`,
    `  car ${u.carConnected ? 'plugged in' : 'unplugged'}, measured ${u.measuredA().toFixed(1)} A/phase, state ${u.vehicleState()}${u.carIgnoresLimitA !== null ? `, IGNORES THE LIMIT (${u.carIgnoresLimitA} A)` : ''}`,
    `  failsafe ${u.failsafeCurrentA} A after ${u.timeoutMs === null ? 'no timeout' : `${u.timeoutMs / 1000} s`}; fault: ${fault}; reboots ${u.reboots}`,
  ].join('\n');
}

/** Runs one command against a simulated charger. Throws CommandError for a bad command. */
export function runChargerCommand(u: SimulatedCharger, line: string): CommandOutcome {
  const words = line.trim().startsWith('#') ? [] : tokenize(line);
  const [name, ...args] = words;
  if (name === undefined) return { text: '' };
  const arity = (n: number) => {
    if (args.length !== n) throw new CommandError(`usage: ${CHARGER_COMMANDS.find((c) => c.name === name)?.usage ?? name}`);
  };
  switch (name) {
    case 'reboot':
      arity(0);
      u.reboot();
      return { text: `rebooted: setpoint now ${u.setpointA ?? '-'} A (profile: ${u.profile.setpoint.onReboot ?? 'not documented'})` };
    case 'noreply':
      arity(0);
      u.fault = { kind: 'no-reply' };
      return { text: 'not answering' };
    case 'slow': {
      arity(1);
      const ms = parseNumber(args[0], 'MS', { min: 0, max: 600_000 });
      u.fault = { kind: 'slow', delayMs: ms };
      return { text: `answering ${ms} ms late` };
    }
    case 'exception': {
      arity(1);
      const code = parseNumber(args[0], 'CODE', { min: 1, max: 255, integer: true });
      u.fault = { kind: 'exception', code };
      return { text: `answering with exception ${code}` };
    }
    case 'ok':
      arity(0);
      u.fault = null;
      return { text: 'answering normally' };
    case 'plug':
    case 'unplug':
      arity(0);
      u.setCarConnected(name === 'plug');
      return { text: name === 'plug' ? 'car plugged in' : 'car unplugged' };
    case 'ignore': {
      arity(1);
      u.carIgnoresLimitA = parseNumber(args[0], 'AMPS', { min: 0, max: 100 });
      return { text: `the car now draws ${u.carIgnoresLimitA} A whatever the limit` };
    }
    case 'obey':
      arity(0);
      u.carIgnoresLimitA = null;
      return { text: 'the car follows the limit' };
    case 'draw':
      arity(1);
      u.carDrawFraction = parseNumber(args[0], 'FRACTION', { min: 0, max: 1 });
      return { text: `the car draws ${u.carDrawFraction} of the limit (from its next change)` };
    case 'delay':
      arity(1);
      u.carDelayMs = parseDuration(args[0]!);
      return { text: `car step delay ${u.carDelayMs} ms` };
    case 'show':
      arity(0);
      return { text: describeCharger(u) };
    case 'wait':
      arity(1);
      return { text: '', waitMs: parseDuration(args[0]!) };
    case 'help':
      return { text: helpText(CHARGER_COMMANDS, args[0]) };
    case 'quit':
    case 'exit':
      return { text: 'bye', quit: true };
    default:
      throw new CommandError(`unknown command ${JSON.stringify(name)}; "help" lists them`);
  }
}
