// Drives a simulator's commands three ways: an interactive console (readline, with help and
// tab completion), a script file (one command a line, `wait` between), and one-off commands
// given on the command line. The simulator itself only knows how to run one line.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { completer, CommandError, type CommandOutcome, type CommandSpec } from './words.js';
import { EXIT } from '../cli/shared/exit-codes.js';

export interface CommandDriver {
  specs: CommandSpec[];
  run(line: string): CommandOutcome;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A printer that keeps an interactive prompt intact when the simulator reports something. */
export interface Printer {
  print(text: string): void;
  /** Set while a console owns the terminal: redraws its prompt after each print. */
  attach(redraw: (() => void) | null): void;
}

export function printer(out: NodeJS.WritableStream = process.stdout): Printer {
  let redraw: (() => void) | null = null;
  const tty = (out as NodeJS.WriteStream).isTTY === true;
  return {
    print(text) {
      if (text === '') return;
      out.write((redraw && tty ? '\r\x1b[K' : '') + text + '\n');
      if (redraw && tty) redraw();
    },
    attach(r) {
      redraw = r;
    },
  };
}

/** Time of day with ms, for the simulators' traces. */
export function stamp(ms = Date.now()): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/**
 * Reads commands from `input` until it ends or `quit`. Resolves with true on quit, false at
 * the end of input. A bad command prints its error and the console goes on.
 */
export function runConsole(
  driver: CommandDriver,
  input: NodeJS.ReadableStream,
  p: Printer,
  prompt: string,
  output: NodeJS.WritableStream = process.stdout,
): Promise<boolean> {
  const tty = (input as NodeJS.ReadStream).isTTY === true;
  const rl = createInterface({ input, output: tty ? output : undefined, terminal: tty, completer: completer(driver.specs), prompt });
  // Reports that arrive while the console waits for input redraw the prompt; while a command
  // runs its own output comes first and the prompt follows once.
  const idle = (on: boolean) => p.attach(tty && on ? () => rl.prompt(true) : null);
  idle(true);
  let chain = Promise.resolve();
  return new Promise((resolve) => {
    let quit = false;
    rl.on('line', (line) => {
      idle(false);
      chain = chain.then(async () => {
        if (quit) return;
        try {
          const o = driver.run(line);
          p.print(o.text);
          if (o.waitMs) await sleep(o.waitMs);
          if (o.quit) {
            quit = true;
            rl.close();
          }
        } catch (err) {
          if (!(err instanceof CommandError) && !(err instanceof RangeError)) throw err;
          p.print(`error: ${err.message}`);
        }
        if (tty && !quit) {
          idle(true);
          rl.prompt();
        }
      });
    });
    rl.on('close', () => {
      p.attach(null);
      void chain.then(() => resolve(quit));
    });
    if (tty) rl.prompt();
  });
}

/** Runs a script file; the first bad line stops it with `FILE:LINE: message`. */
export async function runScript(driver: CommandDriver, file: string, p: Printer): Promise<{ ok: true; quit: boolean } | { ok: false; error: string }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, error: `${file}: ${(err as Error).message}` };
  }
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    try {
      const o = driver.run(line);
      p.print(o.text === '' ? '' : `${stamp()} ${file}:${i + 1}: ${o.text}`);
      if (o.waitMs) await sleep(o.waitMs);
      if (o.quit) return { ok: true, quit: true };
    } catch (err) {
      if (!(err instanceof CommandError) && !(err instanceof RangeError)) throw err;
      return { ok: false, error: `${file}:${i + 1}: ${err.message}` };
    }
  }
  return { ok: true, quit: false };
}

/**
 * What a simulator does with its commands once it runs: a script file (then it ends, unless
 * --keep-running), or the interactive console unless --no-console. finish(code) ends the sim:
 * 65 (EX_DATAERR) for a script that fails, 0 otherwise.
 */
export function driveSim(o: {
  name: string;
  driver: CommandDriver;
  script: string | undefined;
  /** --keep-running: stay up once the script is done. */
  keepRunning: boolean;
  /** Not --no-console: read commands from stdin. */
  console: boolean;
  p: Printer;
  finish: (code: number) => void;
}): void {
  const { name, driver, script, p, finish } = o;
  if (script !== undefined) {
    void runScript(driver, script, p).then((r) => {
      if (!r.ok) {
        process.stderr.write(`${name}: ${r.error}\n`);
        finish(EXIT.DATAERR);
      } else if (r.quit || !o.keepRunning) finish(EXIT.OK);
    });
  } else if (o.console) {
    p.print('type "help" for the commands, Tab completes');
    void runConsole(driver, process.stdin, p, `${name.replace(' ', '-')}> `).then(() => finish(0));
  }
}
