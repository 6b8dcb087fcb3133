// The vocabulary of the charger machine: what it is told (inputs), what it asks for
// (effects), what it remembers (state) and the settings it runs under (config). The machine
// decides; the shell (../supervisor.ts) owns the port, the timers and the clock.

import type { ChargerEventEffect, ChargerEventKind, WriteReason } from '../events.js';
import type { ChargerReading, WriteOutcome } from '../charger.js';
import type { FailsafeReport } from '../profile-driver.js';
import type { KeepAliveKind } from '../profile.js';
import type { BackoffOptions } from '../../backoff.js';

export interface VerificationOptions {
  /** How long the measured current may take to fall to the limit; default 20 s. */
  windowMs: number;
  /** How often the charger is read while a write is being verified; default 2 s. */
  pollMs: number;
  /** Allowed excess over the limit: the larger of toleranceA and tolerancePct % of the limit. */
  toleranceA: number;
  tolerancePct: number;
  /** Rewrites after a window runs out before the alarm; default 2. */
  retries: number;
}

export type VerificationState = {
  status: 'idle' | 'pending' | 'confirmed' | 'read-back-only' | 'alarm';
  limitA?: number;
  attempt?: number;
  startedAtMs?: number;
  confirmMs?: number;
  measuredA?: number;
  reason?: string;
};

export interface MachineConfig {
  profileId: string;
  dryRun: boolean;
  verify: VerificationOptions;
  /** Period for chargers without a keep-alive. */
  readBackPeriodMs: number;
  reconnect: { initialMs: number; maxMs: number };
  /** Unset: one keep-alive period. */
  blindRewriteMs: number | null;
  readingPeriodMs: number;
  maxFailedCycles: number;
  /** After a failed write: the wait before the retry, over consecutive failures. The cap is
   *  also held below one keep-alive period, whose own rewrite is only the backstop. */
  writeRetry: BackoffOptions;
}

/** What connect() found out about the charger, as far as the machine's decisions need it. */
export interface ChargerFacts {
  keepAliveKind: KeepAliveKind;
  /** The setpoint or an applied-limit register can be read back. */
  limitReadable: boolean;
  /** The profile has failsafe re-enable writes (KEBA). */
  canReenable: boolean;
  keepAlivePeriodMs: number | null;
  failsafe: FailsafeReport | null;
}

/** The timers; each is armed at most once. */
export type TimerName = 'tick' | 'verify' | 'connect' | 'write-retry';

/** Who a request belongs to. Each lane has at most one request in flight. */
export type Lane = 'cycle' | 'write' | 'verify';

export type { WriteReason };

export type Request = { op: 'connect' } | { op: 'keep-alive' } | { op: 'read-limit' } | { op: 'read' } | { op: 'reenable' } | { op: 'write'; limitA: number };

export type MachineEffect =
  | { type: 'request'; lane: Lane; request: Request }
  | { type: 'set-timer'; timer: TimerName; atMs: number }
  | { type: 'clear-timer'; timer: TimerName }
  /** Report an event: one of the charger layer's kinds (../events.ts), with its data. */
  | ChargerEventEffect
  | { type: 'log-warn'; data: Record<string, unknown>; msg: string };

export type SupervisorEventKind = ChargerEventKind;

/** A request that failed: its message, and whether the connection is gone (not a timeout). */
export interface Failure {
  error: string;
  lost: boolean;
}

export type MachineInput = (
  | { type: 'start' }
  | { type: 'close' }
  | { type: 'set-limit'; limitA: number; explanation: string }
  | { type: 'timer'; timer: TimerName }
  | { type: 'connected'; facts: ChargerFacts }
  | ({ type: 'connect-failed' } & Failure)
  | { type: 'fed' }
  | ({ type: 'feed-failed' } & Failure)
  | { type: 'read-back'; value: { valueA: number; kind: 'setpoint' | 'applied' } | null }
  | ({ type: 'read-back-failed' } & Failure)
  | { type: 'reading'; lane: 'cycle' | 'verify'; reading: ChargerReading }
  | ({ type: 'read-failed'; lane: 'cycle' | 'verify' } & Failure)
  | { type: 'written'; outcome: WriteOutcome }
  | { type: 'reenabled'; notWritten: string[] }
) & {
  /** The bus re-established its connection since the last connect (the charger may have
   *  rebooted). The shell samples it with every input; absent means no. */
  reconnected?: boolean;
};

/** Where the connect-and-keep-alive sequence is. One step of it waits for one answer. */
export type Cycle =
  | { at: 'idle' }
  | { at: 'connecting' }
  | { at: 'feeding-on-connect' }
  | { at: 'writing-on-connect' }
  | { at: 'reading-back'; desiredA: number; t: TickFlags }
  | { at: 'healing'; t: TickFlags; heal: { kind: 'rewrite' } | { kind: 'lost'; foundA: number; desiredA: number; readKind: 'setpoint' | 'applied' } }
  | { at: 'keeping-alive'; t: TickFlags }
  | { at: 'reading'; t: TickFlags }
  | { at: 'reenabling'; t: TickFlags }
  | { at: 'writing-after-reenable'; t: TickFlags };

/** What one keep-alive period has learnt so far. */
export interface TickFlags {
  failed: boolean;
  /** The period started with a limit to hold and no write on the wire. */
  healing: boolean;
  /** The period wrote the setpoint (a rewrite feeds a rewrite-setpoint watchdog). */
  wrote: boolean;
}

export interface WriteInFlight {
  limitA: number;
  reason: WriteReason;
  atMs: number;
}

export type VerifyLane = { at: 'idle' } | { at: 'reading'; gen: number; limitA: number; again: boolean } | { at: 'writing'; limitA: number; again: boolean };

export interface MachineState {
  started: boolean;
  closed: boolean;
  connected: boolean;
  lastError: string | null;
  /** The limit the charger last acknowledged (null: unknown or not written yet). */
  appliedA: number | null;
  desiredA: number | null;
  explanation: string | null;
  wouldWriteA: number | null;
  lastReading: ChargerReading | null;
  lastReadingAtMs: number | null;
  lastWrite: (WriteOutcome & { atMs: number }) | null;
  verification: VerificationState;
  /** Bumped whenever verification is replaced: a verify read answered after that is stale. */
  verifyGen: number;
  /** When the write being verified was first sent (retries keep the first time). */
  verifyFromMs: number;
  connectFailures: number;
  /** Writes that failed in a row (reset by an acknowledged one): the retry's backoff step. */
  writeFailures: number;
  failedCycles: number;
  facts: ChargerFacts | null;
  timers: Record<TimerName, boolean>;
  cycle: Cycle;
  /** The write chain on the wire (follow-ups keep it busy), or null. */
  write: WriteInFlight | null;
  verifyLane: VerifyLane;
}
