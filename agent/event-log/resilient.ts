// The event log as the running agent uses it: evidence, never a reason to stop controlling.
// The store (store.ts) throws on a full or read-only disk, a corrupt file or a newer schema;
// this wrapper never throws into the control path. What it does instead:
//
// - At start, a file that cannot be opened, migrated or written is moved aside (renamed with
//   a UTC stamp, -wal and -shm with it, kept as evidence) and a new log begun whose first row
//   (`eventlog.recovered`) says why and where the old file went. The saved state is salvaged
//   from the old file first where it can still be read. Transient faults (disk full, busy, I/O
//   errors) do not move anything: nothing is wrong with the file.
// - When no file can be opened at all (read-only or full disk, unwritable directory), rows and
//   saved state live in memory, the health is "degraded", and the file is retried.
// - A failed write while running degrades the health (logged once through pino, visible in
//   `status` through the health file) and keeps the rows in a bounded buffer, oldest dropped
//   first; when writing works again the buffer is written in order, after an `eventlog.outage`
//   row and, if rows were dropped, an `eventlog.gap` row with their count and time span.
// - A database, WAL or shared-memory file deleted (or replaced) while running is noticed by a
//   periodic inode check. The open connection still sees everything, so the log is rebuilt
//   from it: a deleted database is copied back to its path (VACUUM INTO), a deleted WAL is
//   checkpointed into the database; then the file is reopened and an `eventlog.reopened` row
//   says what happened. Nothing written before is lost and the hash chain continues.
//
// Rows that could not be written yet are returned with id 0 and an empty hash.

import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import Database from 'better-sqlite3';
import { openEventLogStore, type EventLogStore } from './store.js';
import type { EventInput, EventLog, RowInput, EventQuery, EventRow, VerifyResult } from './types.js';

export interface EventLogHealth {
  status: 'ok' | 'degraded';
  /** Why the log is degraded; null when ok. */
  reason: string | null;
  /** When the current degradation began. */
  sinceMs: number | null;
  /** Where rows go now: the file, or memory only (no file could be opened). */
  storage: 'file' | 'memory';
  /** Rows waiting in memory to be written. */
  buffered: number;
  /** Rows dropped from the full buffer since the last gap row was written. */
  lost: number;
  /** Files moved aside by this process (kept as evidence). */
  movedAside: string[];
  path: string;
}

export interface ResilientOptions {
  logger: Logger;
  /** Milliseconds since the epoch (row stamps, health). */
  clock?: () => number;
  /** Most rows kept in memory while the file cannot be written. */
  bufferMax?: number;
  /** How often to check the files and retry writing; 0: never on its own (tests call maintain()). */
  checkMs?: number;
  /** Rows written per transaction when catching up, so a long backlog never stalls control. */
  flushChunk?: number;
  /** Called when the health changes, and on every check while degraded. */
  onHealth?: (health: EventLogHealth) => void;
  /** Opens the store; tests wrap the real one to inject faults. */
  openStore?: (path: string) => EventLogStore;
}

export const DEFAULT_BUFFER_MAX = 10_000;
export const DEFAULT_CHECK_MS = 2_000;
const DEFAULT_FLUSH_CHUNK = 500;

// Faults of the disk or of the moment, not of the file: retry, never move the file aside.
const TRANSIENT = /^(SQLITE_(BUSY|LOCKED|FULL|IOERR|NOMEM)|ENOSPC|EIO|EBUSY)/;
// A file that refuses writes while running is a remounted or failing disk; at open it is more
// likely the file itself (owned by root after a manual run), which a move aside cures.
const TRANSIENT_WHILE_RUNNING = /^SQLITE_READONLY/;
// A bound on files moved aside by one process, so a fault misread as a bad file cannot fill
// the directory with copies.
const MAX_MOVES = 5;

function codeOf(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}

function messageOf(err: unknown): string {
  const code = codeOf(err);
  const msg = err instanceof Error ? err.message : String(err);
  return code && !msg.includes(code) ? `${msg} (${code})` : msg;
}

function isTransient(err: unknown, running: boolean): boolean {
  const code = codeOf(err) ?? '';
  return TRANSIENT.test(code) || (running && TRANSIENT_WHILE_RUNNING.test(code));
}

/** Input errors of the store (a malformed row), as opposed to the disk failing. */
function isInvalidRow(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError;
}

/** 2026-11-30T03-40-12.345Z: sorts by time, no colons (safe in any file name). */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/:/g, '-');
}

function inodeOf(path: string): string | null {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}

/** Reads the state table of a file the store refused, without the store's checks. */
function salvageState(path: string): Map<string, unknown> {
  const found = new Map<string, unknown>();
  if (!existsSync(path)) return found;
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 200 });
    for (const r of db.prepare('SELECT key, value FROM state').all() as Array<{ key: string; value: string }>) {
      try {
        found.set(r.key, JSON.parse(r.value));
      } catch {
        // One unreadable value does not spoil the others.
      }
    }
  } catch {
    // Corrupt beyond reading, or no state table: nothing to salvage.
  } finally {
    db?.close();
  }
  return found;
}

interface Outage {
  reason: string;
  sinceMs: number;
  lost: number;
  lostFirstMs: number | null;
  lostLastMs: number | null;
}

export class ResilientEventLog implements EventLog {
  private store: EventLogStore | null = null;
  private inodes: { db: string | null; wal: string | null; shm: string | null } = { db: null, wal: null, shm: null };
  private buffer: RowInput[] = [];
  /** Notes to write first once a file takes rows again (recovered/reopened). */
  private notes: EventInput[] = [];
  private readonly stateMem = new Map<string, unknown>();
  private readonly dirtyState = new Set<string>();
  private outage: Outage | null = null;
  private readonly movedAside: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private catchUpQueued = false;
  private closed = false;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly bufferMax: number;
  private readonly flushChunk: number;
  private readonly openStore: (path: string) => EventLogStore;
  private lastHealthKey = '';

  constructor(
    readonly path: string,
    private readonly o: ResilientOptions,
  ) {
    this.log = o.logger.child({ module: 'event-log' });
    this.clock = o.clock ?? Date.now;
    this.bufferMax = Math.max(1, o.bufferMax ?? DEFAULT_BUFFER_MAX);
    this.flushChunk = Math.max(1, o.flushChunk ?? DEFAULT_FLUSH_CHUNK);
    this.openStore = o.openStore ?? ((p) => openEventLogStore(p));
    this.openFile('start');
    const checkMs = o.checkMs ?? DEFAULT_CHECK_MS;
    if (checkMs > 0) {
      this.timer = setInterval(() => this.maintain(), checkMs);
      // The runtime keeps the process alive; this timer alone must not.
      this.timer.unref();
    }
    this.reportHealth();
  }

  health(): EventLogHealth {
    return {
      status: this.outage === null ? 'ok' : 'degraded',
      reason: this.outage?.reason ?? null,
      sinceMs: this.outage?.sinceMs ?? null,
      storage: this.store === null ? 'memory' : 'file',
      buffered: this.buffer.length + this.notes.length,
      lost: this.outage?.lost ?? 0,
      movedAside: [...this.movedAside],
      path: this.path,
    };
  }

  // ---- EventLog ----

  append(event: RowInput): EventRow {
    return this.appendMany([event])[0] as EventRow;
  }

  appendMany(events: RowInput[]): EventRow[] {
    if (!Array.isArray(events) || events.length === 0) return [];
    const now = this.clock();
    const rows = events.map((e) => (e !== null && typeof e === 'object' && e.atMs === undefined ? { ...e, atMs: now } : e));
    // Behind a backlog, new rows queue up so the file keeps their order.
    if (this.store === null || this.buffer.length > 0 || this.notes.length > 0) {
      this.enqueue(rows);
      if (this.store !== null && this.outage === null) this.queueCatchUp();
      return rows.map((r) => this.unwritten(r));
    }
    return this.write(rows);
  }

  query(q: EventQuery): EventRow[] {
    if (this.store === null) {
      const rows = this.buffer.filter((r) => (q.kind === undefined || r.kind === q.kind) && (q.kindPrefix === undefined || r.kind.startsWith(q.kindPrefix)));
      return (q.limit === undefined ? rows : rows.slice(-q.limit)).map((r) => this.unwritten(r));
    }
    try {
      return this.store.query(q);
    } catch (err) {
      this.log.warn({ err }, 'event log query failed');
      return [];
    }
  }

  verify(): VerifyResult {
    if (this.store === null) return { ok: false, count: 0, firstBadId: 0, reason: `no event log file open (${this.outage?.reason ?? 'memory only'})` };
    return this.store.verify();
  }

  saveState(key: string, value: unknown): void {
    // Memory first: whatever happens to the disk, loadState and the next retry see the latest.
    this.stateMem.set(key, value);
    this.dirtyState.add(key);
    this.writeState();
  }

  loadState<T>(key: string): T | undefined {
    if (this.stateMem.has(key)) return this.stateMem.get(key) as T | undefined;
    if (this.store === null) return undefined;
    try {
      return this.store.loadState<T>(key);
    } catch (err) {
      // An unreadable saved state is a fresh start, recorded, never a crash (that would be a
      // restart loop with no charger control).
      this.log.error({ err, key }, 'saved state unreadable; ignored');
      this.appendMany([{ kind: 'eventlog.state-unreadable', data: { key, error: messageOf(err) } }]);
      return undefined;
    }
  }

  enqueueCommand(command: { name: string; args?: Record<string, unknown> }): number {
    if (this.store === null) throw new Error(`event log ${this.path} is not open (${this.outage?.reason ?? 'memory only'})`);
    return this.store.enqueueCommand(command);
  }

  takeCommands(): ReturnType<EventLog['takeCommands']> {
    if (this.store === null) return [];
    try {
      return this.store.takeCommands();
    } catch (err) {
      this.failed('taking owner commands', err);
      return [];
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    // Last chance for the backlog and the latest state.
    for (let i = 0; i < 1000 && this.store !== null && (this.buffer.length > 0 || this.notes.length > 0); i++) {
      if (!this.flushSome()) break;
    }
    this.writeState();
    const left = this.buffer.length + this.notes.length;
    if (left > 0 || this.dirtyState.size > 0) {
      this.log.error({ rows: left, state: [...this.dirtyState], lost: this.outage?.lost ?? 0 }, 'event log closed with rows or state not written');
    }
    try {
      this.store?.close();
    } catch (err) {
      this.log.warn({ err }, 'closing the event log failed');
    }
    this.store = null;
  }

  // ---- upkeep ----

  /** Checks the files are still the ones open, retries what failed. Runs on the timer. */
  maintain(): void {
    if (this.closed) return;
    try {
      if (this.store === null) this.openFile('retry');
      else this.checkFiles();
      if (this.store !== null && this.writeState()) {
        const behind = this.outage !== null || this.buffer.length > 0 || this.notes.length > 0;
        if (behind && this.flushSome() && this.buffer.length > 0) this.queueCatchUp();
      }
    } catch (err) {
      // Upkeep must never take the agent down.
      this.log.error({ err }, 'event log upkeep failed');
    }
    this.reportHealth(this.outage !== null);
  }

  private queueCatchUp(): void {
    if (this.catchUpQueued || this.closed) return;
    this.catchUpQueued = true;
    setImmediate(() => {
      this.catchUpQueued = false;
      this.maintain();
    });
  }

  // ---- internals ----

  private unwritten(r: RowInput): EventRow {
    const atMs = Math.floor(r.atMs ?? this.clock());
    return {
      id: 0,
      at: Number.isFinite(atMs) ? new Date(atMs).toISOString() : '',
      atMs,
      kind: r.kind,
      switchIdx: r.switchIdx ?? null,
      chargerId: r.chargerId ?? null,
      data: r.data ?? {},
      hash: '',
    };
  }

  private enqueue(rows: RowInput[]): void {
    this.buffer.push(...rows);
    const over = this.buffer.length - this.bufferMax;
    if (over <= 0) return;
    const dropped = this.buffer.splice(0, over);
    // Buffering only happens while degraded or catching up; count losses against the outage.
    const o = (this.outage ??= { reason: 'event log backlog over the memory bound', sinceMs: this.clock(), lost: 0, lostFirstMs: null, lostLastMs: null });
    if (o.lost === 0) this.log.error({ bufferMax: this.bufferMax }, 'event log buffer full: dropping the oldest rows (a gap row will say how many)');
    o.lost += dropped.length;
    for (const r of dropped) {
      const at = r.atMs ?? null;
      if (at === null) continue;
      o.lostFirstMs = o.lostFirstMs === null ? at : Math.min(o.lostFirstMs, at);
      o.lostLastMs = o.lostLastMs === null ? at : Math.max(o.lostLastMs, at);
    }
  }

  /** Writes rows straight to the store; on a disk fault they go to the buffer instead. */
  private write(rows: RowInput[]): EventRow[] {
    const store = this.store as EventLogStore;
    try {
      return store.appendMany(rows);
    } catch (err) {
      if (isInvalidRow(err)) return this.writeOneByOne(rows);
      this.failed('appending rows', err);
      this.enqueue(rows);
      return rows.map((r) => this.unwritten(r));
    }
  }

  /** A batch with a malformed row: write the good ones, a note in place of each bad one. */
  private writeOneByOne(rows: RowInput[]): EventRow[] {
    const out: EventRow[] = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as RowInput;
      if (this.store === null || this.buffer.length > 0) {
        this.enqueue([r]);
        out.push(this.unwritten(r));
        continue;
      }
      try {
        out.push(...this.store.appendMany([r]));
      } catch (err) {
        if (!isInvalidRow(err)) {
          this.failed('appending rows', err);
          this.enqueue(rows.slice(i));
          out.push(...rows.slice(i).map((x) => this.unwritten(x)));
          break;
        }
        this.log.error({ err }, 'malformed event-log row replaced by a note');
        const kind = typeof r?.kind === 'string' ? r.kind.slice(0, 64) : String(typeof r?.kind);
        out.push(...this.write([{ kind: 'eventlog.rejected-row', atMs: this.clock(), data: { kind, error: messageOf(err) } }]));
      }
    }
    return out;
  }

  /** One chunk of the backlog; false when the file refused it. */
  private flushSome(): boolean {
    const store = this.store;
    if (store === null) return false;
    const head: RowInput[] = [...this.notes];
    const o = this.outage;
    if (o !== null) {
      const nowMs = this.clock();
      head.push({
        kind: 'eventlog.outage',
        atMs: nowMs,
        data: { reason: o.reason, fromMs: o.sinceMs, toMs: nowMs, delayedRows: this.buffer.length, lostRows: o.lost },
      });
      if (o.lost > 0) {
        head.push({ kind: 'eventlog.gap', atMs: nowMs, data: { lost: o.lost, firstAtMs: o.lostFirstMs, lastAtMs: o.lostLastMs, reason: o.reason } });
      }
    }
    const chunk = this.buffer.slice(0, Math.max(0, this.flushChunk - head.length));
    try {
      store.appendMany([...head, ...chunk]);
    } catch (err) {
      if (isInvalidRow(err)) {
        // One bad row must not block the backlog for ever.
        this.buffer.splice(0, chunk.length);
        this.notes = [];
        if (o !== null) this.outage = { ...o, lost: 0, lostFirstMs: null, lostLastMs: null };
        this.writeOneByOne([...head, ...chunk]);
        return true;
      }
      this.failed('writing the backlog', err);
      return false;
    }
    this.buffer.splice(0, chunk.length);
    this.notes = [];
    // The outage is written down; what remains is catching up.
    if (o !== null) {
      this.log.warn({ reason: o.reason, lost: o.lost, delayed: this.buffer.length + chunk.length }, 'event log writable again; catching up');
      this.outage = null;
    }
    return true;
  }

  /** Writes the state keys not on disk yet; false if the file refused. */
  private writeState(): boolean {
    if (this.store === null) return false;
    for (const key of [...this.dirtyState]) {
      try {
        this.store.saveState(key, this.stateMem.get(key));
        this.dirtyState.delete(key);
      } catch (err) {
        if (isInvalidRow(err)) {
          // Not storable as JSON: a programming error; keep it in memory only.
          this.log.error({ err, key }, 'state not storable; kept in memory only');
          this.dirtyState.delete(key);
          continue;
        }
        this.failed(`saving state "${key}"`, err);
        return false;
      }
    }
    return true;
  }

  private failed(what: string, err: unknown): void {
    const reason = `${what} failed: ${messageOf(err)}`;
    if (this.outage === null) {
      this.outage = { reason, sinceMs: this.clock(), lost: 0, lostFirstMs: null, lostLastMs: null };
      this.log.error({ err, path: this.path }, `EVENT LOG DEGRADED: ${reason}; rows kept in memory (up to ${this.bufferMax}) and retried`);
    } else if (this.outage.reason !== reason) {
      this.outage.reason = reason;
    }
    this.reportHealth();
    if (!isTransient(err, true) && this.store !== null) {
      // Not the disk: the file itself has gone bad under us. Start over on a new one.
      this.log.error({ err }, 'event log file unusable while running; moving it aside');
      this.dropStore();
      this.openFile('broken while running');
    }
  }

  private dropStore(): void {
    try {
      this.store?.close();
    } catch {
      // Already broken; the file is dealt with by the caller.
    }
    this.store = null;
  }

  private reportHealth(force = false): void {
    const h = this.health();
    const key = `${h.status}|${h.reason}|${h.storage}|${h.buffered > 0}|${h.lost}|${h.movedAside.length}`;
    if (!force && key === this.lastHealthKey) return;
    if (this.lastHealthKey !== '' && h.status === 'ok' && !this.lastHealthKey.startsWith('ok')) {
      this.log.info({ path: this.path }, 'event log healthy again');
    }
    this.lastHealthKey = key;
    try {
      this.o.onHealth?.(h);
    } catch (err) {
      this.log.warn({ err }, 'event log health listener threw');
    }
  }

  private remember(store: EventLogStore): void {
    this.store = store;
    this.inodes = { db: inodeOf(this.path), wal: inodeOf(`${this.path}-wal`), shm: inodeOf(`${this.path}-shm`) };
  }

  /** Opens the file at start or on a retry; moves a bad file aside; falls back to memory. */
  private openFile(why: 'start' | 'retry' | 'broken while running'): void {
    let first: unknown;
    try {
      const store = this.openStore(this.path);
      // Prove it takes a write now rather than at the first DNO line.
      store.saveState('eventlog.opened', { pid: process.pid, atMs: this.clock() });
      this.remember(store);
      if (why === 'retry') this.log.warn({ path: this.path }, 'event log file open again');
      return;
    } catch (err) {
      first = err;
    }
    const reason = messageOf(first);
    const salvaged = this.salvage();
    if (isTransient(first, false)) return this.memoryOnly(`cannot open ${this.path}: ${reason}`, first, why);
    if (this.movedAside.length >= MAX_MOVES) return this.memoryOnly(`cannot open ${this.path} (${reason}); ${MAX_MOVES} files already moved aside`, first, why);
    // No file to blame: the directory or the disk is the problem; only time can fix it.
    if (!existsSync(this.path)) return this.memoryOnly(`cannot open ${this.path}: ${reason}`, first, why);
    // The file (or its schema) is the problem: keep it as evidence and begin a new one.
    const movedTo = this.moveAside('broken');
    if (movedTo === null) return this.memoryOnly(`cannot open ${this.path} (${reason}) and cannot move it aside`, first, why);
    // Written first by whichever file takes rows next, now or on a retry.
    this.notes.push({ kind: 'eventlog.recovered', atMs: this.clock(), data: { reason, when: why, movedTo, salvagedState: salvaged } });
    for (const k of salvaged) this.dirtyState.add(k);
    try {
      const store = this.openStore(this.path);
      store.saveState('eventlog.opened', { pid: process.pid, atMs: this.clock() });
      this.remember(store);
    } catch (err) {
      return this.memoryOnly(`moved ${this.path} aside but cannot begin a new log: ${messageOf(err)}`, err, why);
    }
    this.log.error({ path: this.path, movedTo, reason }, 'event log unusable; moved aside and began a new one');
    if (this.outage === null) this.flushNotesNow();
  }

  /** Saved state from a file the store refused, where this process has none yet (a restart wants it). */
  private salvage(): string[] {
    const got: string[] = [];
    for (const [k, v] of salvageState(this.path)) {
      if (k === 'eventlog.opened' || this.stateMem.has(k)) continue;
      this.stateMem.set(k, v);
      got.push(k);
    }
    return got;
  }

  private flushNotesNow(): void {
    if (this.store === null || this.notes.length === 0) return;
    const notes = this.notes;
    this.notes = [];
    this.write(notes);
  }

  private memoryOnly(reason: string, err: unknown, why: string): void {
    if (why === 'retry') return; // still failing; the outage already says why
    if (this.outage === null) {
      this.outage = { reason, sinceMs: this.clock(), lost: 0, lostFirstMs: null, lostLastMs: null };
    } else this.outage.reason = reason;
    this.log.error({ err, path: this.path }, `EVENT LOG DEGRADED: ${reason}; controlling with the log in memory and retrying`);
  }

  /** Renames the file and its -wal/-shm with a UTC stamp; the new path, or null if it cannot. */
  private moveAside(tag: string): string | null {
    const dest = `${this.path}.${tag}-${stamp(this.clock())}`;
    if (!existsSync(this.path)) return null;
    if (!this.tryRename(this.path, dest)) return null;
    this.movedAside.push(dest);
    for (const s of ['-wal', '-shm']) if (existsSync(this.path + s)) this.tryRename(this.path + s, dest + s);
    return dest;
  }

  private tryRename(from: string, to: string): boolean {
    try {
      renameSync(from, to);
      return true;
    } catch (err) {
      this.log.error({ err, from, to }, 'cannot move an event-log file aside');
      return false;
    }
  }

  /** The open files must still be the ones at their paths; if not, rebuild from the connection. */
  private checkFiles(): void {
    const store = this.store;
    if (store === null) return;
    const now = { db: inodeOf(this.path), wal: inodeOf(`${this.path}-wal`), shm: inodeOf(`${this.path}-shm`) };
    // A WAL or shm that did not exist at open may appear (first write); learn it once.
    if (this.inodes.wal === null) this.inodes.wal = now.wal;
    if (this.inodes.shm === null) this.inodes.shm = now.shm;
    const dbGone = now.db !== this.inodes.db;
    const walGone = this.inodes.wal !== null && now.wal !== this.inodes.wal;
    const shmGone = this.inodes.shm !== null && now.shm !== this.inodes.shm;
    if (!dbGone && !walGone && !shmGone) return;
    const what = dbGone ? 'database file' : walGone ? 'WAL file' : 'shared-memory file';
    const reason = `${what} ${this.path}${dbGone ? '' : walGone ? '-wal' : '-shm'} ${now[dbGone ? 'db' : walGone ? 'wal' : 'shm'] === null ? 'deleted' : 'replaced'} while running`;
    this.log.error({ path: this.path, reason }, 'event log file vanished; rebuilding it from the open connection');
    let rebuilt: string;
    try {
      if (dbGone) {
        // Something else at the path now (a replacement) is kept, not overwritten.
        if (now.db !== null) this.moveAside('replaced');
        // The old connection's WAL and shm must not pair with the copy (a WAL is replayed into
        // whatever database sits beside it); the connection keeps them open until it closes.
        for (const s of ['-wal', '-shm']) rmSync(this.path + s, { force: true });
        store.copyTo(this.path);
        rebuilt = 'copied from the open connection';
      } else {
        // The open connection still holds the deleted WAL: fold it into the database.
        store.checkpoint();
        rebuilt = 'WAL checkpointed from the open connection';
      }
    } catch (err) {
      this.log.error({ err }, 'cannot rebuild the event log from the open connection; beginning a new one');
      this.dropStore();
      this.openFile('broken while running');
      this.notes.push({ kind: 'eventlog.reopened', atMs: this.clock(), data: { reason, rebuilt: false, error: messageOf(err) } });
      if (this.outage === null) this.flushNotesNow();
      return;
    }
    this.dropStore();
    this.openFile('broken while running');
    this.notes.push({ kind: 'eventlog.reopened', atMs: this.clock(), data: { reason, rebuilt } });
    if (this.outage === null) this.flushNotesNow();
    this.log.warn({ path: this.path, reason, rebuilt }, 'event log rebuilt and reopened');
  }
}

export function openResilientEventLog(path: string, options: ResilientOptions): ResilientEventLog {
  return new ResilientEventLog(path, options);
}
