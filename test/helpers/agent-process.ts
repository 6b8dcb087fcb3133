// The real agent as a separate process (`hcalcs-agent run`), between a meter-side emulator
// (HAN over a loopback TCP bridge) and a simulated Alfen Eve (Modbus TCP), both in the test
// process. What the agent did is read from the charger's side (the setpoint it was written)
// and from its journal (pino JSON on stdout).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { MeterEmulator } from '../../drivers/han/emulator.js';
import { ChargerSimulator } from '../../drivers/charger/simulator.js';
import { loadProfiles } from '../../drivers/charger/profile.js';
import { openEventLogStore } from '../../agent/event-log/store.js';

import { MAIN_JS } from './paths.js';

export interface Rig {
  dir: string;
  configPath: string;
  eventLogPath: string;
  meter: MeterEmulator;
  sim: ChargerSimulator;
  setpoint(): number | null;
}

/** Emulator, simulator and a config for them; eventLogPath defaults to DIR/state/events.db. */
export async function startRig(t: Test, o: { eventLogPath?: string } = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-proc-'));
  const meter = new MeterEmulator({ heartbeatMs: 1000 });
  meter.setSwitch(2, 'closed', { cause: 'calendar' });
  meter.setLabel(2, 'EV Charger');
  const hanPort = await meter.listenTcp('127.0.0.1', 0);
  const alfen = loadProfiles().get('alfen-eve');
  if (!alfen) throw new Error('alfen-eve profile missing');
  const sim = await ChargerSimulator.start({ units: [{ unitId: 1, profile: alfen, carDelayMs: 200, timeoutS: 60, safeCurrentA: 6 }] });
  t.teardown(async () => {
    await meter.close();
    await sim.close();
  });
  const eventLogPath = o.eventLogPath ?? join(dir, 'state', 'events.db');
  const configPath = join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    `version: 1
han:
  port: tcp://127.0.0.1:${hanPort}
  reconnect: { initialMs: 100, maxMs: 500 }
chargers:
  - id: garage
    profile: alfen-eve
    transport: { type: tcp, host: 127.0.0.1, port: ${sim.port} }
    unitId: 1
    maxCurrentA: 32
bindings:
  - switch: 2
    chargers: [garage]
    reducedCurrentA: 6
rules:
  restore: { maxDelayS: 0 }
eventLog:
  path: ${eventLogPath}
log:
  level: info
`,
  );
  return { dir, configPath, eventLogPath, meter, sim, setpoint: () => sim.unit(1).setpointA };
}

export interface AgentProcess {
  proc: ChildProcess;
  pid: number;
  /** Parsed journal lines so far. */
  journal: Array<Record<string, unknown>>;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForJournal(pred: (l: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Spawns `hcalcs-agent <args>`; killed (SIGKILL) at teardown if still running. */
export function spawnAgent(t: Test, args: string[], o: { env?: NodeJS.ProcessEnv; wrap?: string[] } = {}): AgentProcess {
  const cmd = [...(o.wrap ?? []), process.execPath, MAIN_JS, ...args];
  const proc = spawn(cmd[0] as string, cmd.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...o.env },
  });
  const journal: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        journal.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        journal.push({ raw: line });
      }
    }
    for (const w of waiters) w();
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  return {
    proc,
    pid: proc.pid as number,
    journal,
    stderr: () => err,
    exited,
    waitForJournal(pred, what, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = journal.find(pred);
          if (hit) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no journal line "${what}" in ${timeoutMs} ms; stderr: ${err.slice(-800)}; journal tail: ${JSON.stringify(journal.slice(-5))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
        void exited.then(() => {
          if (waiters.has(check)) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`agent exited before "${what}"; stderr: ${err.slice(-800)}`));
          }
        });
      });
    },
  };
}

/** Polls a condition (no deadline semantics in the assertion: the limit only ends a hung wait). */
export async function waitUntil(pred: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A DNO reduction on switch 2 and its reset, each seen at the charger. Starts from the charger
 * written 32 A (switch closed), so the 6 A seen next can only be the agent's reduction.
 */
export async function dnoCycle(rig: Rig): Promise<void> {
  await waitUntil(() => rig.setpoint() === 32, 'the charger written 32 A before the reduction');
  rig.meter.setSwitch(2, 'open', { cause: 'dno', durMin: 30 });
  await waitUntil(() => rig.setpoint() === 6, 'the charger written 6 A');
  rig.meter.setSwitch(2, 'closed', { cause: 'reset' });
  await waitUntil(() => rig.setpoint() === 32, 'the charger written 32 A');
}

export const running = (a: AgentProcess) => a.waitForJournal((l) => l.msg === 'agent running', 'agent running');
export const msgStarts = (prefix: string) => (l: Record<string, unknown>) => typeof l.msg === 'string' && l.msg.startsWith(prefix);

/** Every row and the chain check of a log, read as a CLI would (readonly). */
export function readLog(path: string) {
  const s = openEventLogStore(path, { readonly: true });
  try {
    return { rows: s.query({}), verify: s.verify() };
  } finally {
    s.close();
  }
}

export const okWritesOf = (rows: ReturnType<typeof readLog>['rows'], limitA: number) =>
  rows.filter((r) => r.kind === 'charger.write' && r.data.limitA === limitA && r.data.ok === true);

/** `hcalcs-agent status` on the rig's config, its output as text. */
export async function status(t: Test, rig: Rig): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawnAgent(t, ['status', '--config', rig.configPath]);
  const { code } = await p.exited;
  return { code, out: p.journal.map((l) => (typeof l.raw === 'string' ? l.raw : JSON.stringify(l))).join('\n'), err: p.stderr() };
}

/** TCP ports this process listens on (its socket inodes matched against /proc/net/tcp*). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1] as string);
    } catch {
      // fd closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] local address:port (hex), f[3] state (0A = LISTEN), f[9] inode
      if (f[3] === '0A' && inodes.has(f[9] as string)) ports.push(Number.parseInt((f[1] as string).split(':')[1] as string, 16));
    }
  }
  return ports;
}

/** Small file systems need a tmpfs mount, which needs root: skip elsewhere, except under CI=true. */
export const mountSkip: string | false = process.env.CI === 'true' || process.getuid?.() === 0 ? false : 'needs root for a tmpfs mount';

export function mountTmpfs(t: Test, dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', dir]);
    } catch {
      // already gone
    }
  });
}

/** Fills the file system holding dir to the last byte; returns the filler's path. */
export function fillDisk(dir: string): string {
  const path = `${dir}/filler`;
  const fd = openSync(path, 'w');
  try {
    for (const size of [4096, 1]) {
      const block = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, block);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}
