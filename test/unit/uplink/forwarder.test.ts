// The store-and-forward engine with fakes at its boundary: a log of rows, a broker that acks
// when told to, a clock moved by hand. Tables for the rules, and a property: whatever order
// acks, failures, disconnects and appends come in, once the link settles every row has been
// acknowledged, and the cursor only ever moved forward over acknowledged rows.
import t from 'tap';
import fc from 'fast-check';
import { Forwarder, type Cursor } from '../../../agent/uplink/forwarder.js';
import type { OutgoingRow } from '../../../agent/uplink/log-reader.js';

class Rig {
  rows: OutgoingRow[] = [];
  sent: Array<{ id: number; done: (err?: Error) => void }> = [];
  acked: number[] = [];
  cursors: Cursor[] = [];
  now = 0;
  f: Forwarder;
  constructor(opts: { rate?: number; window?: number; cursor?: Cursor } = {}) {
    this.f = new Forwarder(
      {
        rowsAfter: (after, limit) => this.rows.filter((r) => r.id > after).slice(0, limit),
        publish: (row, done) => {
          this.sent.push({
            id: row.id,
            done: (err) => {
              if (!err) this.acked.push(row.id);
              done(err);
            },
          });
        },
        now: () => this.now,
        onCursor: (c) => this.cursors.push(c),
      },
      { cursor: opts.cursor ?? { id: 0, hash: null }, ratePerS: opts.rate ?? 1000, window: opts.window ?? 8 },
    );
  }
  append(...ids: number[]): void {
    for (const id of ids) this.rows.push({ id, hash: `h${id}`, json: `{"id":${id}}` });
  }
  /** Acks the in-flight publishes at these positions of `sent`. */
  ack(...idx: number[]): void {
    for (const i of idx) this.sent[i]?.done();
  }
}

t.test('publishes in id order and moves the cursor over acknowledged rows only', async (t) => {
  const r = new Rig();
  r.append(1, 2, 3, 4);
  r.f.setOnline();
  r.f.pump();
  t.same(
    r.sent.map((s) => s.id),
    [1, 2, 3, 4],
  );
  r.ack(1, 2);
  t.equal(r.f.cursor.id, 0, 'rows 2 and 3 acked, 1 not: the cursor stays');
  r.ack(0);
  t.same(r.f.cursor, { id: 3, hash: 'h3' }, 'row 1 acked: the cursor jumps over the acknowledged run');
  r.ack(3);
  t.equal(r.f.cursor.id, 4);
  t.same(
    r.cursors.map((c) => c.id),
    [3, 4],
    'the owner hears of each move',
  );
  t.ok(r.f.idle);
});

t.test('ids with gaps (rows pruned or skipped by the log) are followed, not waited for', async (t) => {
  const r = new Rig();
  r.append(1, 2, 7, 9);
  r.f.setOnline();
  r.f.pump();
  r.ack(0, 1, 2, 3);
  t.equal(r.f.cursor.id, 9);
});

t.test('the window bounds what is in flight', async (t) => {
  const r = new Rig({ window: 3 });
  r.append(1, 2, 3, 4, 5);
  r.f.setOnline();
  r.f.pump();
  t.equal(r.sent.length, 3);
  r.f.pump();
  t.equal(r.sent.length, 3, 'nothing more until an ack');
  r.ack(0);
  r.f.pump();
  t.same(
    r.sent.map((s) => s.id),
    [1, 2, 3, 4],
  );
});

t.test('the rate bounds publishing: one second of burst, then ratePerS', async (t) => {
  const r = new Rig({ rate: 10, window: 1000 });
  r.append(...Array.from({ length: 100 }, (_, i) => i + 1));
  r.f.setOnline();
  r.f.pump();
  t.equal(r.sent.length, 10, 'the burst');
  r.now += 500;
  r.f.pump();
  t.equal(r.sent.length, 15, 'half a second later, 5 more');
  r.now += 10_000;
  r.f.pump();
  t.equal(r.sent.length, 25, 'a long pause still allows only one second of burst');
});

t.test('a lost connection forgets what was in flight and starts again after the cursor', async (t) => {
  const r = new Rig();
  r.append(1, 2, 3);
  r.f.setOnline();
  r.f.pump();
  r.ack(0);
  r.f.setOffline();
  r.ack(1, 2);
  t.equal(r.f.cursor.id, 1, 'acks that come after the connection is gone do not move the cursor');
  r.f.pump();
  t.equal(r.sent.length, 3, 'nothing is published while offline');
  r.f.setOnline();
  r.f.pump();
  t.same(
    r.sent.slice(3).map((s) => s.id),
    [2, 3],
    'resent from the row after the cursor',
  );
});

t.test('a publish that fails is not counted and holds the cursor until resent', async (t) => {
  const r = new Rig();
  r.append(1, 2);
  r.f.setOnline();
  r.f.pump();
  r.sent[0]?.done(new Error('write failed'));
  r.ack(1);
  t.equal(r.f.cursor.id, 0);
  r.now += 5000;
  t.equal(r.f.oldestUnackedMs(), 5000, 'its age is what the uplink times out on');
});

t.test('a saved cursor is where it resumes', async (t) => {
  const r = new Rig({ cursor: { id: 2, hash: 'h2' } });
  r.append(1, 2, 3);
  r.f.setOnline();
  r.f.pump();
  t.same(
    r.sent.map((s) => s.id),
    [3],
  );
});

t.test('restartAt: starts over from another cursor, ignoring acks for what was in flight', async (t) => {
  const r = new Rig({ cursor: { id: 5, hash: 'h5' } });
  r.append(1, 2, 6, 7);
  r.f.setOnline();
  r.f.pump();
  t.same(
    r.sent.map((s) => s.id),
    [6, 7],
  );
  r.f.restartAt({ id: 0, hash: null });
  r.ack(0, 1);
  t.equal(r.f.cursor.id, 0, 'old acks do not count');
  r.f.pump();
  t.same(
    r.sent.slice(2).map((s) => s.id),
    [1, 2, 6, 7],
  );
});

type Op =
  { op: 'append'; n: number } | { op: 'pump' } | { op: 'ack'; pick: number } | { op: 'fail'; pick: number } | { op: 'drop' } | { op: 'tick'; ms: number };

t.test('property: every row is acknowledged in the end; the cursor never moves back or past an unacknowledged row', async (t) => {
  const op = fc.oneof(
    fc.record({ op: fc.constant('append' as const), n: fc.integer({ min: 1, max: 5 }) }),
    fc.record({ op: fc.constant('pump' as const) }),
    fc.record({ op: fc.constant('ack' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('fail' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('drop' as const) }),
    fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 2000 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 20 }), (ops: Op[], window, rate) => {
      const r = new Rig({ window, rate });
      let next = 1;
      const ackedEver = new Set<number>();
      let last = 0;
      let pending: Array<(err?: Error) => void> = [];
      const track = () => {
        pending = r.sent.map((s) => s.done);
      };
      r.f.setOnline();
      for (const o of ops) {
        if (o.op === 'append')
          for (let i = 0; i < o.n; i++) r.append(next++ * 2); // even ids: gaps everywhere
        else if (o.op === 'pump') r.f.pump();
        else if (o.op === 'tick') r.now += o.ms;
        else if (o.op === 'drop') {
          r.f.setOffline();
          r.f.setOnline();
        } else if (pending.length > 0) {
          const done = pending[o.pick % pending.length] as (err?: Error) => void;
          done(o.op === 'fail' ? new Error('x') : undefined);
        }
        track();
        for (const id of r.acked) ackedEver.add(id);
        const c = r.f.cursor.id;
        if (c < last) return false;
        if (c !== 0 && !ackedEver.has(c)) return false;
        last = c;
      }
      // Settle: a healthy link that acks everything.
      for (let i = 0; i < 10_000 && !(r.f.idle && r.f.cursor.id === (r.rows.at(-1)?.id ?? 0)); i++) {
        r.f.setOffline();
        r.f.setOnline();
        const from = r.sent.length;
        r.now += 1000;
        r.f.pump();
        for (const s of r.sent.slice(from)) s.done();
      }
      for (const id of r.acked) ackedEver.add(id);
      return r.rows.every((row) => ackedEver.has(row.id)) && r.f.cursor.id === (r.rows.at(-1)?.id ?? 0);
    }),
    { numRuns: 300 },
  );
  t.pass('held for 300 random histories');
});
