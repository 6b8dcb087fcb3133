// Runs test/fixtures/uplink-agent.ts (compiled) as a child process and talks to it over stdin/stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseConfig } from '../../config/load.js';
import type { MqttConfig } from '../../config/types.js';
import type { UplinkSnapshot } from '../../agent/uplink/snapshot.js';
import { until } from './mosquitto.js';
import { built } from './paths.js';

const CHILD = built('test/fixtures/uplink-agent.js');

/** An mqtt section as the agent reads it: YAML through the real loader, schema defaults filled. */
export function mqttConfig(section: Record<string, unknown>, cwd = process.cwd()): MqttConfig {
  const doc = {
    han: { port: 'tcp://127.0.0.1:1' },
    chargers: [{ id: 'garage', profile: 'alfen-eve', transport: { type: 'tcp', host: '127.0.0.1', port: 1 }, maxCurrentA: 32 }],
    bindings: [],
    mqtt: section,
  };
  const loaded = parseConfig(JSON.stringify(doc), 'test', { cwd });
  if (!loaded.ok) throw new Error(`mqtt test config refused: ${loaded.problems.join('; ')}`);
  return loaded.config.mqtt as MqttConfig;
}

export class UplinkChild {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  exited = false;
  stderr = '';

  constructor(db: string, mqtt: MqttConfig) {
    this.proc = spawn(process.execPath, [CHILD, JSON.stringify({ db, mqtt })], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: process.env,
    });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => this.lines.push(l));
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.proc.once('exit', () => (this.exited = true));
  }

  async ready(): Promise<void> {
    await until(
      'the uplink child to start',
      () => {
        if (this.exited) throw new Error(`uplink child exited: ${this.stderr}`);
        return this.lines.some((l) => l.includes('"ready"'));
      },
      120_000,
    );
  }

  send(cmd: string): void {
    this.proc.stdin!.write(cmd + '\n');
  }

  async snap(): Promise<UplinkSnapshot> {
    const before = this.lines.length;
    this.send('snap');
    await until('a snapshot', () => this.lines.slice(before).some((l) => l.includes('"cursor"')), 30_000);
    return JSON.parse(this.lines.slice(before).find((l) => l.includes('"cursor"')) as string) as UplinkSnapshot;
  }

  kill9(): Promise<void> {
    return new Promise((resolve) => {
      if (this.exited) return resolve();
      this.proc.once('exit', () => resolve());
      this.proc.kill('SIGKILL');
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.exited) return resolve();
      this.proc.once('exit', () => resolve());
      this.send('stop');
    });
  }
}
