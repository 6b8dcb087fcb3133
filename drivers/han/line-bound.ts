// The receive framing: bytes in, lines out, with the protocol's bound on memory.
//
// Why a bound stage: @serialport/parser-readline (the project's line splitter) keeps every byte
// until it sees the delimiter, so a port that babbles without LF (a wrong baud rate, a module
// stuck in a boot loop, a hostile bridge) would grow its buffer without limit. The protocol says
// the receive buffer never holds more than one maximum line (han-line-protocol.md, Framing). The
// LineBound stage in front of it passes at most MAX_LINE_BYTES bytes of any line and drops the
// rest up to the next LF, so the splitter then emits one over-long line, which parseLine rejects
// as line_too_long: counted once, however many bytes were dropped.

import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { ReadlineParser } from '@serialport/parser-readline';
import { MAX_LINE_BYTES } from './parse.js';

const LF = 0x0a;

/** Passes at most MAX_LINE_BYTES bytes of each LF-terminated line, drops the rest, passes the LF. */
export class LineBound extends Transform {
  /** Bytes seen since the last LF, saturating at MAX_LINE_BYTES once a line overflows. */
  private sinceLf = 0;
  private droppedTotal = 0;

  constructor() {
    super();
  }

  /** Bytes discarded so far because their line was already at the limit. */
  get droppedBytes(): number {
    return this.droppedTotal;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const len = chunk.length;
    // Bytes from passFrom up to the current position are still to be passed on; pushing them as
    // one subarray keeps the common case (no over-long line) to a single push of the chunk.
    let passFrom = 0;
    let pos = 0;
    while (pos < len) {
      const lf = chunk.indexOf(LF, pos);
      const segEnd = lf === -1 ? len : lf;
      const segLen = segEnd - pos;
      const room = MAX_LINE_BYTES - this.sinceLf;
      if (segLen > room) {
        const cut = pos + room;
        if (cut > passFrom) this.push(chunk.subarray(passFrom, cut));
        this.droppedTotal += segLen - room;
        this.sinceLf = MAX_LINE_BYTES;
        passFrom = segEnd; // the LF, if this chunk has it, goes on with the next run
      } else {
        this.sinceLf += segLen;
      }
      if (lf === -1) break;
      this.sinceLf = 0;
      pos = lf + 1;
    }
    if (len > passFrom) this.push(passFrom === 0 ? chunk : chunk.subarray(passFrom));
    callback();
  }
}

export interface LineReader {
  /** Write the port's bytes here (or pipe the port into it). */
  readonly input: Writable;
  /**
   * Bytes the receive path holds between calls: the splitter's partial line plus anything
   * queued between the stages. The protocol bounds it by MAX_LINE_BYTES.
   */
  bufferedBytes(): number;
  /** Bytes dropped from over-long lines so far. */
  droppedBytes(): number;
  /** Tears both stages down; no more lines are delivered. */
  destroy(): void;
}

/**
 * LineBound -> ReadlineParser({ delimiter: '\n', encoding: 'latin1' }). `onLine` gets each line
 * without its LF as a latin1 string (one char per byte), ready for parseLine. The splitter drops
 * empty lines itself, which the protocol ignores anyway.
 */
export function createLineReader(onLine: (line: string) => void): LineReader {
  const bound = new LineBound();
  const splitter = new ReadlineParser({ delimiter: '\n', encoding: 'latin1' });
  bound.pipe(splitter);
  splitter.on('data', (line: string) => onLine(line));
  // A destroyed or failing stage must not throw out of an 'error' event with no listener.
  bound.on('error', () => undefined);
  splitter.on('error', () => undefined);
  // parser-delimiter keeps its partial line in a public `buffer` field (not in its typings).
  const partial = splitter as unknown as { buffer?: Buffer };
  return {
    input: bound,
    bufferedBytes: () => (partial.buffer?.length ?? 0) + bound.readableLength + splitter.writableLength + splitter.readableLength,
    droppedBytes: () => bound.droppedBytes,
    destroy: () => {
      bound.unpipe(splitter);
      bound.destroy();
      splitter.destroy();
    },
  };
}
