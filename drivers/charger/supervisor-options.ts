// What the runtime hands a charger supervisor and what it reads back from one.

import type { Logger } from 'pino';
import type { ChargerReading, WriteOutcome } from './charger.js';
import type { Clock } from '../clock.js';
import type { FailsafeReport } from './profile-driver.js';
import type { VerificationOptions, VerificationState } from './machine/types.js';
import type { ChargerEventSink } from './events.js';

export type { SupervisorEventKind, VerificationOptions, VerificationState } from './machine/types.js';

export type SupervisorEvent = ChargerEventSink;

export interface SupervisorOptions {
  logger: Logger;
  clock?: Clock;
  /** Shadow mode: decide and record "would write", write nothing. */
  dryRun?: boolean;
  verification?: Partial<VerificationOptions>;
  /** Read-back period for chargers without a keep-alive; default 30 s. */
  readBackPeriodMs?: number;
  /** Background reconnect: first wait, doubling up to the cap. Default 1 s .. 60 s. */
  reconnect?: { initialMs: number; maxMs: number };
  /**
   * For chargers whose setpoint cannot be read back at all: how often it is rewritten, so a
   * reboot that lost it is mended within this time; default one keep-alive period. Quiet
   * unless it fails.
   */
  blindRewriteMs?: number;
  /** How often a keep-alive period also takes a full reading (status, currents); default 10 s. */
  readingPeriodMs?: number;
  /** Consecutive failed periodic cycles before the charger counts as disconnected; default 3. */
  maxFailedCycles?: number;
  /** A failed write is retried after this wait, doubling over failures in a row up to the
   *  cap (and never later than one keep-alive period); default 250 ms .. 5 s. */
  writeRetry?: { initialMs: number; maxMs: number };
  onEvent?: SupervisorEvent;
}

export type SupervisorState = {
  id: string;
  profileId: string;
  connected: boolean;
  dryRun: boolean;
  lastError: string | null;
  /** The limit the charger last acknowledged (null: unknown or not written yet). */
  appliedLimitA: number | null;
  desiredLimitA: number | null;
  explanation: string | null;
  /** Shadow mode: what would have been written. */
  wouldWriteA: number | null;
  lastReading: ChargerReading | null;
  lastReadingAtMs: number | null;
  lastWrite: (WriteOutcome & { atMs: number }) | null;
  verification: VerificationState;
  failsafe: FailsafeReport | null;
  keepAlivePeriodMs: number | null;
};
