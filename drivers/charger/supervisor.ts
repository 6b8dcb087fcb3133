// The shell side of one charger, as the runtime uses it: it writes the limit on change,
// keeps the charger's watchdog fed, reads the setpoint back each keep-alive period and
// rewrites it when the charger lost it (a reboot), and verifies every write by the measured
// current: write -> read back -> measured current at or below the limit within a window
// (IEC 61851 allows a PWM step every 5 s, and the car takes a few more) -> retry -> alarm.
// The time to confirmation is reported per write: it is the evidence a DNO asks for.
// A charger that is not there at start is retried in the background with capped backoff;
// it never stops the agent or the other chargers.

import type { Logger } from 'pino';
import type { ChargerReading, WriteOutcome } from './charger.js';
import type { FailsafeReport, ProfileCharger } from './profile-driver.js';
import { BusError } from './bus.js';
import { systemClock, type Clock } from './clock.js';

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

export type SupervisorEventKind =
  | 'charger.connected'
  | 'charger.connect-failed'
  | 'charger.disconnected'
  | 'charger.failsafe'
  | 'charger.write'
  | 'charger.would-write'
  | 'charger.verified'
  | 'charger.alarm'
  | 'charger.keepalive.error'
  | 'charger.read.error'
  | 'charger.healed'
  | 'charger.reconnected'
  | 'charger.reenabled';

export type SupervisorEvent = (kind: SupervisorEventKind, chargerId: string, data: Record<string, unknown>) => void;

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
  onEvent?: SupervisorEvent;
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

const DEFAULT_VERIFICATION: VerificationOptions = { windowMs: 20_000, pollMs: 2_000, toleranceA: 1, tolerancePct: 10, retries: 2 };
const EPS_A = 0.01;
/** Timers fire a little early or late; a period that has all but passed counts as passed. */
const EPS_MS = 5;

export class ChargerSupervisor {
  readonly id: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly verify: VerificationOptions;
  private readonly emit: SupervisorEvent;
  private connected = false;
  private closed = false;
  private started = false;
  private lastError: string | null = null;
  private applied: number | null = null;
  private desired: number | null = null;
  private explanation: string | null = null;
  private wouldWriteA: number | null = null;
  private lastReading: ChargerReading | null = null;
  private lastReadingAtMs: number | null = null;
  private lastWrite: (WriteOutcome & { atMs: number }) | null = null;
  private verification: VerificationState = { status: 'idle' };
  /** When the write being verified was first sent (retries keep the first time). */
  private verifyFromMs = 0;
  private connectFailures = 0;
  private failedCycles = 0;
  private writing = false;
  private tickTimer: unknown = null;
  private verifyTimer: unknown = null;
  private connectTimer: unknown = null;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly charger: ProfileCharger,
    private readonly options: SupervisorOptions,
  ) {
    this.id = charger.id;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ module: 'charger-supervisor', chargerId: charger.id });
    this.verify = { ...DEFAULT_VERIFICATION, ...options.verification };
    this.emit = (kind, id, data) => {
      try {
        options.onEvent?.(kind, id, data);
      } catch (err) {
        this.log.error({ err, kind }, 'event handler threw');
      }
    };
  }

  /** Connects in the background; failures retry with capped backoff. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.track(this.tryConnect());
  }

  /** Asks for a limit: written at once when it differs from what the charger has. */
  setLimit(limitA: number, explanation: string): Promise<void> {
    this.desired = limitA;
    this.explanation = explanation;
    if (this.options.dryRun) {
      if (this.wouldWriteA !== limitA) {
        this.wouldWriteA = limitA;
        this.emit('charger.would-write', this.id, { limitA, explanation });
      }
      return Promise.resolve();
    }
    // Not connected: the limit is written on connect. Writing: the write in flight follows up.
    if (!this.connected || this.closed || this.writing) return Promise.resolve();
    if (this.applied !== null && Math.abs(this.applied - limitA) < EPS_A) return Promise.resolve();
    return this.track(this.write('change')).then(() => undefined);
  }

  state(): SupervisorState {
    return {
      id: this.id,
      profileId: this.charger.profileId,
      connected: this.connected,
      dryRun: this.options.dryRun ?? false,
      lastError: this.lastError,
      appliedLimitA: this.applied,
      desiredLimitA: this.desired,
      explanation: this.explanation,
      wouldWriteA: this.wouldWriteA,
      lastReading: this.lastReading,
      lastReadingAtMs: this.lastReadingAtMs,
      lastWrite: this.lastWrite,
      verification: { ...this.verification },
      failsafe: this.charger.failsafe,
      keepAlivePeriodMs: this.charger.keepAlivePeriodMs,
    };
  }

  /** Resolves when nothing started by the supervisor is still running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of [this.tickTimer, this.verifyTimer, this.connectTimer]) if (t !== null) this.clock.clearTimeout(t);
    this.tickTimer = this.verifyTimer = this.connectTimer = null;
    await this.idle();
    await this.charger.close();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  private errorText(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
  }

  private async tryConnect(): Promise<void> {
    if (this.closed) return;
    try {
      await this.charger.connect();
    } catch (err) {
      this.connectFailures++;
      const r = this.options.reconnect ?? { initialMs: 1000, maxMs: 60_000 };
      const retryInMs = Math.min(r.initialMs * 2 ** (this.connectFailures - 1), r.maxMs);
      this.lastError = this.errorText(err);
      this.emit('charger.connect-failed', this.id, { error: this.lastError, attempt: this.connectFailures, retryInMs });
      if (!this.closed) {
        this.connectTimer = this.clock.setTimeout(() => {
          this.connectTimer = null;
          this.track(this.tryConnect());
        }, retryInMs);
      }
      return;
    }
    if (this.closed) return;
    this.connected = true;
    this.connectFailures = 0;
    this.failedCycles = 0;
    this.lastError = null;
    const fs = this.charger.failsafe;
    this.emit('charger.connected', this.id, { profileId: this.charger.profileId, keepAlivePeriodMs: this.charger.keepAlivePeriodMs });
    if (fs) {
      this.emit('charger.failsafe', this.id, { wrote: fs.wrote, readBack: fs.readBack, ok: fs.ok, timeoutS: fs.timeoutS, timeoutSource: fs.timeoutSource, notes: fs.notes });
      // The charger works, but what it does when the agent goes silent is not what was asked.
      if (!fs.ok) this.emit('charger.alarm', this.id, { reason: 'failsafe settings not confirmed', notes: fs.notes, wrote: fs.wrote, readBack: fs.readBack });
    }
    // The first keep-alive goes out now, not one period later: a charger found in its
    // fallback leaves it as soon as it hears from the agent, and status tells the truth.
    await this.feed();
    // After a (re)connect the charger's setpoint is unknown: a reboot may have reset it.
    this.applied = null;
    if (this.desired !== null && !this.options.dryRun) await this.write('connect');
    this.scheduleTick();
  }

  private async feed(): Promise<void> {
    if (this.options.dryRun && this.charger.profile.keepAlive.kind !== 'poll') return;
    try {
      await this.charger.keepAlive();
    } catch (err) {
      this.emit('charger.keepalive.error', this.id, { error: this.errorText(err), during: 'connect' });
    }
  }

  private periodMs(): number {
    return this.charger.keepAlivePeriodMs ?? this.options.readBackPeriodMs ?? 30_000;
  }

  private scheduleTick(): void {
    if (this.closed || this.tickTimer !== null) return;
    this.tickTimer = this.clock.setTimeout(() => {
      this.tickTimer = null;
      this.track(this.tick());
    }, this.periodMs());
  }

  /** One keep-alive period: keep-alive, read-back (heal), and a reading when one is due. */
  private async tick(): Promise<void> {
    if (this.closed || !this.connected) return;
    if (await this.recommissionIfReconnected()) return;
    let failed = false;
    const healing = !this.options.dryRun && this.desired !== null && !this.writing;
    const profile = this.charger.profile;
    const pollKind = profile.keepAlive.kind === 'poll';
    const healReads = healing && (profile.setpoint.readable || profile.appliedLimit !== undefined);
    // The read-back goes first: a setpoint-rewrite keep-alive would otherwise restore a lost
    // setpoint silently, and the reboot would go unrecorded.
    let wrote = false;
    if (healing) {
      try {
        wrote = await this.heal();
      } catch (err) {
        failed = true;
        this.emit('charger.read.error', this.id, { error: this.errorText(err), during: 'read-back' });
        if (this.lostConnection(err)) return;
      }
    }
    // Where any request feeds the watchdog the read-back was the keep-alive; a rewrite of
    // the setpoint is one for rewrite-setpoint chargers.
    const fed = (pollKind && (healReads || wrote)) || (profile.keepAlive.kind === 'rewrite-setpoint' && wrote);
    if (!fed && (!this.options.dryRun || pollKind)) {
      try {
        await this.charger.keepAlive();
      } catch (err) {
        failed = true;
        this.emit('charger.keepalive.error', this.id, { error: this.errorText(err) });
        if (this.lostConnection(err)) return;
      }
    }
    const due = this.lastReadingAtMs === null || this.clock.now() - this.lastReadingAtMs >= (this.options.readingPeriodMs ?? 10_000);
    if (due && this.verification.status !== 'pending') {
      try {
        this.noteReading(await this.charger.read());
      } catch (err) {
        failed = true;
        this.emit('charger.read.error', this.id, { error: this.errorText(err), during: 'read' });
        if (this.lostConnection(err)) return;
      }
    }
    // Periods without an answer may have outlasted the charger's timeout: a charger that
    // disables itself on a failsafe (KEBA) must be enabled again, and its limit rewritten.
    if (!failed && this.failedCycles > 0 && !this.options.dryRun && this.charger.profile.failsafe?.reenable?.length) {
      const notWritten = await this.charger.reenable().catch((err: unknown) => [this.errorText(err)]);
      this.emit('charger.reenabled', this.id, { afterFailedPeriods: this.failedCycles, ok: notWritten.length === 0, notes: notWritten });
      this.applied = null;
      if (this.desired !== null && !this.writing) await this.write('retry');
    }
    this.failedCycles = failed ? this.failedCycles + 1 : 0;
    if (this.failedCycles >= (this.options.maxFailedCycles ?? 3)) {
      this.markDisconnected(`${this.failedCycles} periods without an answer`);
      return;
    }
    if (await this.recommissionIfReconnected()) return;
    this.scheduleTick();
  }

  /**
   * The bus re-established a dropped connection on its own (a TCP charger that rebooted, a
   * cable pulled and put back): run the whole connect again, so the failsafe settings and
   * the limit are written on every connect, not only the first.
   */
  private async recommissionIfReconnected(): Promise<boolean> {
    if (!this.charger.reconnectedSinceConnect()) return false;
    this.emit('charger.reconnected', this.id, { note: 'connection re-established: writing the failsafe settings and the limit again' });
    this.connected = false;
    await this.tryConnect();
    return true;
  }

  /** Rewrites the limit when the charger no longer holds it (reboot, lost write); true if it wrote. */
  private async heal(): Promise<boolean> {
    const desired = this.desired!;
    if (this.applied === null) {
      await this.write('retry');
      return true;
    }
    const rb = await this.charger.readLimitA();
    if (this.writing) return false;
    if (!rb) {
      const sinceMs = this.clock.now() - (this.lastWrite?.atMs ?? 0);
      // Default: every keep-alive period, so a charger that rebooted and lost a setpoint it
      // cannot report gets it back within one period, as one that can report does.
      if (sinceMs < (this.options.blindRewriteMs ?? this.periodMs()) - EPS_MS) return false;
      await this.write('refresh');
      return true;
    }
    const expected = this.lastWrite?.readBackA ?? desired;
    const lost = rb.kind === 'setpoint' ? Math.abs(rb.valueA - expected) > EPS_A : rb.valueA > desired + EPS_A;
    if (!lost) return false;
    this.log.warn({ foundA: rb.valueA, limitA: desired }, 'charger lost its setpoint; rewriting');
    const outcome = await this.write('heal');
    this.emit('charger.healed', this.id, { foundA: rb.valueA, limitA: desired, kind: rb.kind, ok: outcome?.ok ?? false });
    return true;
  }

  private lostConnection(err: unknown): boolean {
    if (err instanceof BusError && (err.code === 'disconnected' || err.code === 'closed')) {
      this.markDisconnected(err.message);
      return true;
    }
    return false;
  }

  private markDisconnected(reason: string): void {
    if (!this.connected) return;
    this.connected = false;
    this.lastError = reason;
    this.applied = null;
    this.stopVerification();
    this.emit('charger.disconnected', this.id, { error: reason });
    if (this.tickTimer !== null) this.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    this.track(this.tryConnect());
  }

  private async write(reason: 'change' | 'heal' | 'retry' | 'connect' | 'verify-retry' | 'refresh'): Promise<WriteOutcome | null> {
    const limitA = this.desired;
    if (limitA === null || this.closed) return null;
    this.writing = true;
    let outcome: WriteOutcome;
    const atMs = this.clock.now();
    try {
      outcome = await this.charger.setCurrentLimitA(limitA);
    } catch (err) {
      outcome = { ok: false, limitA, error: this.errorText(err), durationMs: this.clock.now() - atMs };
    } finally {
      this.writing = false;
    }
    this.lastWrite = { ...outcome, atMs };
    // A periodic refresh of an unreadable setpoint is recorded only when it fails.
    if (reason !== 'refresh' || !outcome.ok) this.emit('charger.write', this.id, {
      limitA, ok: outcome.ok, readBackA: outcome.readBackA ?? null, durationMs: outcome.durationMs,
      error: outcome.error ?? null, reason, explanation: this.explanation,
    });
    if (outcome.ok) {
      this.applied = limitA;
      this.lastError = null;
      if (reason !== 'verify-retry' && reason !== 'refresh') this.startVerification(limitA, atMs);
    } else {
      this.applied = null;
      this.lastError = outcome.error ?? 'write failed';
    }
    // A newer limit arrived while this one was on the wire: write that one too, also when this
    // write failed (a DNO's reduction must not wait for the next keep-alive because the write
    // before it went unanswered). The follow-up stops once desired stays put during a write.
    if (this.desired !== null && this.desired !== limitA && !this.closed) return this.write('change');
    return outcome;
  }

  private stopVerification(): void {
    if (this.verifyTimer !== null) this.clock.clearTimeout(this.verifyTimer);
    this.verifyTimer = null;
  }

  private startVerification(limitA: number, atMs: number): void {
    this.stopVerification();
    this.verifyFromMs = atMs;
    this.verification = { status: 'pending', limitA, attempt: 1, startedAtMs: atMs };
    this.scheduleVerify(0);
  }

  private scheduleVerify(ms: number): void {
    if (this.closed) return;
    this.verifyTimer = this.clock.setTimeout(() => {
      this.verifyTimer = null;
      this.track(this.verifyStep());
    }, ms);
  }

  private allowedA(limitA: number): number {
    return limitA + Math.max(this.verify.toleranceA, (limitA * this.verify.tolerancePct) / 100);
  }

  private noteReading(r: ChargerReading): void {
    this.lastReading = r;
    this.lastReadingAtMs = this.clock.now();
    // A late confirmation after an alarm still counts (and clears the alarm).
    const v = this.verification;
    if (v.status === 'alarm' && v.limitA !== undefined && r.currentsA && Math.max(...r.currentsA) <= this.allowedA(v.limitA)) {
      this.confirm(v.limitA, Math.max(...r.currentsA), true);
    }
  }

  private confirm(limitA: number, measuredA: number, late: boolean): void {
    const confirmMs = this.clock.now() - this.verifyFromMs;
    this.verification = { status: 'confirmed', limitA, attempt: this.verification.attempt ?? 1, confirmMs, measuredA };
    this.emit('charger.verified', this.id, { limitA, confirmMs, measuredA, attempt: this.verification.attempt, late });
  }

  private async verifyStep(): Promise<void> {
    const v = this.verification;
    if (this.closed || v.status !== 'pending' || v.limitA === undefined) return;
    const limitA = v.limitA;
    let reading: ChargerReading | null = null;
    try {
      reading = await this.charger.read();
      this.noteReading(reading);
    } catch (err) {
      this.emit('charger.read.error', this.id, { error: this.errorText(err), during: 'verification' });
    }
    if (this.verification !== v) return; // a newer write replaced this verification
    if (reading && !reading.currentsA) {
      const confirmMs = this.clock.now() - this.verifyFromMs;
      this.verification = { status: 'read-back-only', limitA, confirmMs, reason: 'the charger measures no current' };
      this.emit('charger.verified', this.id, { limitA, confirmMs, by: 'read-back', late: false });
      return;
    }
    const measuredA = reading?.currentsA ? Math.max(...reading.currentsA) : undefined;
    if (measuredA !== undefined && measuredA <= this.allowedA(limitA)) {
      this.confirm(limitA, measuredA, false);
      return;
    }
    if (measuredA !== undefined) v.measuredA = measuredA;
    const elapsed = this.clock.now() - (v.startedAtMs ?? this.verifyFromMs);
    if (elapsed < this.verify.windowMs) {
      this.scheduleVerify(Math.min(this.verify.pollMs, this.verify.windowMs - elapsed));
      return;
    }
    if ((v.attempt ?? 1) <= this.verify.retries) {
      const attempt = (v.attempt ?? 1) + 1;
      this.verification = { ...v, attempt, startedAtMs: this.clock.now() };
      const outcome = await this.write('verify-retry');
      if (this.verification.limitA === limitA && this.verification.status === 'pending') this.scheduleVerify(outcome?.ok ? this.verify.pollMs : 0);
      return;
    }
    const reason = measuredA === undefined ? 'no reading within the window' : 'measured current above the limit';
    this.verification = { ...v, status: 'alarm', reason };
    this.emit('charger.alarm', this.id, {
      reason, limitA, measuredA: measuredA ?? null, allowedA: this.allowedA(limitA), attempts: v.attempt ?? 1,
      windowMs: this.verify.windowMs, sinceWriteMs: this.clock.now() - this.verifyFromMs,
    });
  }
}
