// A simulator's life once its device is open, the same for `sim meter` and `sim charger`: the
// control API if asked for, Ctrl-C and SIGTERM, the script or the console (driveSim), and an
// orderly end that closes the control API, then the device, then lets go of stdin.

import { driveSim, type CommandDriver, type Printer } from './console.js';
import { startControl, type ControlAddress, type ControlServer } from './control.js';

/** Runs the simulator until it is finished; resolves with its exit code. */
export async function serveSim(o: {
  name: string;
  driver: CommandDriver;
  control: ControlAddress | null;
  script: string | undefined;
  keepRunning: boolean;
  console: boolean;
  p: Printer;
  /** Closes the simulated device (and whatever watches it). */
  close: () => Promise<void>;
}): Promise<number> {
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((r) => (finish = r));
  let controlServer: ControlServer | null = null;
  if (o.control !== null) {
    try {
      controlServer = await startControl(o.control, o.driver, () => finish(0));
      o.p.print(`${o.name}: control API on ${controlServer.where}`);
    } catch (err) {
      process.stderr.write(`${o.name}: control API: ${(err as Error).message}\n`);
      await o.close();
      return 1;
    }
  }
  const onSignal = () => finish(0);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  driveSim({ name: o.name, driver: o.driver, script: o.script, keepRunning: o.keepRunning, console: o.console, p: o.p, finish });
  const code = await finished;
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  await controlServer?.close();
  await o.close();
  // The console's readline keeps stdin referenced; nothing else is left to wait for.
  process.stdin.pause();
  process.stdin.unref?.();
  return code;
}
