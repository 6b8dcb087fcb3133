// The contract of the pure decision core: what it is told (Input), what it asks the shell
// to do (Effect), and the configuration it decides by. `step(config, state, input, nowMs)`
// is a pure function: no I/O, no clock, no timers, no randomness but the seeded generator
// kept in the state. The shell (agent/runtime.ts) owns time and carries out the effects in
// order: charger limits first, then event-log rows.

import type { MeterReport, ReadWhat } from './inputs.js';
import type { EventEffect } from './events.js';

export type Ms = number; // milliseconds since the Unix epoch, UTC
export type Amps = number;

/** What the core knows of a charger: its own limits, from its profile and the config. */
export interface ChargerSpec {
  id: string;
  /** Lowest non-zero current the charger can signal (IEC 61851: 6 A). */
  minCurrentA: Amps;
  /** The installation's maximum for this charger. */
  maxCurrentA: Amps;
  /** May the agent pause (0 A) this charger? Otherwise the floor is minCurrentA. */
  allowPause: boolean;
}

/** Ties one switch (by number and/or HCALCS device id) to one or more chargers. */
export interface BindingSpec {
  /** 1-5; at least one of switchIdx and dev is set. */
  switchIdx?: number;
  /** EUI-64, XX-XX-XX-XX-XX-XX-XX-XX upper case. */
  dev?: string;
  chargerIds: string[];
  /** The current a charger may draw while this switch is open (default 6 A). */
  reducedCurrentA: Amps;
}

export type LabelPolicy = 'warn' | 'enforce';
/** What applies once a stale link's hold time has run out (Reg 7 default: normal). */
export type LinkFallback = 'normal' | 'reduced';

export interface CoreConfig {
  chargers: ChargerSpec[];
  bindings: BindingSpec[];
  boost: {
    /** May a permitted boost lift an open with cause=dno? (default true, as SECMP0046 intends) */
    liftsDnoOpen: boolean;
  };
  labels: {
    /** A JavaScript regular expression source a bound switch's label must match. */
    pattern: string;
    /** Flags for `pattern` (default "i"). */
    flags: string;
    policy: LabelPolicy;
  };
  link: {
    /** No valid line for this long marks the link stale (default 60 s). */
    staleAfterMs: Ms;
    /** How long the last state holds once stale (unless its dur ends first). */
    holdMs: Ms;
    fallback: LinkFallback;
    /** After a start, how long a charger's write may be held back waiting for the meter to
     *  confirm its switches (default DEFAULT_START_GRACE_MS, boot.ts). */
    startGraceMs?: Ms;
  };
  restore: {
    /** Upper bound of the uniform random delay before an increase (default 600 s, max 1800 s, 0 disables). */
    maxDelayMs: Ms;
    /** Optional ramp after the delay: step size and interval; absent means a single step. */
    ramp?: { stepA: Amps; intervalMs: Ms };
    /** The meter already randomises calendar switching (SRV 7.12): calendar restores are exempt. */
    meterRandomisesCalendar: boolean;
  };
  /** Optional total current shared among all chargers. */
  siteCapA?: Amps;
}

export type Input =
  /** A valid line from the HAN side, mapped to the core's words by the shell's adapter. */
  | { type: 'han'; message: MeterReport }
  /** A line the parser rejected (reason as the parser names it): counted and recorded, never acted on. */
  | { type: 'han-rejected'; reason: string; line: string }
  /** A line with an unknown verb: counted, not acted on. */
  | { type: 'han-ignored'; verb: string }
  | { type: 'link-up' }
  | { type: 'link-down'; error?: string }
  /** Time has passed: the shell sends this at (or after) every wake-at the core asked for. */
  | { type: 'tick' }
  /**
   * The owner cancels the restore delays that were running when they asked
   * (`hcalcs-agent restore-now`). `issuedMs`, on this timeline, is when they asked: a command can
   * wait in the queue, and a delay that began after it is not the one the owner saw.
   */
  | { type: 'owner-restore-now'; issuedMs: Ms }
  /** The owner sets (or, with null, clears) a manual limit for one charger. */
  | { type: 'owner-manual-limit'; chargerId: string; limitA: Amps | null };

/** A kind of event-log row the core records (events.ts); the shell adds its own. */
export type { CoreEventKind as EventKind, CoreEvents } from './events.js';

export type Effect =
  /** Set a charger's current limit. Emitted only when the applied limit changes (write on change). */
  | { type: 'apply-limit'; chargerId: string; limitA: Amps; explanation: string }
  /** Ask the meter side to report again (the HAN layer spells and sends the request). */
  | { type: 'request-read'; what: ReadWhat }
  /** Record an event: one of the kinds in events.ts, with its data. */
  | EventEffect
  /** Call step with { type: 'tick' } at this time. A step emits at most one wake-at, the earliest
   *  time it next needs a tick; it replaces any earlier request. */
  | { type: 'wake-at'; atMs: Ms };

/**
 * The functions agent/core/index.ts provides (the shell calls nothing else):
 *   initialState(config, seed): CoreState            a fresh agent; seed feeds the restore-delay generator
 *   step(config, state, input, nowMs): StepResult      the transition function
 *   resume(config, saved, nowMs): StepResult           after a restart: re-apply the saved switch, boost
 *                                                     and restore state before the HAN answers
 *   describe(config, state, nowMs): StatusView         what `hcalcs-agent status` shows
 * CoreState is plain JSON (the shell persists it when a step changed something that matters,
 * before the charger writes of that step).
 */

// The shapes the functions above trade in, defined beside the code that owns them.
export type { CoreState } from './state.js';
export type { StepResult } from './step.js';
export type { StatusView } from './describe.js';
/** A switch's signal: binary today, a proportional level (SRV 7.13-7.16) later. */
export type { SwitchSignal } from './signal.js';
export type * from './inputs.js';
