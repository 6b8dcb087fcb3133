// The shell side of one charger, as the runtime uses it: it writes the limit on change,
// keeps the charger's watchdog fed, reads the setpoint back each keep-alive period and
// rewrites it when the charger lost it (a reboot), and verifies every write by the measured
// current. What to do and when is decided by the pure machine in machine/; this shell owns
// the charger's port, the timers and the clock, runs the requests the machine asks for and
// feeds each answer back. The bus serialises requests on a line (modbus-serial does not
// queue); the machine keeps at most one request in flight per lane of one charger.

import type { Logger } from 'pino';
import type { ProfileCharger } from './profile-driver.js';
import { BusError } from './bus.js';
import { systemClock, type Clock } from '../clock.js';
import { initialState, step } from './machine/step.js';
import type { Lane, MachineConfig, MachineEffect, MachineInput, MachineState, Request, TimerName } from './machine/types.js';
import type { SupervisorEvent, SupervisorOptions, SupervisorState } from './supervisor-options.js';

export type { SupervisorEvent, SupervisorEventKind, SupervisorOptions, SupervisorState, VerificationOptions, VerificationState } from './supervisor-options.js';

const DEFAULT_VERIFICATION = { windowMs: 20_000, pollMs: 2_000, toleranceA: 1, tolerancePct: 10, retries: 2 };

function machineConfig(profileId: string, o: SupervisorOptions): MachineConfig {
  return {
    profileId,
    dryRun: o.dryRun ?? false,
    verify: { ...DEFAULT_VERIFICATION, ...o.verification },
    readBackPeriodMs: o.readBackPeriodMs ?? 30_000,
    reconnect: o.reconnect ?? { initialMs: 1000, maxMs: 60_000 },
    blindRewriteMs: o.blindRewriteMs ?? null,
    readingPeriodMs: o.readingPeriodMs ?? 10_000,
    maxFailedCycles: o.maxFailedCycles ?? 3,
    writeRetry: o.writeRetry ?? { initialMs: 250, maxMs: 5000 },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A timeout leaves the line up; only a dropped or closed connection means reconnecting. */
function isLost(err: unknown): boolean {
  return err instanceof BusError && (err.code === 'disconnected' || err.code === 'closed');
}

export class ChargerSupervisor {
  readonly id: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly emit: SupervisorEvent;
  private readonly config: MachineConfig;
  private machine: MachineState = initialState();
  private readonly timers = new Map<TimerName, unknown>();
  private readonly inflight = new Set<Promise<unknown>>();
  /** setLimit callers waiting for the write chain they started to end. */
  private writeWaiters: Array<() => void> = [];

  constructor(
    private readonly charger: ProfileCharger,
    private readonly options: SupervisorOptions,
  ) {
    this.id = charger.id;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ module: 'charger-supervisor', chargerId: charger.id });
    this.config = machineConfig(charger.profileId, options);
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
    this.feed({ type: 'start' });
  }

  /** Asks for a limit: written at once when it differs from what the charger has. */
  setLimit(limitA: number, explanation: string): Promise<void> {
    const wasWriting = this.machine.write !== null;
    this.feed({ type: 'set-limit', limitA, explanation });
    if (wasWriting || this.machine.write === null) return Promise.resolve();
    return new Promise((resolve) => this.writeWaiters.push(resolve));
  }

  state(): SupervisorState {
    const m = this.machine;
    return {
      id: this.id,
      profileId: this.charger.profileId,
      connected: m.connected,
      dryRun: this.config.dryRun,
      lastError: m.lastError,
      appliedLimitA: m.appliedA,
      desiredLimitA: m.desiredA,
      explanation: m.explanation,
      wouldWriteA: m.wouldWriteA,
      lastReading: m.lastReading,
      lastReadingAtMs: m.lastReadingAtMs,
      lastWrite: m.lastWrite,
      verification: { ...m.verification },
      failsafe: this.charger.failsafe,
      keepAlivePeriodMs: this.charger.keepAlivePeriodMs,
    };
  }

  /** Resolves when nothing started by the supervisor is still running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  async close(): Promise<void> {
    this.feed({ type: 'close' });
    await this.idle();
    await this.charger.close();
  }

  private feed(input: MachineInput): void {
    let effects: MachineEffect[];
    try {
      const r = step(this.config, this.machine, { ...input, reconnected: this.charger.reconnectedSinceConnect() }, this.clock.now());
      this.machine = r.state;
      effects = r.effects;
    } catch (err) {
      this.log.error({ err, input: input.type }, 'charger machine step failed');
      return;
    }
    for (const e of effects) this.run(e);
    if (this.machine.write === null && this.writeWaiters.length > 0) {
      const waiters = this.writeWaiters;
      this.writeWaiters = [];
      for (const w of waiters) w();
    }
  }

  private run(e: MachineEffect): void {
    switch (e.type) {
      case 'emit':
        this.emit(e.kind, this.id, e.data);
        return;
      case 'log-warn':
        this.log.warn(e.data, e.msg);
        return;
      case 'set-timer': {
        this.clearTimer(e.timer);
        const handle = this.clock.setTimeout(() => {
          if (this.timers.get(e.timer) !== handle) return;
          this.timers.delete(e.timer);
          this.feed({ type: 'timer', timer: e.timer });
        }, e.atMs - this.clock.now());
        this.timers.set(e.timer, handle);
        return;
      }
      case 'clear-timer':
        this.clearTimer(e.timer);
        return;
      case 'request':
        this.track(this.perform(e.lane, e.request));
        return;
    }
  }

  private clearTimer(timer: TimerName): void {
    const handle = this.timers.get(timer);
    if (handle === undefined) return;
    this.clock.clearTimeout(handle);
    this.timers.delete(timer);
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
  }

  /** Runs one request on the charger and feeds its answer (or its failure) to the machine. */
  private perform(lane: Lane, req: Request): Promise<void> {
    const c = this.charger;
    const failure = (err: unknown) => ({ error: errorText(err), lost: isLost(err) });
    // Each call starts before this returns: a write must be on the wire before a newer
    // setLimit can arrive, or the newer limit would not follow it.
    switch (req.op) {
      case 'connect':
        return call(() => c.connect()).then(
          () =>
            this.feed({
              type: 'connected',
              facts: {
                keepAliveKind: c.profile.keepAlive.kind,
                limitReadable: c.profile.setpoint.readable || c.profile.appliedLimit !== undefined,
                canReenable: (c.profile.failsafe?.reenable?.length ?? 0) > 0,
                keepAlivePeriodMs: c.keepAlivePeriodMs,
                failsafe: c.failsafe,
              },
            }),
          (err: unknown) => this.feed({ type: 'connect-failed', ...failure(err) }),
        );
      case 'keep-alive':
        return call(() => c.keepAlive()).then(
          () => this.feed({ type: 'fed' }),
          (err: unknown) => this.feed({ type: 'feed-failed', ...failure(err) }),
        );
      case 'read-limit':
        return call(() => c.readLimitA()).then(
          (value) => this.feed({ type: 'read-back', value }),
          (err: unknown) => this.feed({ type: 'read-back-failed', ...failure(err) }),
        );
      case 'read': {
        const readLane = lane === 'verify' ? 'verify' : 'cycle';
        return call(() => c.read()).then(
          (reading) => this.feed({ type: 'reading', lane: readLane, reading }),
          (err: unknown) => this.feed({ type: 'read-failed', lane: readLane, ...failure(err) }),
        );
      }
      case 'reenable':
        return call(() => c.reenable()).then(
          (notWritten) => this.feed({ type: 'reenabled', notWritten }),
          (err: unknown) => this.feed({ type: 'reenabled', notWritten: [errorText(err)] }),
        );
      case 'write': {
        const atMs = this.clock.now();
        const limitA = req.limitA;
        return call(() => c.setCurrentLimitA(limitA)).then(
          (outcome) => this.feed({ type: 'written', outcome }),
          (err: unknown) => this.feed({ type: 'written', outcome: { ok: false, limitA, error: errorText(err), durationMs: this.clock.now() - atMs } }),
        );
      }
    }
  }
}

/** Calls fn now; a synchronous throw becomes a rejection like an asynchronous one. */
function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (err) {
    return Promise.reject(err);
  }
}
