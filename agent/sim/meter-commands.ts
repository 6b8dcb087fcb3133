// The meter simulator's commands, one line each: what a tester types at `sim meter`'s console,
// writes in a script file, sends over its control API, or puts in a scenario's `meter:` step.

import { randomBytes } from 'node:crypto';
import type { MeterEmulator } from '../../drivers/han/emulator.js';
import type { SwitchCause, SwitchState } from '../../drivers/han/messages.js';
import { checksumOf, formatLine } from '../../drivers/han/parse.js';
import { CommandError, helpText, parseDuration, parseNumber, tokenize, type CommandOutcome, type CommandSpec } from './words.js';

const CAUSES: SwitchCause[] = ['dno', 'supplier', 'calendar', 'boost', 'reset', 'unknown'];

export const METER_COMMANDS: CommandSpec[] = [
  {
    name: 'open',
    usage: 'open IDX [CAUSE] [DUR_MIN] [dev=EUI64] [type=HCALCS|ALCS]',
    help: 'open switch IDX (SRV 7.6); cause dno|supplier|calendar|boost|reset|unknown (default unknown), for DUR_MIN minutes',
    complete: CAUSES,
    completeAt: 2,
  },
  {
    name: 'close',
    usage: 'close IDX [CAUSE] [DUR_MIN] [dev=EUI64] [type=HCALCS|ALCS]',
    help: 'close switch IDX (SRV 7.5); "close 2 reset" is a Reset (SRV 7.8)',
    complete: CAUSES,
    completeAt: 2,
  },
  { name: 'label', usage: 'label IDX "TEXT"', help: 'set the switch label (SECMP0019) and announce it' },
  { name: 'nolabel', usage: 'nolabel IDX', help: 'the meter holds no label for IDX: READ answers leave its LABEL out' },
  { name: 'boostcfg', usage: 'boostcfg LOADS PERIOD_MIN', help: 'switches on the Boost Button ("2,3", or "-" for none) and the boost period (SRV 7.10)' },
  { name: 'press', usage: 'press [move]', help: 'the consumer presses the Boost Button (SRV 7.9); "move": the meter also closes the assigned switches itself' },
  { name: 'cancel', usage: 'cancel', help: 'BOOST cancel (SRV 7.11)' },
  { name: 'hb', usage: 'hb', help: 'send a heartbeat now' },
  { name: 'gap', usage: 'gap N', help: 'lose N sequence numbers (then a heartbeat shows the gap)' },
  { name: 'badsum', usage: 'badsum [LINE]', help: 'send a line with a wrong checksum (default: switch 1 or the first switch moved the dangerous way)' },
  { name: 'garbage', usage: 'garbage N', help: 'send N bytes of random noise, then a newline' },
  { name: 'raw', usage: 'raw "LINE"', help: 'send LINE exactly as given (no seq, no checksum)' },
  { name: 'silence', usage: 'silence SECONDS', help: 'the radio side goes quiet: nothing is sent or answered for that long (0 ends it)' },
  { name: 'drop', usage: 'drop', help: 'drop the connection (a bridge restart); the agent reconnects' },
  { name: 'unplug', usage: 'unplug SECONDS', help: 'pull the cable: drop and refuse the agent for that long' },
  { name: 'show', usage: 'show', help: "the meter's state: switches, labels, Boost Button, sequence, peers" },
  { name: 'wait', usage: 'wait DURATION', help: 'pause a script (90, 500ms, 2s, 1.5min)' },
  { name: 'help', usage: 'help [COMMAND]', help: 'this list, or one command' },
  { name: 'quit', usage: 'quit', help: 'stop the simulator' },
];

function idxOf(word: string | undefined): number {
  return parseNumber(word, 'switch number', { min: 1, max: 5, integer: true });
}

function switchCommand(meter: MeterEmulator, state: SwitchState, args: string[]): string {
  const idx = idxOf(args[0]);
  const opts: { cause?: SwitchCause; durMin?: number; dev?: string; type?: 'HCALCS' | 'ALCS' } = {};
  for (const a of args.slice(1)) {
    if ((CAUSES as string[]).includes(a)) opts.cause = a as SwitchCause;
    else if (/^\d+$/.test(a)) opts.durMin = Number(a);
    else if (a.startsWith('dev=')) {
      const dev = a.slice(4);
      if (!/^[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){7}$/.test(dev))
        throw new CommandError(`dev must be an EUI-64 such as 00-DB-12-34-56-78-90-97, not ${JSON.stringify(dev)}`);
      opts.dev = dev;
    } else if (a === 'type=HCALCS' || a === 'type=ALCS') opts.type = a.slice(5) as 'HCALCS' | 'ALCS';
    else throw new CommandError(`unknown word ${JSON.stringify(a)}: a cause (${CAUSES.join('|')}), minutes, dev=EUI64 or type=HCALCS|ALCS`);
  }
  meter.setSwitch(idx, state, opts);
  return `switch ${idx} ${state}${opts.cause ? ` cause ${opts.cause}` : ''}${opts.durMin ? ` for ${opts.durMin} min` : ''}`;
}

function describeMeter(meter: MeterEmulator): string {
  const lines = meter
    .switches()
    .map(
      (s) =>
        `  switch ${s.idx} ${s.type} ${s.state} cause ${s.cause}${s.durMin ? ` dur ${s.durMin} min` : ''}${s.dev ? ` dev ${s.dev}` : ''} label ${JSON.stringify(s.label)}`,
    );
  const b = meter.boostConfig();
  lines.push(`  boost button: ${b.loads.length ? b.loads.join(',') : 'no switch'}, period ${b.periodMin} min`);
  lines.push(`  next seq ${meter.nextSeq}; ${meter.connections} peer(s) connected${meter.silent ? '; SILENT' : ''}`);
  return lines.join('\n');
}

/** Runs one command line against the emulator. Throws CommandError for a bad command. */
export function runMeterCommand(meter: MeterEmulator, line: string): CommandOutcome {
  const words = line.trim().startsWith('#') ? [] : tokenize(line);
  const [name, ...args] = words;
  if (name === undefined) return { text: '' };
  const arity = (n: number) => {
    if (args.length !== n) throw new CommandError(`usage: ${METER_COMMANDS.find((c) => c.name === name)?.usage ?? name}`);
  };
  switch (name) {
    case 'open':
    case 'close':
      if (args.length < 1) arity(1);
      return { text: switchCommand(meter, name === 'open' ? 'open' : 'closed', args) };
    case 'label': {
      arity(2);
      const idx = idxOf(args[0]);
      meter.setLabel(idx, args[1]!);
      return { text: `switch ${idx} labelled ${JSON.stringify(args[1])}` };
    }
    case 'nolabel': {
      arity(1);
      const idx = idxOf(args[0]);
      meter.removeLabel(idx);
      return { text: `switch ${idx} has no label` };
    }
    case 'boostcfg': {
      arity(2);
      const loads = args[0] === '-' ? [] : args[0]!.split(',').map((w) => idxOf(w));
      const period = parseNumber(args[1], 'boost period (minutes)', { min: 1, max: 1440, integer: true });
      meter.setBoostConfig(loads, period);
      return { text: `Boost Button drives ${loads.length ? loads.join(',') : 'no switch'}, period ${period} min` };
    }
    case 'press':
      if (args.length > 1 || (args.length === 1 && args[0] !== 'move')) throw new CommandError('usage: press [move]');
      meter.pressBoost({ moveSwitches: args[0] === 'move' });
      return { text: 'Boost Button pressed' };
    case 'cancel':
      arity(0);
      meter.cancelBoost();
      return { text: 'boost cancelled' };
    case 'hb':
      arity(0);
      meter.sendHeartbeat();
      return { text: 'heartbeat sent' };
    case 'gap': {
      arity(1);
      const n = parseNumber(args[0], 'N', { min: 1, max: 60000, integer: true });
      meter.skipSeq(n);
      meter.sendHeartbeat();
      return { text: `${n} sequence numbers lost` };
    }
    case 'badsum': {
      let body = args.join(' ');
      if (body === '') {
        const sw = meter.switches()[0];
        const idx = sw?.idx ?? 1;
        body = formatLine('SWITCH', { idx, state: sw?.state === 'open' ? 'closed' : 'open', cause: 'dno' });
      }
      const good = checksumOf(body);
      const bad = ((parseInt(good, 16) + 1) & 0xff).toString(16).toUpperCase().padStart(2, '0');
      meter.sendRaw(`${body}*${bad}`);
      return { text: `sent with a wrong checksum: ${body}*${bad} (right: *${good})` };
    }
    case 'garbage': {
      arity(1);
      const n = parseNumber(args[0], 'N', { min: 1, max: 1_000_000, integer: true });
      const noise = randomBytes(n).map((b) => (b === 10 || b === 13 ? 0x7e : b));
      meter.sendBytes(Buffer.concat([noise, Buffer.from('\n')]));
      return { text: `${n} bytes of noise sent` };
    }
    case 'raw':
      arity(1);
      meter.sendRaw(args[0]!);
      return { text: 'sent' };
    case 'silence': {
      arity(1);
      const ms = parseDuration(args[0]!);
      meter.silence(ms);
      return { text: ms > 0 ? `silent for ${ms / 1000} s` : 'speaking again' };
    }
    case 'drop':
      arity(0);
      meter.dropConnections();
      return { text: 'connection dropped' };
    case 'unplug': {
      arity(1);
      const ms = parseDuration(args[0]!);
      meter.unplug(ms);
      return { text: `unplugged for ${ms / 1000} s` };
    }
    case 'show':
      arity(0);
      return { text: describeMeter(meter) };
    case 'wait':
      arity(1);
      return { text: '', waitMs: parseDuration(args[0]!) };
    case 'help':
      return { text: helpText(METER_COMMANDS, args[0]) };
    case 'quit':
    case 'exit':
      return { text: 'bye', quit: true };
    default:
      throw new CommandError(`unknown command ${JSON.stringify(name)}; "help" lists them`);
  }
}
