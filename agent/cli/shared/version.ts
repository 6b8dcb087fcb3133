// The agent's version, from package.json (dist/agent/... and agent/... sit at different depths).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function agentVersion(): string {
  for (const up of ['../../../package.json', '../../../../package.json']) {
    const path = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(path)) {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'hcalcs-agent') return pkg.version;
    }
  }
  return 'unknown';
}
