// The transition function of one charger: state + input + now -> new state + effects. No I/O,
// no timers, no clock: the shell (../supervisor.ts) does what the effects ask and feeds every
// answer back as an input.

import type { Ctx } from './ctx.js';
import { clearTimer, emit, holds } from './ctx.js';
import { afterConnectWrite, beginConnect, onConnected, onConnectFailed, onConnectFed } from './connect.js';
import { afterHealWrite, afterReenableWrite, onCycleReading, onFed, onReadBack, onReadBackFailed, onReenabled, onTick } from './cycle.js';
import { cloneState } from './state.js';
import type { MachineConfig, MachineEffect, MachineInput, MachineState, TimerName } from './types.js';

export { initialState } from './state.js';
import { afterVerifyWrite, onVerifyReading, onVerifyTimer } from './verify.js';
import { onWriteRetryTimer, onWritten, startWrite } from './write.js';

export interface StepResult {
  state: MachineState;
  effects: MachineEffect[];
}

function onSetLimit(s: MachineState, ctx: Ctx, limitA: number, explanation: string): void {
  s.desiredA = limitA;
  s.explanation = explanation;
  if (ctx.config.dryRun) {
    if (s.wouldWriteA !== limitA) {
      s.wouldWriteA = limitA;
      emit(ctx, 'charger.would-write', { limitA, explanation });
    }
    return;
  }
  // Not connected: the limit is written on connect. Writing: the write in flight follows up.
  if (!s.connected || s.closed || s.write !== null) return;
  if (holds(s, limitA)) return;
  startWrite(s, ctx, 'change');
}

function apply(s: MachineState, ctx: Ctx, input: MachineInput): void {
  switch (input.type) {
    case 'start':
      if (s.started || s.closed) return;
      s.started = true;
      return beginConnect(s, ctx);
    case 'close':
      s.closed = true;
      for (const timer of Object.keys(s.timers) as TimerName[]) clearTimer(s, ctx, timer);
      return;
    case 'set-limit':
      return onSetLimit(s, ctx, input.limitA, input.explanation);
    case 'timer':
      s.timers[input.timer] = false;
      if (input.timer === 'tick') return onTick(s, ctx);
      if (input.timer === 'verify') return onVerifyTimer(s, ctx);
      if (input.timer === 'write-retry') return onWriteRetryTimer(s, ctx);
      return s.cycle.at === 'idle' ? beginConnect(s, ctx) : undefined;
    case 'connected':
      return onConnected(s, ctx, input.facts);
    case 'connect-failed':
      return onConnectFailed(s, ctx, input);
    case 'fed':
    case 'feed-failed': {
      const f = input.type === 'fed' ? null : input;
      return s.cycle.at === 'feeding-on-connect' ? onConnectFed(s, ctx, f) : onFed(s, ctx, f);
    }
    case 'read-back':
      return onReadBack(s, ctx, input.value);
    case 'read-back-failed':
      return onReadBackFailed(s, ctx, input);
    case 'reading':
      return input.lane === 'verify' ? onVerifyReading(s, ctx, input.reading, null) : onCycleReading(s, ctx, input.reading, null);
    case 'read-failed':
      return input.lane === 'verify' ? onVerifyReading(s, ctx, null, input.error) : onCycleReading(s, ctx, null, input);
    case 'written':
      return onWritten(s, ctx, input.outcome);
    case 'reenabled':
      return onReenabled(s, ctx, input.notWritten);
  }
}

/** A write chain ended: whoever waited for it goes on. */
function resumeAfterWrite(s: MachineState, ctx: Ctx): void {
  const done = ctx.writeDone;
  if (done === null) return;
  ctx.writeDone = null;
  switch (s.cycle.at) {
    case 'writing-on-connect':
      afterConnectWrite(s, ctx);
      break;
    case 'healing':
      afterHealWrite(s, ctx, done.outcome);
      break;
    case 'writing-after-reenable':
      afterReenableWrite(s, ctx);
      break;
    default:
      break;
  }
  afterVerifyWrite(s, ctx, done.outcome);
}

export function step(config: MachineConfig, state: MachineState, input: MachineInput, nowMs: number): StepResult {
  if (!Number.isFinite(nowMs)) throw new TypeError(`charger machine: nowMs must be a finite number of ms, got ${String(nowMs)}`);
  const s = cloneState(state);
  const ctx: Ctx = { config, nowMs, reconnected: input.reconnected ?? false, effects: [], writeDone: null };
  apply(s, ctx, input);
  resumeAfterWrite(s, ctx);
  return { state: s, effects: ctx.effects };
}
