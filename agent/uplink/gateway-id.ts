// The gateway's name on the broker: mqtt.gatewayId if set, else derived from the machine so
// a fleet of identically configured gateways still gets one topic tree each. machine-id is
// stable across reboots and re-installs of the agent (systemd writes it once per OS install);
// the host name is the fallback for systems without it.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { MqttConfig } from '../../config/types.js';

export interface GatewaySources {
  machineId: () => string | undefined;
  hostname: () => string;
}

export const systemSources: GatewaySources = {
  machineId: () => {
    try {
      return readFileSync('/etc/machine-id', 'utf8');
    } catch {
      return undefined;
    }
  },
  hostname,
};

/** First 12 hex digits of machine-id, else the host name made topic-safe. */
export function deriveGatewayId(sources: GatewaySources = systemSources): string {
  const mid = sources.machineId()?.trim().toLowerCase() ?? '';
  if (/^[0-9a-f]{12,}$/.test(mid)) return mid.slice(0, 12);
  const host = sources
    .hostname()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return host === '' ? 'unnamed' : host;
}

export interface UplinkIdentity {
  gatewayId: string;
  clientId: string;
  prefix: string;
}

export function identityOf(mqtt: MqttConfig, sources: GatewaySources = systemSources): UplinkIdentity {
  const gatewayId = mqtt.gatewayId ?? deriveGatewayId(sources);
  return {
    gatewayId,
    clientId: mqtt.clientId ?? `hcalcs-${gatewayId}`,
    prefix: mqtt.topicPrefix ?? `hcalcs/${gatewayId}`,
  };
}
