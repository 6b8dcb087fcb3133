// What the running agent leaves in its event log's state table for `status`, `doctor`, the
// uplink and the owner commands to read (agent/runtime.ts writes it every poll): one type for
// the writer and every reader, so a field renamed on one side fails to compile on the other.

import type { SupervisorState } from '../drivers/charger/supervisor.js';

/** The key the snapshot is saved under (agent/event-log state table). */
export const STATE_KEY_RUNTIME = 'runtime';

/** A charger whose profile is broken: the agent leaves it alone (agent/compose.ts). */
export type DisabledChargerStatus = { id: string; connected: false; disabled: true; lastError: string };

/** One charger as `status` shows it: its supervisor's state, or why it is not driven. */
export type ChargerStatus = SupervisorState | DisabledChargerStatus;

/** The save of the core state, as `status` shows it. */
export interface SaveHealth {
  ok: boolean;
  failingSinceMs: number | null;
  attempts: number;
  error: string | null;
}

export interface RuntimeSnapshot {
  pid: number;
  dryRun: boolean;
  startedAtMs: number;
  updatedAtMs: number;
  /** Set by a clean stop, so `status` never shows a stopped agent as running. */
  stoppedAtMs: number | null;
  linkUp: boolean;
  lastLineAtMs: number | null;
  chargers: Record<string, ChargerStatus>;
  /** Wall clock minus the agent's timeline (the core's times): non-zero after a clock step. */
  coreOffsetMs: number;
  stateSave: SaveHealth;
}
