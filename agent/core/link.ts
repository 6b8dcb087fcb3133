// Liveness of the HAN link and what a silence means. No valid line for staleAfterMs marks the
// link stale; each switch's last state then holds for holdMs, or until the meter's own `dur`
// lease for that state ends if that comes first; after that the configured fallback applies.
// 'normal' (default) is Smart Charge Points Regulations Reg 7: a silent link never blocks
// charging for ever. Staleness counts from the later of the last line and the agent's start
// or resume, so a restart gives the HAN one stale period to answer before anything changes;
// a stale episode in progress survives a restart, so restarts cannot stretch a hold.

import type { CoreConfig, Ms } from './types.js';
import type { CoreState, SwitchRecord } from './state.js';
import { emitEvent, requestRead, type Ctx } from './ctx.js';

export function staleDeadlineMs(config: CoreConfig, state: CoreState): Ms | null {
  const from = Math.max(state.link.lastLineMs ?? -Infinity, state.link.livenessFromMs ?? -Infinity);
  return Number.isFinite(from) ? from + config.link.staleAfterMs : null;
}

/** When the last state stops holding for this switch (null: the link is not stale). */
export function holdEndMs(config: CoreConfig, state: CoreState, sw: SwitchRecord | null): Ms | null {
  const since = state.link.staleSinceMs;
  if (since === null) return null;
  const end = since + config.link.holdMs;
  if (sw && sw.leaseEndMs !== null) return Math.min(end, Math.max(since, sw.leaseEndMs));
  return end;
}

export function inFallback(config: CoreConfig, state: CoreState, sw: SwitchRecord | null, nowMs: Ms): boolean {
  const end = holdEndMs(config, state, sw);
  return end !== null && nowMs >= end;
}

/** Time passing: mark the link stale and record each fallback as it begins. */
export function advanceLink(config: CoreConfig, state: CoreState, ctx: Ctx): void {
  const now = ctx.nowMs;
  const deadline = staleDeadlineMs(config, state);
  if (state.link.staleSinceMs === null && deadline !== null && now >= deadline) {
    state.link.staleSinceMs = deadline;
    emitEvent(ctx, 'link.stale', { lastLineMs: state.link.lastLineMs, staleSinceMs: deadline, staleAfterMs: config.link.staleAfterMs });
  }
  if (state.link.staleSinceMs === null) return;
  const globalEnd = state.link.staleSinceMs + config.link.holdMs;
  if (!state.link.globalFallback && now >= globalEnd) {
    state.link.globalFallback = true;
    emitEvent(ctx, 'link.fallback', { scope: 'link', fallback: config.link.fallback, holdEndMs: globalEnd, reason: 'hold' });
  }
  for (const key of Object.keys(state.switches).sort()) {
    const sw = state.switches[key];
    if (!sw || sw.inFallback) continue;
    const end = holdEndMs(config, state, sw);
    if (end === null || now < end) continue;
    sw.inFallback = true;
    emitEvent(
      ctx,
      'link.fallback',
      {
        scope: 'switch',
        idx: sw.idx,
        fallback: config.link.fallback,
        holdEndMs: end,
        reason: end < globalEnd ? 'lease' : 'hold',
        lastState: sw.signal,
        lastCause: sw.cause,
      },
      { switchIdx: sw.idx },
    );
  }
}

/** Any valid line proves the link alive. */
export function onLine(state: CoreState, ctx: Ctx): void {
  const now = ctx.nowMs;
  state.link.lastLineMs = now;
  if (state.link.staleSinceMs === null) return;
  const endedFallback = state.link.globalFallback || Object.values(state.switches).some((s) => s.inFallback);
  emitEvent(ctx, 'link.fresh', { staleSinceMs: state.link.staleSinceMs, staleForMs: now - state.link.staleSinceMs, fallbackEnded: endedFallback });
  state.link.staleSinceMs = null;
  state.link.globalFallback = false;
  for (const sw of Object.values(state.switches)) sw.inFallback = false;
}

/** A seq that is not the previous + 1 (mod 65536) means lost lines: ask for the full state. */
export function onSeq(state: CoreState, seq: number | undefined, ctx: Ctx): void {
  if (seq === undefined) return;
  const last = state.link.lastSeq;
  state.link.lastSeq = seq;
  if (last === null) return;
  const expected = (last + 1) % 65536;
  if (seq === expected) return;
  state.counters.seqGaps += 1;
  emitEvent(ctx, 'seq.gap', { expected, got: seq, lost: (seq - expected + 65536) % 65536 });
  requestRead(ctx, 'switches');
  requestRead(ctx, 'boost');
}

/**
 * Every (re)connect is followed by a READ of the whole state (PROTOCOL.md): whatever changed
 * while the line was down arrives as the answer. Decided here, the one place READ is decided;
 * the link only carries the lines.
 */
export function onLinkUp(state: CoreState, ctx: Ctx): void {
  const was = state.link.transport;
  state.link.transport = 'up';
  state.link.transportSinceMs = ctx.nowMs;
  emitEvent(ctx, 'link.up', { was });
  requestRead(ctx, 'switches');
  requestRead(ctx, 'boost');
}

export function onLinkDown(state: CoreState, error: string | undefined, ctx: Ctx): void {
  const was = state.link.transport;
  state.link.transport = 'down';
  state.link.transportSinceMs = ctx.nowMs;
  emitEvent(ctx, 'link.down', { was, error: error ?? null });
}

/** A `dur` lease that ends without news: ask the meter (READ), and again every staleAfterMs. */
export function advanceLeases(config: CoreConfig, state: CoreState, ctx: Ctx): void {
  const now = ctx.nowMs;
  for (const key of Object.keys(state.switches).sort()) {
    const sw = state.switches[key];
    if (!sw || sw.leaseEndMs === null) continue;
    if (sw.leaseExpiredMs === null) {
      if (now < sw.leaseEndMs) continue;
      sw.leaseExpiredMs = sw.leaseEndMs;
      sw.leaseAskedMs = now;
      state.counters.leaseExpiries += 1;
      emitEvent(ctx, 'lease.expired', { idx: sw.idx, leaseEndMs: sw.leaseEndMs, durMin: sw.durMin, state: sw.signal, cause: sw.cause }, { switchIdx: sw.idx });
      requestRead(ctx, 'switches');
    } else if (sw.leaseAskedMs !== null && now >= sw.leaseAskedMs + rereadMs(config)) {
      sw.leaseAskedMs = now;
      emitEvent(ctx, 'lease.reread', { idx: sw.idx, leaseEndMs: sw.leaseEndMs }, { switchIdx: sw.idx });
      requestRead(ctx, 'switches');
    }
  }
}

export function nextLeaseWakeMs(config: CoreConfig, sw: SwitchRecord): Ms | null {
  if (sw.leaseEndMs === null) return null;
  if (sw.leaseExpiredMs === null) return sw.leaseEndMs;
  return sw.leaseAskedMs === null ? null : sw.leaseAskedMs + rereadMs(config);
}

/** A silent meter is asked again at the stale period, never more often than once a second. */
function rereadMs(config: CoreConfig): Ms {
  return Math.max(1000, config.link.staleAfterMs);
}
