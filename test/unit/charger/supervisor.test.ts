// The supervisor against a fake charger and a fake clock: write on change, keep-alive
// cadence, healing after a reboot, verification confirm/retry/alarm, degraded start, dry run.
import t from 'tap';
import pino from 'pino';
import type { ChargerReading, WriteOutcome } from '../../../drivers/charger/charger.js';
import type { FailsafeReport, ProfileCharger } from '../../../drivers/charger/profile-driver.js';
import { loadProfiles } from '../../../drivers/charger/profile.js';
import { BusError } from '../../../drivers/charger/bus.js';
import { ChargerSupervisor, type SupervisorOptions } from '../../../drivers/charger/supervisor.js';
import { FakeClock } from './fake-clock.js';
import type { ChargerPort } from '../../../agent/runtime.js';

const logger = pino({ level: 'silent' });
const heidelberg = loadProfiles().get('heidelberg-energy-control')!;

/** A charger in memory: the car follows the setpoint after carDelayMs unless stuckA is set. */
class FakeCharger implements ProfileCharger {
  readonly id = 'c1';
  readonly profileId = 'fake';
  profile = heidelberg;
  readonly rangeA = { minA: 6, maxA: 16, pauseA: 0 };
  reconnected = false;
  reconnectedSinceConnect(): boolean {
    return this.reconnected;
  }
  failsafe: FailsafeReport | null = null;
  keepAlivePeriodMs: number | null = 5000;
  setpointA: number | null = null;
  drawA = 0;
  carDelayMs = 8000;
  stuckA: number | null = null;
  private fromA = 0;
  private changedAt = 0;
  connectFailures = 0;
  failsafeReadsA = 6;
  dropNextRequest = false;
  measures = true;
  readable = true;
  readonly calls: Array<{ at: number; what: string }> = [];
  constructor(private readonly clock: FakeClock) {}
  private note(what: string): void {
    this.calls.push({ at: this.clock.now(), what });
  }
  writes(): string[] {
    return this.calls.filter((c) => c.what.startsWith('write')).map((c) => c.what);
  }
  async connect(): Promise<void> {
    this.note('connect');
    this.reconnected = false;
    if (this.connectFailures > 0) {
      this.connectFailures--;
      throw new BusError('connection refused', 'disconnected');
    }
    this.failsafe = {
      wrote: { currentA: 6, timeoutS: 15 },
      readBack: { currentA: this.failsafeReadsA, timeoutS: 15 },
      timeoutS: 15,
      timeoutSource: 'written',
      ok: this.failsafeReadsA === 6,
      notes: [],
    };
  }
  private measured(): number {
    if (this.stuckA !== null) return this.stuckA;
    const target = (this.setpointA ?? 0) * 0.95;
    return this.clock.now() - this.changedAt >= this.carDelayMs ? target : this.fromA;
  }
  /** The next write waits for this gate, then fails when failNextWrite is set. */
  writeGate: Promise<void> | null = null;
  failNextWrite = false;
  async setCurrentLimitA(limitA: number): Promise<WriteOutcome> {
    this.note(`write ${limitA}`);
    if (this.writeGate !== null) {
      const gate = this.writeGate;
      this.writeGate = null;
      await gate;
    }
    if (this.failNextWrite) {
      this.failNextWrite = false;
      return { ok: false, limitA, error: 'no answer', durationMs: 1000 };
    }
    this.fromA = this.measured();
    this.changedAt = this.clock.now();
    this.setpointA = limitA;
    return { ok: true, limitA, readBackA: limitA, durationMs: 3 };
  }
  private maybeDrop(): void {
    if (this.dropNextRequest) {
      this.dropNextRequest = false;
      throw new BusError('Port Not Open', 'disconnected');
    }
  }
  async readLimitA(): Promise<{ valueA: number; kind: 'setpoint' } | null> {
    this.note('read-limit');
    this.maybeDrop();
    if (!this.readable) return null;
    return { valueA: this.setpointA ?? 0, kind: 'setpoint' };
  }
  async read(): Promise<ChargerReading> {
    this.note('read');
    const r: ChargerReading = { vehicleState: 'C', charging: true };
    if (this.measures) r.currentsA = [this.measured(), this.measured(), this.measured()];
    return r;
  }
  /** Keep-alives that time out (the charger silent, the link still up). */
  silentKeepAlives = 0;
  async keepAlive(): Promise<void> {
    this.note('keepalive');
    this.maybeDrop();
    if (this.silentKeepAlives > 0) {
      this.silentKeepAlives--;
      throw new BusError('no answer', 'timeout');
    }
  }
  async reenable(): Promise<string[]> {
    this.note('reenable');
    return [];
  }
  reboot(): void {
    this.setpointA = 0;
  }
  async close(): Promise<void> {}
}

function setup(opts: Partial<SupervisorOptions> = {}) {
  const clock = new FakeClock();
  const charger = new FakeCharger(clock);
  const events: Array<{ at: number; kind: string; data: Record<string, unknown> }> = [];
  const sup = new ChargerSupervisor(charger, {
    logger,
    clock,
    verification: { windowMs: 20_000, pollMs: 2000, toleranceA: 1, tolerancePct: 10, retries: 2 },
    onEvent: (kind, _id, data) => events.push({ at: clock.now(), kind, data }),
    ...opts,
  });
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) await sup.idle();
  };
  const run = (ms: number): Promise<void> => clock.advance(ms, settle);
  const kinds = (): string[] => events.map((e) => e.kind);
  return { clock, charger, sup, events, run, kinds };
}

t.test('writes on change only', async (t) => {
  const { charger, sup, run } = setup();
  sup.start();
  await run(0);
  await sup.setLimit(16, 'normal');
  await sup.setLimit(16, 'normal again');
  await sup.setLimit(6, 'switch 2 open');
  await sup.setLimit(6, 'still open');
  await run(0);
  t.same(charger.writes(), ['write 16', 'write 6']);
  t.equal(sup.state().appliedLimitA, 6);
  t.equal(sup.state().explanation, 'still open');
  await sup.close();
});

t.test('a newer limit that arrives while a failing write is on the wire is written at once', async (t) => {
  // A DNO's reduction must not wait for the next keep-alive because the write before it failed.
  const { charger, sup, run } = setup();
  sup.start();
  await run(0);
  await sup.setLimit(16, 'normal');
  let open!: () => void;
  charger.writeGate = new Promise((resolve) => (open = resolve));
  charger.failNextWrite = true;
  const first = sup.setLimit(10, 'site cap');
  await sup.setLimit(6, 'switch 2 open'); // arrives while the write of 10 A is in flight
  open();
  await first;
  t.same(charger.writes(), ['write 16', 'write 10', 'write 6'], 'the 6 A follows the failed 10 A write at once');
  t.equal(charger.calls.at(-1)?.at, charger.calls.find((c) => c.what === 'write 10')?.at, 'no timer in between');
  t.equal(sup.state().appliedLimitA, 6);
  await run(0);
  await sup.close();
});

t.test('a failed reduction is retried after the first wait, not one keep-alive period later', async (t) => {
  // The scenario run that found it: 32 -> 6 A for a DNO, the write lost, a 15 s period.
  const { clock, charger, sup, run, events } = setup();
  charger.keepAlivePeriodMs = 15_000;
  sup.start();
  await run(0);
  await sup.setLimit(32, 'normal');
  charger.failNextWrite = true;
  const failedAt = clock.now();
  await sup.setLimit(6, 'switch 2 open, cause dno');
  t.equal(sup.state().appliedLimitA, null, 'the write failed');
  await run(1000);
  const writes = charger.calls.filter((c) => c.what.startsWith('write')).map((c) => `${c.what} +${c.at - failedAt}`);
  t.same(writes, ['write 32 +0', 'write 6 +0', 'write 6 +250'], 'retried once, 250 ms after the failure');
  t.equal(sup.state().appliedLimitA, 6);
  t.equal(charger.setpointA, 6, 'the charger holds the reduced current');
  const w = events.filter((e) => e.kind === 'charger.write').map((e) => `${e.data['limitA']} ${e.data['reason']} ${e.data['ok']}`);
  t.same(w, ['32 change true', '6 change false', '6 retry true']);
  await run(10_000);
  t.ok(
    events.some((e) => e.kind === 'charger.verified' && e.data['limitA'] === 6),
    'the retried write is verified by the measured current',
  );
  t.equal(charger.writes().length, 3, 'nothing more was written: no retry after success');
  await sup.close();
  t.equal(clock.pending(), 0, 'close leaves no timer armed');
});

t.test('keep-alive cadence: every period, never longer than a third of the timeout', async (t) => {
  const { clock, charger, sup, run } = setup();
  const startedAt = clock.now();
  sup.start();
  await run(60_000);
  const at = charger.calls.filter((c) => c.what === 'keepalive').map((c) => c.at);
  t.equal(at[0], startedAt, 'the first keep-alive goes out right after connect');
  t.equal(at.length, 13, 'one at connect, then 60 s / 5 s');
  const gaps = at.slice(1).map((a, i) => a - at[i]!);
  const timeoutMs = charger.failsafe!.timeoutS! * 1000;
  t.ok(
    gaps.every((g) => g <= timeoutMs / 3),
    `gaps ${[...new Set(gaps)].join(',')} ms <= ${timeoutMs / 3} ms`,
  );
  await sup.close();
  t.equal(sup.state().connected, true);
});

t.test('with a limit set, a poll-kind charger is fed by the read-back every period', async (t) => {
  const { charger, sup, run } = setup();
  sup.start();
  await run(0);
  await sup.setLimit(10, 'x');
  await run(40_000);
  const fed = charger.calls.filter((c) => c.what === 'keepalive' || c.what === 'read-limit').map((c) => c.at);
  const gaps = fed.slice(1).map((a, i) => a - fed[i]!);
  t.ok(fed.length >= 8, `${fed.length} feeding requests in 40 s`);
  t.ok(
    gaps.every((g) => g <= 5000),
    `largest gap ${Math.max(...gaps)} ms <= the 5 s period`,
  );
  await sup.close();
});

t.test('a rebooted charger gets its limit back within one keep-alive period', async (t) => {
  const { charger, sup, run, events } = setup();
  sup.start();
  await run(0);
  await sup.setLimit(10, 'switch open');
  await run(30_000);
  const rebootAt = charger.calls.at(-1)!.at + 1234;
  await run(1234);
  charger.reboot();
  await run(5000);
  const heal = events.find((e) => e.kind === 'charger.healed');
  t.ok(heal, 'healed event');
  t.same(heal?.data.foundA, 0);
  const rewrite = charger.calls.filter((c) => c.what === 'write 10' && c.at >= rebootAt);
  t.equal(rewrite.length, 1, 'one rewrite');
  t.ok(rewrite[0]!.at - rebootAt <= charger.keepAlivePeriodMs!, `rewritten ${rewrite[0]!.at - rebootAt} ms after the reboot`);
  t.equal(charger.setpointA, 10);
  await sup.close();
});

t.test('verification: confirmed when the measured current falls, time recorded', async (t) => {
  const { charger, sup, run, events } = setup();
  sup.start();
  await run(0);
  await sup.setLimit(16, 'normal');
  await run(30_000);
  charger.carDelayMs = 8000;
  await sup.setLimit(6, 'switch 2 open');
  await run(30_000);
  const v = events.filter((e) => e.kind === 'charger.verified').at(-1)!;
  t.equal(v.data.limitA, 6);
  const confirmMs = v.data.confirmMs as number;
  t.ok(confirmMs >= 8000 && confirmMs <= 10_000, `confirmed after ${confirmMs} ms (car 8 s, polls every 2 s)`);
  t.equal(sup.state().verification.status, 'confirmed');
  t.notOk(
    events.some((e) => e.kind === 'charger.alarm'),
    'no alarm',
  );
  await sup.close();
});

t.test('verification: retries, then alarm when the car keeps drawing too much', async (t) => {
  const { charger, sup, run, events, kinds } = setup();
  sup.start();
  await run(0);
  charger.stuckA = 15.5;
  await sup.setLimit(6, 'switch 2 open');
  await run(70_000);
  const writes = events.filter((e) => e.kind === 'charger.write').map((e) => e.data.reason);
  t.same(writes, ['change', 'verify-retry', 'verify-retry'], 'first write and 2 retries');
  const alarm = events.find((e) => e.kind === 'charger.alarm');
  t.ok(alarm, 'alarm raised');
  t.equal(alarm?.data.measuredA, 15.5);
  t.equal(alarm?.data.attempts, 3);
  t.ok((alarm?.data.sinceWriteMs as number) >= 60_000, 'after three 20 s windows');
  t.equal(sup.state().verification.status, 'alarm');
  t.notOk(kinds().includes('charger.verified'));
  // The car obeys at last: the next periodic reading confirms late and clears the alarm.
  charger.stuckA = null;
  await run(20_000);
  const late = events.find((e) => e.kind === 'charger.verified');
  t.equal(late?.data.late, true);
  t.equal(sup.state().verification.status, 'confirmed');
  await sup.close();
});

t.test('verification: a retry that works is confirmed on attempt 2', async (t) => {
  const { charger, sup, run, events } = setup();
  sup.start();
  await run(0);
  charger.stuckA = 15;
  await sup.setLimit(6, 'open');
  await run(21_000);
  charger.stuckA = null;
  charger.carDelayMs = 0;
  await run(10_000);
  const v = events.find((e) => e.kind === 'charger.verified');
  t.equal(v?.data.attempt, 2);
  t.ok((v?.data.confirmMs as number) >= 20_000, 'time counts from the first write');
  t.notOk(events.some((e) => e.kind === 'charger.alarm'));
  await sup.close();
});

t.test('a charger that measures nothing is verified by read-back only', async (t) => {
  const { charger, sup, run, events } = setup();
  charger.measures = false;
  sup.start();
  await run(0);
  await sup.setLimit(8, 'x');
  await run(1000);
  const v = events.find((e) => e.kind === 'charger.verified');
  t.equal(v?.data.by, 'read-back');
  t.equal(sup.state().verification.status, 'read-back-only');
  await sup.close();
});

t.test('degraded start: connect retries with capped backoff, then writes the limit', async (t) => {
  const { charger, sup, run, events } = setup({ reconnect: { initialMs: 1000, maxMs: 3000 } });
  charger.connectFailures = 4;
  sup.start();
  await sup.setLimit(6, 'open before the charger answered');
  await run(20_000);
  const fails = events.filter((e) => e.kind === 'charger.connect-failed').map((e) => e.data.retryInMs);
  t.same(fails, [1000, 2000, 3000, 3000]);
  const connects = charger.calls.filter((c) => c.what === 'connect').map((c) => c.at - charger.calls[0]!.at);
  t.same(connects, [0, 1000, 3000, 6000, 9000]);
  t.ok(events.some((e) => e.kind === 'charger.connected'));
  t.same(charger.writes(), ['write 6'], 'the limit asked for while down is written on connect');
  t.equal(sup.state().connected, true);
  t.equal(sup.state().lastError, null);
  await sup.close();
});

t.test('connection loss: disconnected, reconnect, limit rewritten', async (t) => {
  const { charger, sup, run, kinds } = setup();
  sup.start();
  await run(0);
  await sup.setLimit(7, 'x');
  await run(1000);
  charger.dropNextRequest = true;
  await run(5000);
  t.ok(kinds().includes('charger.disconnected'));
  t.equal(charger.calls.filter((c) => c.what === 'connect').length, 2);
  t.same(charger.writes(), ['write 7', 'write 7'], 'rewritten after reconnect');
  await sup.close();
});

t.test('a connection the bus re-established runs the whole connect again: failsafe and limit rewritten', async (t) => {
  const { charger, sup, run, kinds } = setup();
  sup.start();
  await run(0);
  await sup.setLimit(6, 'switch 2 open');
  await run(0);
  const connectsBefore = charger.calls.filter((c) => c.what === 'connect').length;
  const writesBefore = charger.writes().length;
  charger.reconnected = true;
  await run(5000);
  t.equal(charger.calls.filter((c) => c.what === 'connect').length, connectsBefore + 1, 'connect ran again (failsafe settings written)');
  t.ok(kinds().includes('charger.reconnected'));
  t.equal(kinds().filter((k) => k === 'charger.failsafe').length, 2, 'failsafe recorded at both connects');
  t.same(charger.writes().slice(writesBefore), ['write 6'], 'the limit written again after the reconnect');
  await sup.close();
});

t.test('dry run records "would write" and writes nothing', async (t) => {
  const { charger, sup, run, events } = setup({ dryRun: true });
  sup.start();
  await run(0);
  await sup.setLimit(6, 'open');
  await sup.setLimit(6, 'open');
  await sup.setLimit(10, 'closed');
  await run(30_000);
  t.same(charger.writes(), []);
  t.same(
    events.filter((e) => e.kind === 'charger.would-write').map((e) => e.data.limitA),
    [6, 10],
  );
  t.equal(sup.state().wouldWriteA, 10);
  t.equal(sup.state().appliedLimitA, null);
  await sup.close();
});

t.test('failsafe settings that do not read back raise an alarm at connect', async (t) => {
  const { charger, sup, run, events } = setup();
  charger.failsafeReadsA = 0;
  sup.start();
  await run(0);
  const fs = events.find((e) => e.kind === 'charger.failsafe');
  t.same(fs?.data.readBack, { currentA: 0, timeoutS: 15 });
  const alarm = events.find((e) => e.kind === 'charger.alarm');
  t.equal(alarm?.data.reason, 'failsafe settings not confirmed');
  t.equal(sup.state().connected, true, 'the charger is still controlled');
  await sup.close();
});

t.test('by default a setpoint that cannot be read back is rewritten every keep-alive period', async (t) => {
  const { charger, sup, run } = setup();
  charger.readable = false;
  sup.start();
  await run(0);
  await sup.setLimit(10, 'normal');
  await run(0);
  const before = charger.writes().length;
  charger.reboot();
  await run(5000);
  t.ok(charger.writes().length > before, 'rewritten within one keep-alive period (5 s)');
  t.equal(charger.setpointA, 10, 'the lost setpoint is back');
  await sup.close();
});

t.test('a setpoint that cannot be read back is rewritten quietly every blindRewriteMs', async (t) => {
  const { charger, sup, run, events } = setup({ blindRewriteMs: 20_000 });
  charger.readable = false;
  sup.start();
  await run(0);
  await sup.setLimit(9, 'x');
  const first = charger.calls.find((c) => c.what === 'write 9')!.at;
  charger.reboot();
  await run(65_000);
  const at = charger.calls.filter((c) => c.what === 'write 9').map((c) => c.at - first);
  t.same(at, [0, 20_000, 40_000, 60_000], 'rewritten on the first period after each 20 s');
  t.equal(charger.setpointA, 9, 'a lost setpoint comes back');
  t.equal(events.filter((e) => e.kind === 'charger.write').length, 1, 'refreshes that work are not logged');
  await sup.close();
});

t.test('close stops every timer', async (t) => {
  const { clock, sup, run } = setup();
  // The runtime drives chargers through its ChargerPort: the supervisor must satisfy it.
  const port: ChargerPort = sup;
  t.equal(port.id, 'c1');
  sup.start();
  await run(0);
  await sup.setLimit(6, 'x');
  await sup.close();
  t.equal(clock.pending(), 0);
});

t.test("after periods without an answer, a profile's re-enable writes are made and the limit rewritten", async (t) => {
  const { charger, sup, run, events } = setup();
  charger.profile = {
    ...heidelberg,
    keepAlive: { ...heidelberg.keepAlive, kind: 'heartbeat-value' },
    failsafe: { ...heidelberg.failsafe!, reenable: [{ register: { address: 5014, table: 'holding', type: 'uint16' }, value: 1, why: 'KEBA-like' }] },
  };
  sup.start();
  await run(0);
  await sup.setLimit(10, 'x');
  await run(1000);
  t.equal(charger.calls.filter((c) => c.what === 'reenable').length, 0, 'nothing to re-enable while it answers');
  charger.silentKeepAlives = 2;
  await run(15_000);
  const reenabled = events.filter((e) => e.kind === 'charger.reenabled');
  t.equal(reenabled.length, 1, 'once, when it answers again');
  t.equal(reenabled[0]!.data.afterFailedPeriods, 2);
  t.equal(charger.calls.filter((c) => c.what === 'reenable').length, 1);
  const at = charger.calls.find((c) => c.what === 'reenable')!.at;
  t.ok(
    charger.calls.some((c) => c.what === 'write 10' && c.at >= at),
    'the limit is written again after the re-enable',
  );
  await sup.close();
});
