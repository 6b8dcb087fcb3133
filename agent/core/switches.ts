// A SWITCH line is both a change notice and a status report: the same state repeated is not
// a change. Its `dur` is a lease: the meter promises the state until then (renewed by each
// report that carries a dur, dropped by one without). A report without `dev` keeps the device
// last reported on that number, and a repeated state with cause=unknown keeps the known cause,
// because a status report that knows less must not erase what a change notice said (the
// boost rule for a dno open depends on it).

import type { SwitchReport } from './inputs.js';
import type { CoreConfig } from './types.js';
import type { CoreState, SwitchRecord } from './state.js';
import { chargersOfIdx, boundIdxs } from './bindings.js';
import { onButton } from './boost.js';
import { emitEvent, exempt, type Ctx } from './ctx.js';
import { sameSignal, signalFromMessage, signalLifts, signalText } from './signal.js';
import { MINUTE_MS } from './time.js';

export function onSwitch(config: CoreConfig, state: CoreState, msg: SwitchReport, ctx: Ctx): void {
  const now = ctx.nowMs;
  const key = String(msg.idx);
  const prev = state.switches[key] ?? null;
  const dev = msg.dev ?? prev?.dev ?? null;
  const signal = signalFromMessage(msg);
  const changed = prev === null || !sameSignal(prev.signal, signal) || prev.dev !== dev;
  const cause = !changed && msg.cause === 'unknown' && prev ? prev.cause : msg.cause;
  const durMin = msg.durMin !== undefined && msg.durMin > 0 ? msg.durMin : null;

  checkDevice(config, state, msg.idx, dev, ctx);

  const rec: SwitchRecord = {
    idx: msg.idx,
    type: msg.type,
    dev,
    signal,
    cause,
    sinceMs: changed || !prev ? now : prev.sinceMs,
    lastReportMs: now,
    durMin,
    leaseEndMs: durMin === null ? null : now + durMin * MINUTE_MS,
    leaseExpiredMs: null,
    leaseAskedMs: null,
    seq: msg.seq ?? null,
    inFallback: false,
  };
  state.switches[key] = rec;
  if (changed) delete state.boost.denials[key];

  emitEvent(
    ctx,
    'switch.state',
    {
      idx: msg.idx,
      type: msg.type,
      dev,
      state: signalText(signal),
      cause: msg.cause,
      durMin,
      seq: msg.seq ?? null,
      changed,
      bound: boundIdxs(config, state).includes(msg.idx),
      label: state.labels[key]?.text ?? null,
      leaseEndMs: rec.leaseEndMs,
    },
    { switchIdx: msg.idx },
  );

  if (!changed || prev === null || prev.dev !== dev || !signalLifts(prev.signal, signal)) return;
  markExemptions(config, state, rec, ctx);
}

/** Increases the meter has already randomised or that the consumer asked for skip the delay. */
function markExemptions(config: CoreConfig, state: CoreState, rec: SwitchRecord, ctx: Ctx): void {
  const chargers = chargersOfIdx(config, state, rec.idx);
  if (rec.cause === 'calendar' && config.restore.meterRandomisesCalendar) {
    for (const id of chargers)
      exempt(ctx, id, 'calendar-randomised', `switch ${rec.idx} closed by the calendar, which the meter randomises (restore.meterRandomisesCalendar)`);
  }
  if (rec.cause === 'boost') {
    // The meter's own Boost Button closed the switch. The meter owns its switch, so the state
    // is honoured either way; the increase skips the delay only if the switch is (or may be)
    // on the button, else it is an inconsistency worth recording and waits like any other.
    const on = onButton(state, rec.idx);
    if (on === false) {
      emitEvent(
        ctx,
        'boost.inconsistent',
        { idx: rec.idx, reason: `meter reports a boost closing switch ${rec.idx}, which is not on the Boost Button`, loads: state.boost.loads },
        { switchIdx: rec.idx },
      );
      return;
    }
    for (const id of chargers) exempt(ctx, id, 'boost-switch', `switch ${rec.idx} closed by the meter's Boost Button`);
  }
}

function checkDevice(config: CoreConfig, state: CoreState, idx: number, dev: string | null, ctx: Ctx): void {
  const key = String(idx);
  for (const b of config.bindings) {
    if (b.switchIdx !== idx || b.dev === undefined) continue;
    const known = state.devMismatch[key];
    if (dev !== b.dev) {
      if (!known || known.dev !== dev) {
        state.devMismatch[key] = { dev, expectedDev: b.dev, sinceMs: ctx.nowMs };
        emitEvent(ctx, 'switch.dev-mismatch', { idx, dev, expectedDev: b.dev }, { switchIdx: idx });
      }
    } else if (known) {
      delete state.devMismatch[key];
      emitEvent(ctx, 'switch.dev-match', { idx, dev, mismatchSinceMs: known.sinceMs }, { switchIdx: idx });
    }
    return;
  }
}
