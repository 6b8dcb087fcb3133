// A real Mosquitto (Debian's /usr/sbin/mosquitto) for the uplink tests, started on a free
// loopback port with its own config, optionally with password auth (mosquitto_passwd) and
// TLS (a throw-away CA and server certificate made with openssl at test time). It can be
// stopped and started again on the same port, keeping its sessions (persistence on), as a
// broker outage looks to a gateway. Also: an MQTT subscriber that records what arrives.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { until } from './until.js';
export { until } from './until.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Options for t.test(): skip with the reason when Mosquitto or its tools are absent, never under CI=true. */
export function needsMosquitto(): { skip: string | false } {
  const missing: string[] = [];
  if (!existsSync(MOSQUITTO)) missing.push(`${MOSQUITTO} not installed (apt-get install mosquitto)`);
  if (!has('mosquitto_passwd')) missing.push('mosquitto_passwd not found (apt-get install mosquitto)');
  if (!has('openssl')) missing.push('openssl not found');
  if (missing.length === 0 || process.env.CI === 'true') return { skip: false };
  return { skip: missing.join('; ') };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s: Socket = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export interface TestCerts {
  dir: string;
  ca: string;
  cert: string;
  key: string;
}

/** A CA and a server certificate for 127.0.0.1/localhost, valid for a day. */
export function makeCerts(dir: string): TestCerts {
  const p = (f: string) => join(dir, f);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.crt'),
    '-days',
    '1',
    '-subj',
    '/CN=hcalcs uplink test CA',
  );
  ssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    p('server.key'),
    '-out',
    p('server.csr'),
    '-subj',
    '/CN=localhost',
  );
  writeFileSync(p('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl(
    'x509',
    '-req',
    '-in',
    p('server.csr'),
    '-CA',
    p('ca.crt'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p('server.crt'),
    '-days',
    '1',
    '-extfile',
    p('san.ext'),
  );
  return { dir, ca: p('ca.crt'), cert: p('server.crt'), key: p('server.key') };
}

export interface BrokerOptions {
  auth?: { username: string; password: string };
  tls?: boolean;
}

export class Broker {
  readonly dir: string;
  port = 0;
  certs: TestCerts | undefined;
  private proc: ChildProcess | undefined;
  stderr = '';

  constructor(private readonly o: BrokerOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'hcalcs-mosquitto-'));
  }

  get url(): string {
    return `${this.o.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) {
      this.port = await freePort();
      const lines = [
        `listener ${this.port} 127.0.0.1`,
        // Run as whoever runs the tests (as root mosquitto would switch to its own user, who cannot read the temp dir).
        `user ${userInfo().username}`,
        'persistence true',
        `persistence_location ${this.dir}/`,
        'autosave_interval 1',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        'max_queued_messages 100000',
      ];
      if (this.o.auth) {
        const pw = join(this.dir, 'passwd');
        execFileSync('mosquitto_passwd', ['-b', '-c', pw, this.o.auth.username, this.o.auth.password], { stdio: 'pipe' });
        lines.push('allow_anonymous false', `password_file ${pw}`);
      } else lines.push('allow_anonymous true');
      if (this.o.tls) {
        this.certs = makeCerts(this.dir);
        lines.push(`cafile ${this.certs.ca}`, `certfile ${this.certs.cert}`, `keyfile ${this.certs.key}`);
      }
      writeFileSync(join(this.dir, 'mosquitto.conf'), lines.join('\n') + '\n');
    }
    const proc = spawn(MOSQUITTO, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.proc = proc;
    let exited = false;
    proc.once('exit', () => (exited = true));
    await until(`mosquitto on port ${this.port}`, async () => {
      if (exited) throw new Error(`mosquitto exited: ${this.stderr}`);
      return accepts(this.port);
    });
  }

  /** A clean stop (SIGTERM): mosquitto saves its sessions. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (proc === undefined || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null;
  }
}

/** A broker that accepts TCP connections, reads everything and never answers. */
export async function silentBroker(): Promise<{ port: number; bytes: () => number; connections: () => number; close: () => Promise<void> }> {
  let bytes = 0;
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('data', (d) => (bytes += d.length));
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    bytes: () => bytes,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** A subscriber with a persistent session (clean: false), so nothing published while it reconnects is lost. */
export class Subscriber {
  readonly messages: Received[] = [];
  private client: MqttClient | undefined;

  async connect(url: string, topic: string, options: IClientOptions = {}): Promise<void> {
    const client = mqtt.connect(url, {
      clientId: `test-sub-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      clean: false,
      reconnectPeriod: 200,
      ...options,
    });
    this.client = client;
    client.on('message', (t, p, packet) => this.messages.push({ topic: t, payload: p.toString(), retain: packet.retain }));
    client.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => client.subscribe(topic, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    });
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /** Event rows received on <prefix>/events, parsed, in arrival order (duplicates kept). */
  events(prefix: string): Array<{ id: number; hash: string; kind: string; data: Record<string, unknown> }> {
    return this.on(`${prefix}/events`).map((m) => JSON.parse(m.payload) as { id: number; hash: string; kind: string; data: Record<string, unknown> });
  }

  publish(topic: string, payload: string, retain = false): Promise<void> {
    return new Promise((resolve, reject) => this.client?.publish(topic, payload, { qos: 1, retain }, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await new Promise<void>((resolve) => c.end(true, () => resolve()));
  }
}
