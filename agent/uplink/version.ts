// The agent's version for the heartbeat and Home Assistant's device card.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function agentVersion(): string {
  // dist/agent/uplink/version.js and agent/uplink/version.ts sit at different depths.
  for (const up of ['../../../package.json', '../../package.json']) {
    const path = fileURLToPath(new URL(up, import.meta.url));
    if (!existsSync(path)) continue;
    const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'hcalcs-agent' && typeof pkg.version === 'string') return pkg.version;
  }
  return 'unknown';
}
