// What the running uplink leaves in the event log's state table, every second and when it
// stops: the durable cursor (the last row the broker acknowledged; a restart resumes after
// it) and what `hcalcs-agent status` shows of the uplink.

import type { Cursor } from './forwarder.js';

export const UPLINK_STATE_KEY = 'uplink';

export interface UplinkSnapshot {
  pid: number;
  /** Broker URL without credentials. */
  url: string;
  prefix: string;
  gatewayId: string;
  connected: boolean;
  cursor: Cursor;
  /** Newest row in the log when saved; backlog = headId - cursor.id. */
  headId: number;
  backlog: number;
  lastAckAtMs: number | null;
  lastConnectAtMs: number | null;
  lastDisconnectAtMs: number | null;
  lastError: string | null;
  updatedAtMs: number;
  /** Set by a clean stop. */
  stoppedAtMs: number | null;
}
