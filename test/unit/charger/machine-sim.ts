// A charger and its port in memory for the machine's properties: it answers the requests
// the machine asks for (in an order and with outcomes the test draws), fires its timers, and
// checks the machine's promises on every step.

import { initialState, step } from '../../../drivers/charger/machine/step.js';
import type {
  ChargerFacts,
  Lane,
  MachineConfig,
  MachineEffect,
  MachineInput,
  MachineState,
  Request,
  TimerName,
} from '../../../drivers/charger/machine/types.js';
import { T0 } from './machine-fixtures.js';

export type Outcome = 'ok' | 'timeout' | 'lost';

export type Action =
  | { kind: 'answer'; pick: number; outcome: Outcome }
  | { kind: 'advance' }
  | { kind: 'set-limit'; limitA: number }
  | { kind: 'reboot' }
  /** The car draws this much whatever the limit (null: it follows the limit). */
  | { kind: 'car'; drawA: number | null }
  | { kind: 'bus-reconnect' };

export class Sim {
  state: MachineState = initialState();
  nowMs = T0;
  pending: Array<{ lane: Lane; request: Request }> = [];
  timers = new Map<TimerName, number>();
  /** What the charger holds (0 after a reboot). */
  setpointA = 0;
  /** The limit of the last write the charger acknowledged. */
  ackedA: number | null = null;
  busReconnected = false;
  carDrawA: number | null = null;
  writesRequested: number[] = [];
  steps = 0;

  constructor(
    readonly config: MachineConfig,
    readonly facts: ChargerFacts,
  ) {}

  feed(input: MachineInput): MachineEffect[] {
    const before = JSON.stringify(this.state);
    const given = this.state;
    const r = step(this.config, given, { ...input, reconnected: this.busReconnected }, this.nowMs);
    if (JSON.stringify(given) !== before) throw new Error(`step changed the state it was given (input ${input.type})`);
    this.state = r.state;
    this.steps++;
    for (const e of r.effects) this.take(e);
    this.check();
    return r.effects;
  }

  private take(e: MachineEffect): void {
    switch (e.type) {
      case 'request':
        if (this.pending.some((p) => p.lane === e.lane))
          throw new Error(`two requests in flight on lane ${e.lane}: ${JSON.stringify(this.pending)} + ${e.request.op}`);
        if (e.request.op === 'write') this.writesRequested.push(e.request.limitA);
        this.pending.push({ lane: e.lane, request: e.request });
        return;
      case 'set-timer':
        if (e.atMs < this.nowMs) throw new Error(`timer ${e.timer} set in the past`);
        this.timers.set(e.timer, e.atMs);
        return;
      case 'clear-timer':
        this.timers.delete(e.timer);
        return;
      default:
        return;
    }
  }

  private check(): void {
    for (const name of ['tick', 'verify', 'connect', 'write-retry'] as const) {
      if (this.state.timers[name] !== this.timers.has(name))
        throw new Error(`timer ${name}: machine says ${this.state.timers[name]}, armed ${this.timers.has(name)}`);
    }
    const s = this.state;
    if (s.appliedA !== null && s.appliedA !== this.ackedA) throw new Error(`applied ${s.appliedA} but the charger last acknowledged ${this.ackedA}`);
    if ((s.write !== null) !== this.pending.some((p) => p.lane === 'write')) throw new Error('write lane and requests disagree');
  }

  answer(index: number, outcome: Outcome): void {
    const [p] = this.pending.splice(index, 1);
    if (p === undefined) return;
    const fail = { error: outcome === 'lost' ? 'Port Not Open' : 'no answer', lost: outcome === 'lost' };
    const ok = outcome === 'ok';
    const req = p.request;
    switch (req.op) {
      case 'connect':
        if (ok) this.busReconnected = false;
        this.feed(ok ? { type: 'connected', facts: this.facts } : { type: 'connect-failed', ...fail });
        return;
      case 'keep-alive':
        this.feed(ok ? { type: 'fed' } : { type: 'feed-failed', ...fail });
        return;
      case 'read-limit':
        this.feed(
          ok
            ? { type: 'read-back', value: this.facts.limitReadable ? { valueA: this.setpointA, kind: 'setpoint' } : null }
            : { type: 'read-back-failed', ...fail },
        );
        return;
      case 'read': {
        const lane = p.lane === 'verify' ? 'verify' : 'cycle';
        const m = this.carDrawA ?? this.setpointA * 0.95;
        this.feed(ok ? { type: 'reading', lane, reading: { vehicleState: 'C', currentsA: [m, m, m] } } : { type: 'read-failed', lane, ...fail });
        return;
      }
      case 'reenable':
        this.feed({ type: 'reenabled', notWritten: ok ? [] : [fail.error] });
        return;
      case 'write':
        if (ok) {
          this.setpointA = req.limitA;
          this.ackedA = req.limitA;
        }
        this.feed({
          type: 'written',
          outcome: ok ? { ok, limitA: req.limitA, readBackA: req.limitA, durationMs: 3 } : { ok, limitA: req.limitA, error: fail.error, durationMs: 1000 },
        });
        return;
    }
  }

  /** Fires the earliest timer; false when none is armed. */
  advance(): boolean {
    let next: [TimerName, number] | undefined;
    for (const entry of this.timers) if (next === undefined || entry[1] < next[1]) next = entry;
    if (next === undefined) return false;
    this.timers.delete(next[0]);
    this.nowMs = next[1];
    this.feed({ type: 'timer', timer: next[0] });
    return true;
  }

  act(a: Action): void {
    switch (a.kind) {
      case 'answer':
        if (this.pending.length > 0) this.answer(a.pick % this.pending.length, a.outcome);
        return;
      case 'advance':
        this.advance();
        return;
      case 'set-limit':
        this.feed({ type: 'set-limit', limitA: a.limitA, explanation: 'test' });
        return;
      case 'reboot':
        this.setpointA = 0;
        return;
      case 'bus-reconnect':
        this.busReconnected = true;
        return;
      case 'car':
        this.carDrawA = a.drawA;
        return;
    }
  }

  /** The port answers everything from now on (and the car obeys): requests first, then time, until untilMs. */
  settle(untilMs: number, maxSteps = 5000): void {
    this.carDrawA = null;
    for (let i = 0; i < maxSteps; i++) {
      if (this.pending.length > 0) this.answer(0, 'ok');
      else {
        const next = Math.min(...this.timers.values());
        if (!Number.isFinite(next) || next > untilMs) return;
        this.advance();
      }
    }
    throw new Error(`not settled after ${maxSteps} steps`);
  }
}
