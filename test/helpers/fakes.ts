// Fakes at the boundary of the shell: a manual clock, a HAN port the test types lines into,
// chargers that record what they were asked, and an in-memory event log. Every call lands
// in one shared journal so tests can check the order of effects.
import type { ChargerPort, Clock, HanPort } from '../../agent/runtime.js';
import type { EventInput, EventLog, EventQuery, EventRow } from '../../agent/event-log/types.js';
import type { ParseOutcome } from '../../drivers/han/messages.js';
import type { SupervisorState } from '../../drivers/charger/supervisor.js';

export type JournalEntry =
  | { at: number; what: 'set-limit'; chargerId: string; limitA: number; explanation: string }
  | { at: number; what: 'han-send'; line: string }
  | { at: number; what: 'event'; kind: string; row: EventInput }
  | { at: number; what: 'save-state'; key: string };

/** `t` is monotonic time (timers run on it, as Node's do); the wall clock is t plus an offset
 *  that stepWall() moves, as an NTP step or a Pi setting its clock after boot would. */
export class ManualClock implements Clock {
  private timers: Array<{ id: number; at: number; fn: () => void }> = [];
  private nextId = 1;
  private wallOffsetMs = 0;
  constructor(public t: number) {}
  now(): number {
    return this.t + this.wallOffsetMs;
  }
  monotonic(): number {
    return this.t;
  }
  /** Steps the wall clock alone (negative: back). */
  stepWall(byMs: number): void {
    this.wallOffsetMs += byMs;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  /** Moves time forward, firing every timer that falls due, in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (next === undefined || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
  pending(): number {
    return this.timers.length;
  }
}

export class FakeHan implements HanPort {
  started = false;
  closed = false;
  private line?: (l: { raw: string; outcome: ParseOutcome; atMs: number }) => void;
  private up?: () => void;
  private down?: (e?: Error) => void;
  constructor(
    private readonly journal: JournalEntry[],
    private readonly clock: Clock,
  ) {}
  start(): void {
    this.started = true;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  send(line: string): void {
    this.journal.push({ at: this.clock.now(), what: 'han-send', line });
  }
  onLine(h: (l: { raw: string; outcome: ParseOutcome; atMs: number }) => void): void {
    this.line = h;
  }
  onUp(h: () => void): void {
    this.up = h;
  }
  onDown(h: (e?: Error) => void): void {
    this.down = h;
  }
  deliver(raw: string, outcome: ParseOutcome): void {
    this.line?.({ raw, outcome, atMs: this.clock.now() });
  }
  goUp(): void {
    this.up?.();
  }
  goDown(err?: Error): void {
    this.down?.(err);
  }
}

/** A charger's status as a supervisor reports it before it has connected: what a fake starts from. */
export function chargerStatus(id: string): SupervisorState {
  return {
    id,
    profileId: 'fake',
    connected: false,
    dryRun: false,
    lastError: null,
    appliedLimitA: null,
    desiredLimitA: null,
    explanation: null,
    wouldWriteA: null,
    lastReading: null,
    lastReadingAtMs: null,
    lastWrite: null,
    verification: { status: 'idle' },
    failsafe: null,
    keepAlivePeriodMs: null,
  };
}

export class FakeCharger implements ChargerPort {
  started = false;
  closed = false;
  constructor(
    public readonly id: string,
    private readonly journal: JournalEntry[],
    private readonly clock: Clock,
  ) {}
  start(): void {
    this.started = true;
  }
  setLimit(limitA: number, explanation: string): void {
    this.journal.push({ at: this.clock.now(), what: 'set-limit', chargerId: this.id, limitA, explanation });
  }
  state(): SupervisorState {
    return chargerStatus(this.id);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

export class MemoryEventLog implements EventLog {
  rows: EventRow[] = [];
  states = new Map<string, string>();
  /** Saves of each key, and a switch that makes saveState throw (a full or read-only disk). */
  saves = new Map<string, number>();
  failSaves: Error | null = null;
  commands: Array<{ id: number; name: string; args: Record<string, unknown>; atMs: number; taken: boolean }> = [];
  constructor(
    private readonly journal: JournalEntry[],
    private readonly clock: Clock,
  ) {}
  append(e: EventInput): EventRow {
    const atMs = e.atMs ?? this.clock.now();
    const row: EventRow = {
      id: this.rows.length + 1,
      at: new Date(atMs).toISOString(),
      atMs,
      kind: e.kind,
      switchIdx: e.switchIdx ?? null,
      chargerId: e.chargerId ?? null,
      data: e.data ?? {},
      hash: '',
    };
    this.rows.push(row);
    this.journal.push({ at: this.clock.now(), what: 'event', kind: e.kind, row: e });
    return row;
  }
  appendMany(es: EventInput[]): EventRow[] {
    return es.map((e) => this.append(e));
  }
  query(q: EventQuery): EventRow[] {
    const hits = this.rows.filter((r) => (q.kind === undefined || r.kind === q.kind) && (q.kindPrefix === undefined || r.kind.startsWith(q.kindPrefix)));
    return q.limit === undefined ? hits : hits.slice(-q.limit);
  }
  verify() {
    return { ok: true as const, count: this.rows.length };
  }
  saveState(key: string, value: unknown): void {
    if (this.failSaves) throw this.failSaves;
    this.saves.set(key, (this.saves.get(key) ?? 0) + 1);
    this.states.set(key, JSON.stringify(value));
    this.journal.push({ at: this.clock.now(), what: 'save-state', key });
  }
  loadState<T>(key: string): T | undefined {
    const s = this.states.get(key);
    return s === undefined ? undefined : (JSON.parse(s) as T);
  }
  enqueueCommand(c: { name: string; args?: Record<string, unknown> }): number {
    const id = this.commands.length + 1;
    this.commands.push({ id, name: c.name, args: c.args ?? {}, atMs: this.clock.now(), taken: false });
    return id;
  }
  takeCommands() {
    const open = this.commands.filter((c) => !c.taken);
    for (const c of open) c.taken = true;
    return open.map(({ id, name, args, atMs }) => ({ id, name, args, atMs }));
  }
  close(): void {}
  kinds(): string[] {
    return this.rows.map((r) => r.kind);
  }
}
