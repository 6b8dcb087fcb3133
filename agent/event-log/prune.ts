// Retention (Smart Charge Points Regulations Reg 9 asks for 12 months): rows older than
// eventLog.retentionDays are removed by a daily node-cron job. It runs on its own connection
// and removes a few hundred rows per transaction, yielding to the event loop between
// batches, so the agent's appends wait at most one short batch for the lock. The chain stays
// verifiable from the checkpoint (the newest pruned row's id and hash), and the pruning is
// itself recorded as a log.pruned event naming that checkpoint.
import cron from 'node-cron';
import type { Logger } from 'pino';
import { openEventLogStore, type EventLogStore } from './store.js';
import type { Checkpoint } from './types.js';

export const DAY_MS = 86_400_000;
/** Rows per transaction: a few milliseconds of lock on a gateway's SD card. */
export const PRUNE_BATCH_ROWS = 500;

export interface PruneResult {
  pruned: number;
  batches: number;
  cutoffMs: number;
  checkpoint: Checkpoint | null;
  tookMs: number;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Prunes rows written before nowMs - retentionDays, batch by batch, and records log.pruned
 * if any went. Safe to call on a log that another connection (the agent) is appending to.
 */
export async function pruneOnce(
  log: EventLogStore,
  o: { retentionDays: number; nowMs: number; batchRows?: number; clock?: () => number },
): Promise<PruneResult> {
  const clock = o.clock ?? Date.now;
  const started = clock();
  const cutoffMs = o.nowMs - o.retentionDays * DAY_MS;
  let pruned = 0;
  let batches = 0;
  let checkpoint: Checkpoint | null = log.pruneCheckpoint();
  for (;;) {
    const r = log.pruneBatch(cutoffMs, o.batchRows ?? PRUNE_BATCH_ROWS);
    if (r.pruned > 0) batches++;
    pruned += r.pruned;
    checkpoint = r.checkpoint;
    if (!r.more) break;
    await yieldToLoop();
  }
  const tookMs = clock() - started;
  if (pruned > 0 && checkpoint !== null) {
    log.append({
      kind: 'log.pruned',
      data: {
        rows: pruned,
        retentionDays: o.retentionDays,
        cutoffMs,
        throughId: checkpoint.throughId,
        throughHash: checkpoint.throughHash,
        throughAtMs: checkpoint.throughAtMs,
        batches,
        tookMs,
      },
    });
  }
  return { pruned, batches, cutoffMs, checkpoint, tookMs };
}

/** The daily job `run` and `demo` start; returns its stop. */
export function schedulePruning(o: { path: string; retentionDays: number; schedule: string; logger: Logger }): () => Promise<void> {
  let running: Promise<unknown> | null = null;
  const job = cron.schedule(
    o.schedule,
    () => {
      if (running !== null) return;
      running = (async () => {
        let log: EventLogStore | undefined;
        try {
          log = openEventLogStore(o.path);
          const r = await pruneOnce(log, { retentionDays: o.retentionDays, nowMs: Date.now() });
          if (r.pruned > 0) o.logger.info({ pruned: r.pruned, batches: r.batches, tookMs: r.tookMs }, 'event log pruned');
        } catch (err) {
          o.logger.error({ err }, 'event log pruning failed; it is tried again at the next scheduled time');
        } finally {
          log?.close();
        }
      })().finally(() => {
        // Cleared once the run settles, never inside it: a failure before the body's first
        // await (the log cannot be opened) would clear it before the assignment above, leaving
        // a settled promise that skipped every later run.
        running = null;
      });
    },
    { name: 'event-log-prune' },
  );
  return async () => {
    await job.destroy();
    if (running !== null) await running;
  };
}
