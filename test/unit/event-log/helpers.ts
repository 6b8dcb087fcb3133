// Shared bits for the event-log tests: a fake clock, a temp log, and a stream that collects
// what a CLI command prints (optionally pretending to be a terminal).
import { Writable } from 'node:stream';
import { join } from 'node:path';
import type { Test } from 'tap';
import { openEventLogStore, type EventLogStore } from '../../../agent/event-log/store.js';

export const T0 = Date.UTC(2026, 10, 28, 12, 3, 1, 123);

export class FakeClock {
  constructor(public nowMs = T0) {}
  now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export function tempLog(t: Test, name = 'events.db'): { path: string; clock: FakeClock; log: EventLogStore } {
  const dir = t.testdir({});
  const path = join(dir, name);
  const clock = new FakeClock();
  const log = openEventLogStore(path, { clock: clock.now });
  t.teardown(() => log.close());
  return { path, clock, log };
}

export class Sink extends Writable {
  text = '';
  isTTY?: boolean;
  columns?: number;
  constructor(tty?: { columns: number }) {
    super();
    if (tty) {
      this.isTTY = true;
      this.columns = tty.columns;
    }
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.text += chunk.toString();
    cb();
  }
}
