// The one place the agent (agent/compose.ts) turns a config's `mqtt:` section into a running
// uplink, or none.

import type { Logger } from 'pino';
import type { Config, MqttConfig } from '../../config/types.js';
import type { CoreConfig } from '../core/index.js';
import type { EventLog } from '../event-log/types.js';
import { Uplink } from './uplink.js';
import { agentVersion } from './version.js';

export { Uplink };

/**
 * Never throws: an uplink that cannot start (an unreadable password or key file) is logged
 * and recorded, and the agent runs without it; the fleet view must not cost the DNO's control.
 */
export function startUplink(config: Config, parts: { eventLog: EventLog; coreConfig: CoreConfig; logger: Logger }): Uplink | undefined {
  if (config.mqtt === undefined || !config.mqtt.enabled) return undefined;
  try {
    return tryStart(config, config.mqtt, parts);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    parts.logger.error({ err }, 'uplink cannot start; running without it');
    try {
      parts.eventLog.append({ kind: 'uplink.start-failed', data: { error } });
    } catch {
      // The log's own failure is reported by the runtime's next append.
    }
    return undefined;
  }
}

function tryStart(config: Config, mqtt: MqttConfig, parts: { eventLog: EventLog; coreConfig: CoreConfig; logger: Logger }): Uplink {
  const uplink = new Uplink({
    config: mqtt,
    eventLog: parts.eventLog,
    eventLogPath: config.eventLog.path,
    coreConfig: parts.coreConfig,
    chargerIds: config.chargers.map((c) => c.id),
    logger: parts.logger,
    version: agentVersion(),
  });
  uplink.start();
  return uplink;
}
