// The charger of config/examples/generic-tcp.yaml for the interop tests: its config read
// from that file (pointed at a peer), its watchdog as a pymodbus peer spec, and the charger
// CLI run in-process with a real event log.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { source } from '../helpers/paths.js';
import pino from 'pino';
import { chargerCommand } from '../../agent/cli/charger.js';
import { openEventLog } from '../../agent/event-log/store.js';
import { profileViewFactory } from '../../agent/profile-view.js';
import { parseConfig } from '../../config/load.js';
import type { Config } from '../../config/types.js';
import type { WatchdogSpec } from '../helpers/pymodbus-peer.js';

const logger = pino({ level: 'silent' });

export const EXAMPLE = source('config/examples/generic-tcp.yaml');

/** The example config, pointed at the peer, with an event log in `dir`; `edit` changes the YAML text. */
export function exampleConfig(port: number, dir: string, edit: (yaml: string) => string = (y) => y): Config {
  let text = readFileSync(EXAMPLE, 'utf8').replace('host: 192.168.1.50, port: 502', `host: 127.0.0.1, port: ${port}`);
  text = edit(text.replace('path: /var/lib/hcalcs-agent/events.db', `path: ${join(dir, 'events.db')}`));
  const loaded = parseConfig(text, EXAMPLE, { profiles: profileViewFactory({ brokenFiles: 'error', siteDir: join(dir, 'no-site') }) });
  if (!loaded.ok) throw new Error(`example config: ${loaded.problems.join('; ')}`);
  return loaded.config;
}

/** The watchdog of the example charger: `timeoutS` without a write to 301 -> 300 reads 302's current. */
export function exampleWatchdog(timeoutS: number, fallbackRaw = 60): WatchdogSpec {
  return { unit: 1, watch: [301], timeoutS, setpoint: { address: 300, count: 1 }, fallback: [fallbackRaw] };
}

export async function runCli(
  config: Config,
  dir: string,
  argv: string[],
): Promise<{ code: number; text: string; errText: string; json: Record<string, unknown> | null }> {
  const eventLog = openEventLog(config.eventLog.path);
  const out = new PassThrough();
  const err = new PassThrough();
  let text = '';
  let errText = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  err.on('data', (d: Buffer) => (errText += d.toString()));
  try {
    const code = await chargerCommand(argv, {
      config,
      logger,
      eventLog,
      out,
      err,
      agentRunning: () => ({ held: false, pid: null, path: join(dir, 'agent.lock') }),
    });
    let json: Record<string, unknown> | null = null;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = null;
    }
    return { code, text, errText, json };
  } finally {
    eventLog.close();
  }
}
