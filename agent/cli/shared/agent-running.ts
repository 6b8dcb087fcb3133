// Is an agent running on this event log? The instance lock (agent/instance-lock.ts) is the
// truth: the kernel drops it the moment the agent dies, kill -9 included. An agent that does
// not take the lock (an older build) is recognised by a fresh status snapshot instead, and
// said so.
import { probeInstanceLock, stateDirOf } from '../../instance-lock.js';
import type { RuntimeSnapshot } from '../../status-snapshot.js';

/** What this needs of the runtime's snapshot; one saved by an older build may lack any of it. */
export type RunningSnapshot = Partial<Pick<RuntimeSnapshot, 'pid' | 'startedAtMs' | 'updatedAtMs' | 'stoppedAtMs'>>;

export type AgentRunning =
  { running: true; pid: number | null; by: 'lock' | 'snapshot' } | { running: false; sinceMs: number | null; how: 'stopped' | 'gone' | 'never' };

/** The agent writes its snapshot every second; without the lock, older than this is not running. */
export const SNAPSHOT_FRESH_MS = 5000;

export function agentRunning(eventLogPath: string, snap: RunningSnapshot | undefined, nowMs: number): AgentRunning {
  const lock = probeInstanceLock(stateDirOf(eventLogPath));
  if (lock.held) return { running: true, pid: lock.pid ?? snap?.pid ?? null, by: 'lock' };
  if (snap === undefined) return { running: false, sinceMs: null, how: 'never' };
  if (!snap.stoppedAtMs && snap.updatedAtMs !== undefined && nowMs - snap.updatedAtMs < SNAPSHOT_FRESH_MS) {
    return { running: true, pid: snap.pid ?? null, by: 'snapshot' };
  }
  if (snap.stoppedAtMs) return { running: false, sinceMs: snap.stoppedAtMs, how: 'stopped' };
  return { running: false, sinceMs: snap.updatedAtMs ?? null, how: 'gone' };
}
