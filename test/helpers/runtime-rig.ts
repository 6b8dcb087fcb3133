// The runtime over fakes at every boundary, for the shell tests: the garage installation, a
// manual clock (monotonic, with a wall clock that can step apart), and deferred log work the
// test runs when it chooses.
import pino from 'pino';
import { Runtime } from '../../agent/runtime.js';
import type { CoreConfig } from '../../agent/core/types.js';
import type { SwitchMessage } from '../../drivers/han/messages.js';
import { garageConfig, T0 } from './garage.js';
import { FakeCharger, FakeHan, ManualClock, MemoryEventLog, type JournalEntry } from './fakes.js';
import { hanPortOf } from '../../agent/compose.js';
import { systemClock } from '../../drivers/clock.js';
import type { HanLink } from '../../drivers/han/link.js';

export function rig(eventLog?: MemoryEventLog, clock = new ManualClock(T0), coreConfig: CoreConfig = garageConfig, seed = 42) {
  const journal: JournalEntry[] = [];
  const han = new FakeHan(journal, clock);
  const charger = new FakeCharger('garage', journal, clock);
  const log = eventLog ?? new MemoryEventLog(journal, clock);
  const deferred: Array<() => void> = [];
  const settle = () => {
    while (deferred.length > 0) deferred.shift()!();
  };
  const runtime = new Runtime({
    defer: (fn) => deferred.push(fn),
    coreConfig,
    han,
    chargers: [charger],
    eventLog: log,
    clock,
    logger: pino({ level: 'silent' }),
    seed,
    dryRun: false,
  });
  return { journal, han, charger, log, runtime, clock, settle, deferred };
}

export function switchLine(state: 'open' | 'closed', cause: SwitchMessage['cause'] = 'dno') {
  const message: SwitchMessage = { verb: 'SWITCH', idx: 2, type: 'HCALCS', state, cause };
  return { raw: `SWITCH idx=2 state=${state} cause=${cause}`, outcome: { kind: 'message' as const, message, fields: {} } };
}

export const limits = (j: JournalEntry[]) => j.flatMap((e) => (e.what === 'set-limit' ? [e.limitA] : []));

/**
 * The runtime over a real HAN link, joined as agent/compose.ts joins them, with fakes for the
 * rest: what the agent decides to send (the READ after every connect) reaches the wire. Its
 * start() starts the link, its stop() closes it.
 */
export function runtimeOverLink(link: HanLink) {
  const journal: JournalEntry[] = [];
  const runtime = new Runtime({
    coreConfig: garageConfig,
    han: hanPortOf(link),
    chargers: [new FakeCharger('garage', journal, systemClock)],
    eventLog: new MemoryEventLog(journal, systemClock),
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    seed: 42,
    dryRun: false,
  });
  return { runtime, journal };
}
