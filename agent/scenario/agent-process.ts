// The agent under test as its own process, black box: started with the scenario's config,
// stopped with SIGTERM, killed with SIGKILL, and asked through its own commands (status
// --json, restore-now, manual-limit), exactly as an engineer on site would.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** This installation's own agent: the same node and the main module beside the runner's. */
export function defaultAgentCommand(): string[] {
  return [process.execPath, fileURLToPath(new URL('../main.js', import.meta.url))];
}

function agentEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // The agent under test is no systemd service, and must read only the config it is given.
  for (const k of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'HCALCS_CONFIG']) delete env[k];
  return env;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class AgentProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly log: WriteStream;
  private stderrTail = '';
  /** Every exit: how and when (ms since the epoch). */
  readonly exits: Array<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }> = [];

  constructor(
    private readonly command: string[],
    private readonly configPath: string,
    logFile: string,
    private readonly dryRun = false,
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
  }

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the agent; resolves once it reports "agent running", rejects if it exits first. */
  start(timeoutMs = 120_000): Promise<void> {
    if (this.child) return Promise.resolve();
    const [cmd, ...args] = this.command;
    const child = spawn(cmd!, [...args, 'run', '--config', this.configPath, ...(this.dryRun ? ['--dry-run'] : [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: agentEnv(),
    });
    this.child = child;
    this.stderrTail = '';
    this.log.write(`--- agent started, pid ${child.pid} at ${new Date().toISOString()}\n`);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exits.push({ code, signal, atMs: Date.now() });
        this.log.write(`--- agent exited: ${signal ?? `code ${code}`} at ${new Date().toISOString()}\n`);
        if (this.child === child) this.child = null;
        resolve();
      }),
    );
    child.stderr!.on('data', (d: Buffer) => {
      this.log.write(d);
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
    });
    return new Promise((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        if (!ready) reject(new Error(`the agent did not report "agent running" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        this.log.write(line + '\n');
        if (!ready && line.includes('"msg":"agent running"')) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      });
      void this.exited.then(() => {
        if (ready) return;
        clearTimeout(timer);
        const e = this.exits.at(-1);
        reject(new Error(`the agent exited at start (${e?.signal ?? `code ${e?.code}`}): ${this.stderrTail.trim().slice(-600) || 'no stderr; see its log'}`));
      });
    });
  }

  /** SIGTERM and wait; SIGKILL after graceMs. */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }

  /** kill -9: no goodbye, nothing flushed. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** Runs one of the agent's commands against the same config. */
  cli(args: string[]): Promise<CliResult> {
    const [cmd, ...pre] = this.command;
    return new Promise((resolve) => {
      const p = spawn(cmd!, [...pre, ...args, '--config', this.configPath], { stdio: ['ignore', 'pipe', 'pipe'], env: agentEnv() });
      let stdout = '';
      let stderr = '';
      p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', (err) => resolve({ code: null, stdout, stderr: stderr + err.message }));
      p.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((r) => this.log.end(() => r()));
  }
}
