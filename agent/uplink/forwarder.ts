// Store and forward from the event log. The log itself is the store: rows are read after a
// cursor (the last row the broker acknowledged), published in id order with a bounded
// window in flight and a bounded rate, and the cursor moves only over an unbroken run of
// acknowledged rows. Losing the connection forgets what was in flight and starts again
// after the cursor, so a row is never skipped; it may arrive twice, with the same id.

import type { OutgoingRow } from './log-reader.js';

export interface Cursor {
  id: number;
  hash: string | null;
}

export interface ForwarderPorts {
  rowsAfter(afterId: number, limit: number): OutgoingRow[];
  /** Sends one row; done runs on the broker's acknowledgement or an error. */
  publish(row: OutgoingRow, done: (err?: Error) => void): void;
  now(): number;
  /** The cursor moved (the caller persists it, coalesced). */
  onCursor(cursor: Cursor): void;
}

export interface ForwarderOptions {
  cursor: Cursor;
  ratePerS: number;
  /** Most rows published and not yet acknowledged. */
  window: number;
}

interface InFlight {
  id: number;
  hash: string;
  sentAtMs: number;
  acked: boolean;
}

const MAX_BATCH = 256;

export class Forwarder {
  private cursorNow: Cursor;
  private readonly inFlight: InFlight[] = [];
  private lastSentId: number;
  private online = false;
  private generation = 0;
  private tokens: number;
  private refilledAtMs: number;
  private caughtUp = false;
  /** Rows acknowledged since start (duplicates included). */
  acked = 0;
  lastAckAtMs: number | null = null;

  constructor(
    private readonly ports: ForwarderPorts,
    private readonly o: ForwarderOptions,
  ) {
    this.cursorNow = { ...o.cursor };
    this.lastSentId = o.cursor.id;
    this.tokens = this.burst();
    this.refilledAtMs = ports.now();
  }

  get cursor(): Cursor {
    return { ...this.cursorNow };
  }

  get inFlightCount(): number {
    return this.inFlight.length;
  }

  /** True when the last read found nothing after what was sent. */
  get idle(): boolean {
    return this.caughtUp && this.inFlight.length === 0;
  }

  /** Age of the oldest unacknowledged publish, or 0. */
  oldestUnackedMs(): number {
    const first = this.inFlight.find((f) => !f.acked);
    return first === undefined ? 0 : this.ports.now() - first.sentAtMs;
  }

  setOnline(): void {
    this.online = true;
    this.generation++;
    this.lastSentId = this.cursorNow.id;
    this.caughtUp = false;
  }

  setOffline(): void {
    this.online = false;
    this.generation++;
    this.inFlight.length = 0;
    this.lastSentId = this.cursorNow.id;
    this.caughtUp = false;
  }

  /** Starts over from another cursor (the log file was replaced under it). */
  restartAt(cursor: Cursor): void {
    this.generation++;
    this.inFlight.length = 0;
    this.cursorNow = { ...cursor };
    this.lastSentId = cursor.id;
    this.caughtUp = false;
    this.ports.onCursor(this.cursor);
  }

  /** Publishes as much as the window and the rate allow. Cheap when there is nothing to do. */
  pump(): void {
    if (!this.online) return;
    this.refill();
    const room = Math.min(this.o.window - this.inFlight.length, Math.floor(this.tokens), MAX_BATCH);
    if (room <= 0) return;
    const rows = this.ports.rowsAfter(this.lastSentId, room);
    this.caughtUp = rows.length < room;
    const gen = this.generation;
    for (const row of rows) {
      this.tokens -= 1;
      const f: InFlight = { id: row.id, hash: row.hash, sentAtMs: this.ports.now(), acked: false };
      this.inFlight.push(f);
      this.lastSentId = row.id;
      this.ports.publish(row, (err) => this.settle(gen, f, err));
      // publish may fail at once and take the connection down with it.
      if (gen !== this.generation) return;
    }
  }

  private settle(gen: number, f: InFlight, err?: Error): void {
    // An answer about a connection that is gone: the row is sent again after the cursor.
    if (gen !== this.generation || err !== undefined) return;
    f.acked = true;
    this.acked++;
    this.lastAckAtMs = this.ports.now();
    let moved = false;
    while (this.inFlight.length > 0 && (this.inFlight[0] as InFlight).acked) {
      const done = this.inFlight.shift() as InFlight;
      this.cursorNow = { id: done.id, hash: done.hash };
      moved = true;
    }
    if (moved) this.ports.onCursor(this.cursor);
  }

  private burst(): number {
    return Math.max(1, this.o.ratePerS);
  }

  private refill(): void {
    const now = this.ports.now();
    this.tokens = Math.min(this.burst(), this.tokens + ((now - this.refilledAtMs) * this.o.ratePerS) / 1000);
    this.refilledAtMs = now;
  }
}
