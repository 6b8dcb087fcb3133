// The config a bench runs the agent with: demo-like (one Alfen Eve over Modbus TCP, switch 2
// bound to it), the HAN line on a pty, everything else default.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes DIR/config.yaml and returns its path; `extra` is appended (top-level YAML keys). */
export function writeAgentConfig(dir, { hanPort, modbusPort, logLevel = 'warn', restoreMaxDelayS = 0, extra = '' }) {
  const path = join(dir, 'config.yaml');
  writeFileSync(
    path,
    `version: 1
han:
  port: ${hanPort}
chargers:
  - id: garage
    profile: alfen-eve
    transport: { type: tcp, host: 127.0.0.1, port: ${modbusPort} }
    unitId: 1
    maxCurrentA: 32
bindings:
  - { switch: 2, chargers: [garage], reducedCurrentA: 6 }
rules:
  restore: { maxDelayS: ${restoreMaxDelayS} }
eventLog: { path: ${join(dir, 'events.db')} }
log: { level: ${logLevel} }
${extra}`,
  );
  return path;
}
