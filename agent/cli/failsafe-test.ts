// `charger failsafe-test`: proves that the charger falls back to its failsafe current when
// the agent goes silent, and when. It can only pass on evidence:
//   1. the charger is seen holding the test's hold limit (applied, read back, or drawn by
//      the car), clearly above the failsafe current; a charger already in its fallback (or
//      disabled) never gets that far;
//   2. the keep-alive stops at a known moment T0 (the last keep-alive request's send time);
//   3. a reading taken no earlier than T0 + timeout - tolerance still shows the hold limit,
//      and a reading sent no later than T0 + timeout + step shows the fallback.
// Anything else is FAIL (a fallback proven early, or no fallback by the upper bound) or
// INCONCLUSIVE with the reason. On a charger whose watchdog any request feeds (keep-alive
// kind "poll") a reading restarts the watchdog, so the two bounds are shown in two silent
// periods: one read at timeout - tolerance (must still hold), then silence again and one
// read at timeout + step (must have fallen).

import type { ChargerConfig } from '../../config/types.js';
import type { ChargerReading } from '../../drivers/charger/charger.js';
import type { Clock } from '../../drivers/clock.js';
import type { ProfileCharger } from '../../drivers/charger/profile-driver.js';
import type { FallbackView, Profile } from '../../drivers/charger/profile.js';
import type { EventLog } from '../event-log/types.js';
import { FAILSAFE_TEST_EXIT } from './shared/exit-codes.js';

/** IEC 61851 lets a charger take up to 5 s (one PWM step) to apply a new current. */
export const DEFAULT_STEP_S = 5;

/**
 * How much earlier than the configured timeout a fallback still counts as on time: the
 * larger of 1 s and 10 % of the timeout. Chargers count their watchdog in whole seconds or
 * on a coarse tick, and the request that fed it last took time to travel.
 */
export function fallbackToleranceMs(timeoutS: number): number {
  return Math.max(1000, timeoutS * 100);
}

/** A reading is "fallen" at or below this: the failsafe current plus the larger of 1 A and 10 %. */
export function fallenThresholdA(failsafeA: number): number {
  return failsafeA + Math.max(1, failsafeA * 0.1);
}

export type Outcome = 'PASS' | 'FAIL' | 'INCONCLUSIVE' | 'NOT-APPLICABLE';

export interface FailsafeTestArgs {
  limitA?: number;
  pollMs: number;
  /** How long to wait for the car to draw the hold limit (measured-current view only). */
  windowS: number;
}

export interface FailsafeTestContext {
  cfg: ChargerConfig;
  profile: Profile;
  charger: ProfileCharger;
  args: FailsafeTestArgs;
  clock: Clock;
  eventLog: EventLog;
  /** One line of progress for a person (stderr in --json mode). */
  progress: (line: string) => void;
  report: (json: Record<string, unknown>, text: string[]) => void;
}

/** Where this profile shows a fallback, or why it cannot. */
export function fallbackView(profile: Profile): { view: FallbackView } | { view: null; reason: string } {
  if (!profile.failsafe || profile.keepAlive.kind === 'none') {
    return { view: null, reason: `${profile.name} has no failsafe to test (no watchdog or keep-alive in its profile)` };
  }
  const declared = profile.failsafe.showsIn;
  if (declared) return { view: declared };
  if (profile.appliedLimit) return { view: 'applied-limit' };
  if (profile.measurements?.currentsA) return { view: 'measured-current' };
  return {
    view: null,
    reason: 'the profile cannot observe a fallback: it has no appliedLimit, no measurements.currentsA, and no failsafe.showsIn: setpoint',
  };
}

type Sample = { sentMs: number; ackMs: number; valueA: number | undefined; reading: ChargerReading | null; error?: string };

const sleep = (clock: Clock, ms: number): Promise<void> => new Promise((r) => clock.setTimeout(r, Math.max(0, ms)));

export async function failsafeTest(ctx: FailsafeTestContext): Promise<number> {
  const { cfg, profile, charger, args, clock, eventLog, progress, report } = ctx;
  const fv = fallbackView(profile);
  if (fv.view === null) {
    report({ chargerId: cfg.id, ok: false, outcome: 'NOT-APPLICABLE', applicable: false, reason: fv.reason }, [`${cfg.id}: NOT APPLICABLE: ${fv.reason}`]);
    return FAILSAFE_TEST_EXIT.NOT_APPLICABLE;
  }
  const view = fv.view;
  const stepS = profile.setpoint.stepS ?? DEFAULT_STEP_S;
  const poll = profile.keepAlive.kind === 'poll';
  const inconclusive = (reason: string, extra: Record<string, unknown> = {}): number => {
    eventLog.append({ kind: 'charger.failsafe-test', chargerId: cfg.id, data: { outcome: 'INCONCLUSIVE', pass: false, reason, view, ...extra } });
    report({ chargerId: cfg.id, ok: false, pass: false, outcome: 'INCONCLUSIVE', reason, view, ...extra }, [`${cfg.id}: INCONCLUSIVE: ${reason}`]);
    return FAILSAFE_TEST_EXIT.INCONCLUSIVE;
  };

  progress(`${cfg.id}: failsafe-test, fallback seen by ${view}; connecting (writes the failsafe settings)`);
  await charger.connect();
  await charger.keepAlive();
  const fs = charger.failsafe!;
  const failsafeA = fs.readBack.currentA ?? fs.wrote.currentA ?? cfg.failsafeCurrentA;
  const timeoutS = fs.timeoutS;
  if (failsafeA === undefined) return inconclusive('the failsafe current is unknown (set failsafeCurrentA, or the profile needs failsafe.current.read)');
  if (timeoutS === null)
    return inconclusive('the failsafe timeout is unknown (set failsafeTimeoutS, or the profile needs failsafe.timeout or defaultTimeoutS)');
  if (!fs.ok) progress(`  warning: failsafe settings not confirmed: ${fs.notes.join('; ')}`);
  const fallenA = fallenThresholdA(failsafeA);
  const holdA = args.limitA ?? charger.rangeA.maxA;
  if (holdA <= fallenA) {
    const reason = `hold limit ${holdA} A is too close to the failsafe current ${failsafeA} A to tell them apart (needs more than ${fallenA} A); give --limit higher`;
    report({ chargerId: cfg.id, ok: false, pass: false, outcome: 'INCONCLUSIVE', reason }, [`${cfg.id}: INCONCLUSIVE: ${reason}`]);
    return FAILSAFE_TEST_EXIT.INCONCLUSIVE;
  }
  const toleranceMs = fallbackToleranceMs(timeoutS);
  const timeoutMs = timeoutS * 1000;
  const stepMs = stepS * 1000;
  const periodMs = charger.keepAlivePeriodMs ?? Math.max(100, timeoutMs / 4);
  progress(`  failsafe ${failsafeA} A after ${timeoutS} s (${fs.timeoutSource}); a fallback is a reading at or below ${fallenA} A`);

  const sample = async (): Promise<Sample> => {
    const sentMs = clock.now();
    try {
      const reading = await charger.read();
      let valueA: number | undefined;
      if (view === 'measured-current') valueA = reading.currentsA ? Math.max(...reading.currentsA) : undefined;
      else if (view === 'applied-limit') valueA = reading.appliedLimitA;
      else valueA = (await charger.readLimitA())?.valueA;
      return { sentMs, ackMs: clock.now(), valueA, reading };
    } catch (err) {
      return { sentMs, ackMs: clock.now(), valueA: undefined, reading: null, error: (err as Error).message };
    }
  };
  const fmt = (s: Sample): string => (s.valueA === undefined ? `no value${s.error ? ` (${s.error})` : ''}` : `${s.valueA.toFixed(2)} A`);

  // 1. The hold limit, held under keep-alive.
  progress(`  writing the hold limit ${holdA} A and checking the charger holds it`);
  const set = await charger.setCurrentLimitA(holdA);
  if (!set.ok) return inconclusive(`could not write the hold limit ${holdA} A: ${set.error}`);
  const holdUntil = clock.now() + stepMs + (view === 'measured-current' ? args.windowS * 1000 : 0);
  let held: Sample | null = null;
  let last: Sample | null = null;
  let lastFeed = clock.now();
  for (;;) {
    last = await sample();
    if (last.valueA !== undefined && last.valueA > fallenA) {
      held = last;
      break;
    }
    if (clock.now() >= holdUntil) break;
    if (clock.now() - lastFeed >= periodMs / 2) {
      await charger.keepAlive();
      lastFeed = clock.now();
    }
    await sleep(clock, Math.min(args.pollMs, periodMs / 2));
  }
  if (!held) {
    const why =
      view === 'measured-current'
        ? `the car did not draw more than ${fallenA} A within ${stepS + args.windowS} s (last ${last ? fmt(last) : 'none'}); without a car charging, a fallback cannot be seen in the measured current`
        : `the charger does not hold the hold limit ${holdA} A (it reports ${last ? fmt(last) : 'nothing'} after ${stepS} s): it may already be in its failsafe state or disabled; bring it back into service${profile.failsafe?.reenable?.length ? ' (the re-enable writes were made at connect)' : ''} and run again`;
    return inconclusive(why, { holdLimitA: holdA, failsafeA, timeoutS, lastValueA: last?.valueA ?? null });
  }
  progress(`  holds ${fmt(held)} (hold limit ${holdA} A)`);

  // 2. The last keep-alive: the watchdog restarts somewhere between its send and its answer.
  const feedSentMs = clock.now();
  await charger.keepAlive();
  const feedAckMs = clock.now();
  const lowerAt = feedSentMs + timeoutMs - toleranceMs;
  let upperAt = feedAckMs + timeoutMs + stepMs;
  progress(
    `  keep-alive stopped; expecting the fallback between ${((timeoutMs - toleranceMs) / 1000).toFixed(1)} s and ${((timeoutMs + stepMs) / 1000).toFixed(1)} s (timeout ${timeoutS} s, tolerance ${toleranceMs / 1000} s, step ${stepS} s)`,
  );
  /** How long before the upper bound the last reading in time is sent. */
  const marginMs = Math.min(500, args.pollMs, stepMs / 4);
  const rel = (ms: number): string => `+${((ms - feedSentMs) / 1000).toFixed(1)} s`;

  let lastHeld: Sample | null = null;
  let fallen: Sample | null = null;
  let samples = 0;
  if (poll) {
    // Any request feeds this watchdog: one read at the lower bound, then one at the upper.
    progress(`  this charger's watchdog counts any request: silent until ${rel(lowerAt)}`);
    await sleep(clock, lowerAt - clock.now());
    const first = await sample();
    samples++;
    progress(`  ${rel(first.sentMs)}  ${fmt(first)}`);
    if (first.valueA !== undefined && first.valueA <= fallenA) fallen = first;
    else if (first.valueA !== undefined && first.valueA > fallenA) lastHeld = first;
    if (!fallen && lastHeld) {
      // The read fed the watchdog: a second silent period, measured from that read.
      upperAt = first.ackMs + timeoutMs + stepMs;
      progress(`  that read restarted the watchdog: silent until just before ${rel(upperAt)}`);
      // A fallback stays once made, so a second read at the bound itself settles a late one.
      for (const at of [upperAt - marginMs, upperAt]) {
        await sleep(clock, at - clock.now());
        const s = await sample();
        samples++;
        last = s;
        progress(`  ${rel(s.sentMs)}  ${fmt(s)}`);
        if (s.valueA !== undefined && s.valueA <= fallenA) {
          fallen = s;
          break;
        }
      }
    } else {
      last = first;
    }
  } else {
    // Reads do not feed this watchdog: poll, with a read forced at each bound.
    let forcedLower = false;
    for (;;) {
      const s = await sample();
      samples++;
      last = s;
      progress(`  ${rel(s.sentMs)}  ${fmt(s)}`);
      if (s.valueA !== undefined && s.valueA <= fallenA) {
        fallen = s;
        break;
      }
      if (s.valueA !== undefined && s.valueA > fallenA) lastHeld = s;
      if (s.sentMs >= upperAt) break;
      const now = clock.now();
      let next = now + args.pollMs;
      if (!forcedLower && now < lowerAt && next > lowerAt) next = lowerAt;
      if (now >= lowerAt) forcedLower = true;
      // The last reads go out just before the bound and at it.
      if (now < upperAt - marginMs && next > upperAt - marginMs) next = upperAt - marginMs;
      else if (next > upperAt) next = upperAt;
      await sleep(clock, next - now);
    }
  }

  let outcome: Outcome;
  let reason: string;
  if (fallen && fallen.ackMs < lowerAt) {
    outcome = 'FAIL';
    reason = `fell back EARLY: ${fmt(fallen)} at ${rel(fallen.ackMs)}, before ${rel(lowerAt)} (timeout ${timeoutS} s minus ${toleranceMs / 1000} s): the charger's timeout is not the one configured`;
  } else if (!fallen && last && last.valueA !== undefined && last.sentMs >= upperAt) {
    outcome = 'FAIL';
    reason = `NO FALLBACK: still ${fmt(last)} at ${rel(last.sentMs)}, after ${rel(upperAt)} (timeout ${timeoutS} s plus step ${stepS} s): a dead agent would leave this charger where it was`;
  } else if (!fallen) {
    outcome = 'INCONCLUSIVE';
    reason = `no reading showed the charger's state at the upper bound ${rel(upperAt)} (last: ${last ? fmt(last) : 'none'})`;
  } else if (fallen.sentMs > upperAt) {
    outcome = 'INCONCLUSIVE';
    reason = `the fallback was seen at ${rel(fallen.sentMs)}, but no reading was taken by ${rel(upperAt)} (this machine was busy?): run again`;
  } else if (!lastHeld || lastHeld.sentMs < lowerAt) {
    outcome = 'INCONCLUSIVE';
    reason = `the fallback was seen at ${rel(fallen.ackMs)}, but no reading between ${rel(lowerAt)} and then showed the hold limit, so an early fallback cannot be ruled out: run again${poll ? '' : ' with a smaller --poll-ms'}`;
  } else {
    outcome = 'PASS';
    reason = `held ${fmt(lastHeld)} at ${rel(lastHeld.sentMs)} and fell back to ${fmt(fallen)} by ${rel(fallen.ackMs)}: within ${rel(lowerAt)}..${rel(upperAt)}`;
  }
  const pass = outcome === 'PASS';
  const result = {
    chargerId: cfg.id,
    ok: pass,
    pass,
    outcome,
    reason,
    view,
    holdLimitA: holdA,
    heldA: held.valueA ?? null,
    failsafeA,
    timeoutS,
    stepS,
    toleranceMs,
    boundsMs: { lower: lowerAt - feedSentMs, upper: upperAt - feedSentMs },
    lastHeldMs: lastHeld ? lastHeld.sentMs - feedSentMs : null,
    fallbackSeenMs: fallen ? fallen.ackMs - feedSentMs : null,
    observedA: fallen?.valueA ?? null,
    samples,
    twoPeriods: poll,
    failsafe: { wrote: fs.wrote, readBack: fs.readBack, ok: fs.ok, timeoutSource: fs.timeoutSource },
  };
  eventLog.append({ kind: 'charger.failsafe-test', chargerId: cfg.id, data: result });
  report(result, [
    `${cfg.id}: ${outcome}: ${reason}`,
    ...(pass || fallen ? ['  the charger now runs on its failsafe current until the agent writes again'] : []),
  ]);
  return pass ? FAILSAFE_TEST_EXIT.PASS : outcome === 'FAIL' ? FAILSAFE_TEST_EXIT.FAIL : FAILSAFE_TEST_EXIT.INCONCLUSIVE;
}
