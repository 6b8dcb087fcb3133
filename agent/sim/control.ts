// A simulator's control API for other tools: one command a line over a loopback TCP port or a
// Unix socket; each answer is the command's output followed by a line "ok" or "error: ...".
// Off unless asked for, and never listening beyond loopback: it drives a test rig, and on a
// shared network anyone could otherwise flip the rig's switches.

import { chmodSync, lstatSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import { CommandError } from './words.js';
import { sleep, type CommandDriver } from './console.js';

export type ControlAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Parses `--control`: `unix:/path/to.sock`, `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`. */
export function parseControlAddress(text: string): ControlAddress | { error: string } {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    return path ? { kind: 'unix', path } : { error: '--control unix: needs a socket path' };
  }
  const m = /^(.*):(\d+)$/.exec(text);
  if (!m) return { error: `--control ${JSON.stringify(text)}: expected unix:/path or 127.0.0.1:PORT` };
  const host = m[1]!;
  if (!LOOPBACK.has(host)) return { error: `--control: ${host} is not a loopback address; the control API listens on 127.0.0.1, ::1 or a Unix socket only` };
  const port = Number(m[2]);
  if (port > 65535) return { error: `--control: port ${port} is out of range` };
  return { kind: 'tcp', host: host.replace(/^\[|\]$/g, ''), port };
}

export interface ControlServer {
  /** Where it listens, for the console banner (the real port when 0 was asked). */
  where: string;
  close(): Promise<void>;
}

export function startControl(address: ControlAddress, driver: CommandDriver, onQuit: () => void): Promise<ControlServer> {
  const server: Server = createServer((socket) => {
    const rl = createInterface({ input: socket });
    let chain = Promise.resolve();
    rl.on('line', (line) => {
      chain = chain.then(async () => {
        let reply: string;
        let quit = false;
        try {
          const o = driver.run(line);
          if (o.waitMs) await sleep(o.waitMs);
          reply = (o.text ? o.text + '\n' : '') + 'ok\n';
          quit = o.quit === true;
        } catch (err) {
          if (!(err instanceof CommandError) && !(err instanceof RangeError)) throw err;
          reply = `error: ${err.message}\n`;
        }
        if (!socket.destroyed) socket.write(reply);
        if (quit) onQuit();
      });
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      const a = server.address();
      const where = address.kind === 'unix' ? `unix:${address.path}` : typeof a === 'object' && a ? `${address.host}:${a.port}` : String(a);
      resolve({ where, close: () => new Promise((r) => server.close(() => r())) });
    };
    if (address.kind === 'unix') {
      // A socket file left by a simulator that died would block the next one.
      // Only a socket is removed: a mistyped path must never cost someone a file.
      let stale = false;
      try {
        stale = lstatSync(address.path).isSocket();
      } catch {
        stale = false;
      }
      if (stale) rmSync(address.path);
      server.listen(address.path, () => {
        chmodSync(address.path, 0o600);
        done();
      });
    } else server.listen(address.port, address.host, done);
  });
}
