// A night's story, written by the real runtime (core, shell, SQLite event log, history
// sampler) with fakes only at the boundary: a manual clock, HAN lines typed in, and a charger
// whose car draws min(limit, 16 A) on one phase. Summer time, so local (BST) and UTC differ.
//   20:30Z agent starts (a cold start: 6 A until the random delay of the cold-load rule ends),
//          link up, switch 2 closed (calendar), car plugged in; 32 A before 21:03Z
//   21:03Z DNO opens switch 2 for 120 min -> 6 A
//   22:41Z DNO resets switch 2 -> restore after the random delay (seed 42) -> 32 A
//   23:50Z DNO opens switch 2 again; 00:10Z consumer presses Boost (drives switch 2) -> 32 A
//   00:40Z car full; agent keeps sampling until 01:00Z, then stops
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Runtime, type ChargerPort } from '../../agent/runtime.js';
import { openEventLogStore } from '../../agent/event-log/store.js';
import { HistorySampler, SAMPLE_KIND, type SampledCharger } from '../../agent/history/sampler.js';
import { parseLine } from '../../drivers/han/parse.js';
import { garageConfig } from './garage.js';
import { chargerStatus, FakeHan, ManualClock, type JournalEntry } from './fakes.js';
import type { SupervisorState } from '../../drivers/charger/supervisor.js';

export const NIGHT_T0 = Date.parse('2026-07-14T20:30:00Z');
export const at = (hhmm: string, nextDay = false) => Date.parse(`2026-07-${nextDay ? 15 : 14}T${hhmm}:00Z`);

/** A charger port that measures: the car draws min(limit, carA) while plugged in and not full. */
export class MeasuredCharger implements ChargerPort, SampledCharger {
  started = false;
  limitA: number | null = null;
  plugged = false;
  carA = 16;
  constructor(
    readonly id: string,
    private readonly clock: ManualClock,
  ) {}
  start(): void {
    this.started = true;
  }
  setLimit(limitA: number): void {
    this.limitA = limitA;
  }
  state(): SupervisorState {
    const a = this.plugged && this.limitA !== null ? Math.min(this.limitA, this.carA) : 0;
    return {
      ...chargerStatus(this.id),
      connected: true,
      appliedLimitA: this.limitA,
      lastReading: { vehicleState: this.plugged ? (a > 0 ? 'C' : 'B') : 'A', charging: a > 0, currentsA: [a] },
      lastReadingAtMs: this.clock.now(),
    };
  }
  async close(): Promise<void> {}
}

export async function writeNight(path: string, o: { sampleIntervalMs?: number } = {}) {
  const clock = new ManualClock(NIGHT_T0);
  const journal: JournalEntry[] = [];
  const han = new FakeHan(journal, clock);
  const charger = new MeasuredCharger('garage', clock);
  const log = openEventLogStore(path, { clock: () => clock.now() });
  const runtime = new Runtime({
    coreConfig: { ...garageConfig, boost: { liftsDnoOpen: true } },
    han,
    chargers: [charger],
    eventLog: log,
    clock,
    logger: pino({ level: 'silent' }),
    seed: 42,
    dryRun: false,
    pollMs: 60_000,
    defer: (fn) => fn(),
  });
  const sampler = new HistorySampler({
    chargers: [charger],
    intervalMs: o.sampleIntervalMs ?? 60_000,
    clock,
    record: (id, data) => runtime.recordChargerEvent(SAMPLE_KIND, id, { ...data }),
  });
  const line = (raw: string) => han.deliver(raw, parseLine(raw));
  const until = (ms: number) => clock.advance(ms - clock.now());
  // The meter side repeats its state now and then, as a real one does with heartbeats.
  const heartbeat = (from: number, to: number) => {
    for (let t = from; t < to; t += 30_000) {
      until(t);
      line('HB');
    }
    until(to);
  };

  runtime.start();
  sampler.start();
  han.goUp();
  line('SWITCH idx=2 type=HCALCS state=closed cause=calendar seq=1');
  line('LABEL idx=2 text="EV Charger" seq=2');
  line('BOOSTCFG loads=2 period=60 seq=3');
  line('END what=boost');
  charger.plugged = true;
  heartbeat(clock.now(), at('21:03'));
  line('SWITCH idx=2 type=HCALCS state=open cause=dno dur=120 seq=4');
  heartbeat(clock.now(), at('22:41'));
  line('SWITCH idx=2 type=HCALCS state=closed cause=reset seq=5');
  heartbeat(clock.now(), at('23:50'));
  line('SWITCH idx=2 type=HCALCS state=open cause=dno dur=60 seq=6');
  heartbeat(clock.now(), at('00:10', true));
  line('BOOST action=press seq=7');
  heartbeat(clock.now(), at('00:40', true));
  charger.plugged = false;
  heartbeat(clock.now(), at('01:00', true));
  sampler.stop();
  await runtime.stop('end of the night');
  log.close();
  return { clock };
}

/** A temp dir with a night's log in it; removed at the end of the test. */
export async function nightLog(t: { teardown(fn: () => void): void }, o: { sampleIntervalMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-night-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'events.db');
  await writeNight(path, o);
  return { dir, path };
}
