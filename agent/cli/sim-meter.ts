// `hcalcs-agent sim meter`: the meter side of the HAN line as a process, for a tester's rig.
// It speaks protocol v1 on a serial device (a USB adapter wired to the gateway, one end of a
// socat pty pair) or as a TCP serial bridge, answers READ and PING as a meter would, prints
// every line the agent sends, and is driven from its console, a script or its control API.

import { MeterEmulator } from '../../drivers/han/emulator.js';
import { runMeterCommand, METER_COMMANDS } from '../sim/meter-commands.js';
import { DRIVE_OPTIONS, parseHostPort, parseSimArgs } from '../sim/args.js';
import { printer, stamp, type CommandDriver } from '../sim/console.js';
import { serveSim } from '../sim/serve.js';
import { parseControlAddress } from '../sim/control.js';
import { SERIAL_OPTIONS, serialFrom } from '../sim/serial-options.js';
import { CommandError } from '../sim/words.js';
import { EXIT } from './shared/exit-codes.js';
import type { OptionsSpec } from './shared/args.js';

export const SIM_METER_USAGE = `usage: hcalcs-agent sim meter (--port DEVICE | --listen HOST:PORT) [options]
  --port DEVICE          the meter's end of a serial line (USB serial adapter, socat pty)
    --baud N --parity none|even|odd --data-bits 7|8 --stop-bits 1|2   (default 115200 8N1)
  --listen HOST:PORT     a TCP serial bridge instead (the agent's han.port: tcp://HOST:PORT)
  -e COMMAND             run a console command at start (repeatable), e.g. -e 'label 2 "EV Charger"'
  --script FILE          run the commands in FILE (with waits), then exit (--keep-running stays)
  --control ADDR         control API: 127.0.0.1:PORT, [::1]:PORT or unix:/path (off by default)
  --no-console           do not read commands from stdin (run until quit, Ctrl-C or SIGTERM)
  --hb SECONDS           heartbeat period (default 10; 0: none)
  --checksum             append *HH checksums to every line
  --verbose              print the lines the meter sends too
Console commands ("help" at the prompt, Tab completes):
`;

const OPTIONS = {
  port: { type: 'string', nonEmpty: false },
  listen: { type: 'string', nonEmpty: false },
  hb: { type: 'string', nonEmpty: false },
  checksum: { type: 'boolean' },
  verbose: { type: 'boolean' },
  ...DRIVE_OPTIONS,
  ...SERIAL_OPTIONS,
} as const satisfies OptionsSpec;

export async function simMeterCommand(argv: string[]): Promise<number> {
  const usage = SIM_METER_USAGE + METER_COMMANDS.map((c) => `  ${c.usage}`).join('\n') + '\n';
  const parsed = parseSimArgs('sim meter', argv, OPTIONS, usage);
  if (parsed.kind === 'exit') return parsed.code;
  const values = parsed.values;
  const bad = (msg: string) => {
    process.stderr.write(`sim meter: ${msg}\n`);
    return EXIT.USAGE;
  };
  const port = values.port;
  const listen = values.listen;
  if ((port === undefined) === (listen === undefined)) return bad('give exactly one of --port DEVICE and --listen HOST:PORT');
  const serial = serialFrom(values, { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 });
  if ('error' in serial) return bad(serial.error);
  const hbText = values.hb ?? '10';
  const hb = Number(hbText);
  if (!Number.isFinite(hb) || hb < 0) return bad(`--hb ${hbText}: expected seconds (0: none)`);
  const bridge = listen !== undefined ? parseHostPort(listen) : null;
  if (listen !== undefined && bridge === null) return bad(`--listen ${listen}: expected HOST:PORT`);
  const controlText = values.control;
  const control = controlText !== undefined ? parseControlAddress(controlText) : null;
  if (control !== null && 'error' in control) return bad(control.error);

  const p = printer();
  const meter = new MeterEmulator({ heartbeatMs: hb * 1000, checksum: values.checksum === true });
  const driver: CommandDriver = { specs: METER_COMMANDS, run: (line) => runMeterCommand(meter, line) };
  for (const cmd of values.exec ?? []) {
    try {
      driver.run(cmd);
    } catch (err) {
      if (err instanceof CommandError || err instanceof RangeError) return bad(`-e ${JSON.stringify(cmd)}: ${err.message}`);
      throw err;
    }
  }
  meter.on('received', (l) => p.print(`${stamp()} agent> ${l.raw}`));
  if (values.verbose === true) meter.on('sent', (l) => p.print(`${stamp()} meter> ${l}`));
  // Over a bridge a connection is the agent; on a serial line it is only the port opening.
  const [up, down] = bridge !== null ? ['the agent connected', 'the agent disconnected'] : ['serial port open', 'serial port closed'];
  meter.on('connection', () => p.print(`${stamp()} -- ${up}`));
  meter.on('disconnect', () => p.print(`${stamp()} -- ${down}`));

  try {
    if (bridge !== null) {
      const actual = await meter.listenTcp(bridge.host, bridge.port);
      p.print(`sim meter: TCP serial bridge on ${bridge.host}:${actual} (agent: han.port: tcp://${bridge.host}:${actual})`);
    } else {
      await meter.openSerial(port!, serial);
      p.print(`sim meter: on ${port} at ${serial.baudRate} ${serial.dataBits}${serial.parity[0]!.toUpperCase()}${serial.stopBits}`);
    }
  } catch (err) {
    process.stderr.write(`sim meter: cannot open ${port ?? listen}: ${(err as Error).message}\n`);
    await meter.close();
    return 1;
  }

  return serveSim({
    name: 'sim meter',
    driver,
    control,
    script: values.script,
    keepRunning: values['keep-running'] === true,
    console: values['no-console'] !== true,
    p,
    close: () => meter.close(),
  });
}
