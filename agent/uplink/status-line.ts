// The uplink's line in `hcalcs-agent status`: connected or not, how many rows wait, the last
// row the broker acknowledged. Read from the snapshot the agent saves (agent/uplink/snapshot.ts).

import type { MqttConfig } from '../../config/types.js';
import type { EventLog } from '../event-log/types.js';
import { UPLINK_STATE_KEY, type UplinkSnapshot } from './snapshot.js';

/** The agent saves every second; older than this, the snapshot is what it last knew. */
const FRESH_WITHIN_MS = 5000;

const hhmmss = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().slice(11, 19) + 'Z');

export function formatUplinkStatus(config: MqttConfig | undefined, snap: UplinkSnapshot | undefined, now: number): string {
  if (config === undefined || !config.enabled) return `uplink    off${snap ? ` (last acked row ${snap.cursor.id})` : ''}`;
  if (snap === undefined) return 'uplink    configured, not started yet (no saved state)';
  const live = snap.stoppedAtMs === null && now - snap.updatedAtMs < FRESH_WITHIN_MS;
  const state = !live
    ? `not running (saved ${hhmmss(snap.stoppedAtMs ?? snap.updatedAtMs)})`
    : snap.connected
      ? `connected to ${snap.url}${snap.lastError && snap.backlog > 0 ? ` (${snap.lastError})` : ''}`
      : `NOT CONNECTED to ${snap.url}${snap.lastError ? ` (${snap.lastError})` : ''}`;
  const acked =
    snap.cursor.id === 0 ? 'no row acked yet' : `last acked row ${snap.cursor.id}${snap.lastAckAtMs !== null ? ` at ${hhmmss(snap.lastAckAtMs)}` : ''}`;
  return `uplink    ${state}; topics ${snap.prefix}/#; backlog ${snap.backlog} row${snap.backlog === 1 ? '' : 's'}; ${acked}`;
}

/** The uplink part of `status`: the text line and the JSON (null when no uplink ever ran). */
export function uplinkStatus(config: MqttConfig | undefined, log: Pick<EventLog, 'loadState'>, now: number): { line: string; json: UplinkSnapshot | null } {
  let snap: UplinkSnapshot | undefined;
  try {
    snap = log.loadState<UplinkSnapshot>(UPLINK_STATE_KEY);
  } catch {
    snap = undefined;
  }
  return { line: formatUplinkStatus(config, snap, now), json: snap ?? null };
}
