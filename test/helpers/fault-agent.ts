// The agent as a real child process (`run`), for fault tests: a charger simulator and a HAN
// emulator in the test process, the agent between them, killed and restarted at will. What
// the charger was written is read from the simulator's own request log.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ChargerSimulator } from '../../drivers/charger/simulator.js';
import { MAIN_JS } from './paths.js';

export interface AgentProcess {
  child: ChildProcess;
  /** Resolves once the agent logs that it runs (its start is done). */
  running: Promise<void>;
  exited: Promise<number | NodeJS.Signals | null>;
  /** The agent's log lines so far (pino JSON). */
  log: string[];
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export function writeAgentConfig(dir: string, o: { hanPort: string; chargerPort: number; maxDelayS: number; extraRules?: string }): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(
    path,
    `han:
  port: ${o.hanPort}
  reconnect: { initialMs: 100, maxMs: 500 }
chargers:
  - id: garage
    profile: alfen-eve
    transport: { type: tcp, host: 127.0.0.1, port: ${o.chargerPort} }
    unitId: 1
    maxCurrentA: 32
bindings:
  - { switch: 2, chargers: [garage], reducedCurrentA: 6 }
rules:
  restore: { maxDelayS: ${o.maxDelayS} }
${o.extraRules ?? ''}
eventLog: { path: ${join(dir, 'events.db')} }
log: { level: info }
`,
  );
  return path;
}

export function startAgentProcess(configPath: string, o: { env?: NodeJS.ProcessEnv; prefix?: string[] } = {}): AgentProcess {
  const argv = [...(o.prefix ?? []), process.execPath, MAIN_JS, 'run', '--config', configPath];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } });
  const log: string[] = [];
  const exited = new Promise<number | NodeJS.Signals | null>((r) => child.once('exit', (code, signal) => r(signal ?? code)));
  const running = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      log.push(l);
      if (l.includes('"msg":"agent running"')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
    void exited.then((how) => reject(new Error(`agent exited (${String(how)}) before running: ${log.slice(-5).join('\n')}`)));
  });
  running.catch(() => undefined);
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    running,
    exited,
    log,
    async kill9() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!gone()) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface SetpointWrite {
  atMs: number;
  limitA: number;
}

/** Every setpoint (Alfen 1210, float32) written to unit 1, with the simulator's time. */
export function recordSetpoints(sim: ChargerSimulator): SetpointWrite[] {
  const out: SetpointWrite[] = [];
  const push = sim.requests.push.bind(sim.requests);
  sim.requests.push = (...reqs) => {
    for (const r of reqs) {
      if (r.unitId !== 1 || r.fc !== 16 || r.address !== 1210 || !r.values || r.values.length < 2) continue;
      const b = Buffer.alloc(4);
      b.writeUInt16BE(r.values[0]!, 0);
      b.writeUInt16BE(r.values[1]!, 2);
      out.push({ atMs: r.atMs, limitA: Math.round(b.readFloatBE(0) * 100) / 100 });
    }
    return push(...reqs);
  };
  return out;
}
