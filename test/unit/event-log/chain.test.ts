import t from 'tap';
import Database from 'better-sqlite3';
import { GENESIS_HASH, canonicalPreimage, chainHash } from '../../../agent/event-log/chain.js';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { checkSlice, mergeSlices } from '../../../agent/event-log/verify-parallel.js';
import { T0, tempLog } from './fixtures/helpers.js';

// Known answers computed outside this code (Python hashlib over the encoding documented in
// chain.ts), so a change to the encoding cannot pass by changing both sides at once.
t.test('hashes match the documented encoding (independent known answers)', async (t) => {
  const { log } = tempLog(t);
  const a = log.append({ kind: 'switch.open', switchIdx: 2, data: { explanation: '6 A <- switch 2 open', cause: 'dno' } });
  const b = log.append({ kind: 'charger.write', chargerId: 'wallbox-ü', atMs: T0 + 1500, data: { limitA: 6, note: 'Größe ✓' } });
  t.equal(a.hash, 'acac15dbcacbb06e3bffa3712aea527543f85b21afaf88dc6a39704ff61673fc');
  t.equal(b.hash, 'bbcead5fdb78866a9d000d0752ce4214bd790c0b7bf5c9a364d362aa9f996efa');
  const row = [...log.scan()][1];
  t.equal(row?.prevHash, a.hash);
  t.equal(row?.dataJson, '{"limitA":6,"note":"Größe ✓"}');
});

t.test('the encoding is injective where a separator-based one would not be', async (t) => {
  const base = { id: 1, at: '2026-11-28T12:03:01.123Z', atMs: T0, switchIdx: null, dataJson: '{}' };
  const cases: Array<[string, Parameters<typeof chainHash>[1], Parameters<typeof chainHash>[1]]> = [
    ['kind/charger boundary', { ...base, kind: 'ab', chargerId: 'c' }, { ...base, kind: 'a', chargerId: 'bc' }],
    ['null vs text "n"', { ...base, kind: 'k', chargerId: null }, { ...base, kind: 'k', chargerId: 'n' }],
    ['null switch vs 0', { ...base, kind: 'k', chargerId: null }, { ...base, kind: 'k', chargerId: null, switchIdx: 0 }],
  ];
  for (const [name, x, y] of cases) {
    t.not(canonicalPreimage(GENESIS_HASH, x), canonicalPreimage(GENESIS_HASH, y), name);
    t.not(chainHash(GENESIS_HASH, x), chainHash(GENESIS_HASH, y), name);
  }
});

/** Opens the file as an attacker with sqlite3 would: triggers dropped, rows rewritten. */
function attacker(path: string): Database.Database {
  const db = new Database(path);
  db.exec('DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; DROP TRIGGER events_no_replace;');
  return db;
}

function rowHashFromDb(db: Database.Database, id: number): string {
  return (db.prepare('SELECT hash FROM events WHERE id = ?').get(id) as { hash: string }).hash;
}

// afterAppendBadId: where the break is named once the agent has appended more rows (only
// differs for a removed tail, which then becomes a gap before the new rows).
const TAMPERS: Array<{
  name: string;
  act: (db: Database.Database) => void;
  firstBadId: number;
  reason: RegExp;
  afterAppendBadId?: number;
}> = [
  {
    name: 'data edited',
    act: (db) => db.prepare(`UPDATE events SET data = '{"limitA":32}' WHERE id = 3`).run(),
    firstBadId: 3,
    reason: /does not match its hash/,
  },
  {
    name: 'kind edited',
    act: (db) => db.prepare(`UPDATE events SET kind = 'switch.closed' WHERE id = 4`).run(),
    firstBadId: 4,
    reason: /does not match its hash/,
  },
  {
    name: 'time moved by 1 ms (at_ms only)',
    act: (db) => db.prepare('UPDATE events SET at_ms = at_ms + 1 WHERE id = 2').run(),
    firstBadId: 2,
    reason: /does not match its hash/,
  },
  {
    name: 'charger set where there was none',
    act: (db) => db.prepare(`UPDATE events SET charger = 'wb-x' WHERE id = 1`).run(),
    firstBadId: 1,
    reason: /does not match its hash/,
  },
  {
    name: 'a middle row deleted',
    act: (db) => db.prepare('DELETE FROM events WHERE id = 3').run(),
    firstBadId: 4,
    reason: /rows 3\.\.3 are missing/,
  },
  {
    name: 'the first row deleted',
    act: (db) => db.prepare('DELETE FROM events WHERE id = 1').run(),
    firstBadId: 2,
    reason: /rows 1\.\.1 are missing/,
  },
  {
    name: 'the last two rows deleted',
    act: (db) => db.prepare('DELETE FROM events WHERE id >= 5').run(),
    firstBadId: 5,
    reason: /rows 5\.\.6 are missing from the end/,
    afterAppendBadId: 7,
  },
  {
    name: 'a middle row deleted and the ids after it closed up',
    act: (db) => {
      db.prepare('DELETE FROM events WHERE id = 3').run();
      for (const id of [4, 5, 6]) db.prepare('UPDATE events SET id = ? WHERE id = ?').run(id - 1, id);
    },
    firstBadId: 3,
    reason: /prev_hash does not match the hash of row 2/,
  },
  {
    name: 'two rows swapped (ids exchanged)',
    act: (db) => {
      db.prepare('UPDATE events SET id = 100 WHERE id = 2').run();
      db.prepare('UPDATE events SET id = 2 WHERE id = 3').run();
      db.prepare('UPDATE events SET id = 3 WHERE id = 100').run();
    },
    firstBadId: 2,
    reason: /prev_hash does not match the hash of row 1/,
  },
  {
    name: 'two rows swapped (contents exchanged, hashes recomputed in place)',
    act: (db) => {
      const rows = db.prepare('SELECT id, at, at_ms, kind, "switch", charger, data FROM events WHERE id IN (2, 3) ORDER BY id').all() as Array<
        Record<string, unknown>
      >;
      const [r2, r3] = rows as [Record<string, unknown>, Record<string, unknown>];
      const set = db.prepare('UPDATE events SET at = ?, at_ms = ?, kind = ?, "switch" = ?, charger = ?, data = ? WHERE id = ?');
      set.run(r3.at, r3.at_ms, r3.kind, r3.switch, r3.charger, r3.data, 2);
      set.run(r2.at, r2.at_ms, r2.kind, r2.switch, r2.charger, r2.data, 3);
    },
    firstBadId: 2,
    reason: /does not match its hash/,
  },
  {
    name: 'hash edited',
    act: (db) => db.prepare(`UPDATE events SET hash = ? WHERE id = 4`).run('f'.repeat(64)),
    firstBadId: 4,
    reason: /does not match its hash/,
  },
  {
    name: 'data edited and that row re-hashed properly (the next row notices)',
    act: (db) => {
      const r = db.prepare('SELECT * FROM events WHERE id = 3').get() as Record<string, string | number | null>;
      const data = '{"limitA":32}';
      const hash = chainHash(r.prev_hash as string, {
        id: 3,
        at: r.at as string,
        atMs: r.at_ms as number,
        kind: r.kind as string,
        switchIdx: r.switch as number | null,
        chargerId: r.charger as string | null,
        dataJson: data,
      });
      db.prepare('UPDATE events SET data = ?, hash = ? WHERE id = 3').run(data, hash);
    },
    firstBadId: 4,
    reason: /prev_hash does not match the hash of row 3/,
  },
  {
    name: 'first row prev_hash changed',
    act: (db) => db.prepare('UPDATE events SET prev_hash = ? WHERE id = 1').run('1'.repeat(64)),
    firstBadId: 1,
    reason: /prev_hash does not match the hash of the chain start/,
  },
];

t.test('tampering is detected at the right row', async (t) => {
  for (const c of TAMPERS) {
    await t.test(c.name, async (t) => {
      const { log, path } = tempLog(t);
      for (let i = 1; i <= 6; i++) {
        log.append({ kind: i % 2 ? 'charger.write' : 'switch.open', switchIdx: i % 2 ? null : 2, data: { limitA: 6, i } });
      }
      t.same(log.verify(), { ok: true, count: 6 }, 'intact before');
      const db = attacker(path);
      c.act(db);
      db.close();
      const result = log.verify();
      t.equal(result.ok, false);
      if (!result.ok) {
        t.equal(result.firstBadId, c.firstBadId, 'first bad row');
        t.match(result.reason, c.reason);
      }
      // A readonly reader (what verify-log uses) finds the same, sequentially and in slices
      // small enough that most tampers sit on or next to a seam.
      const reader = openEventLogStore(path, { readonly: true });
      t.same(reader.verify(), result);
      // The slice/seam logic verifyParallel runs in workers, here in-process (a worker costs
      // seconds to start under the test runner's TypeScript loader).
      const rows = [...reader.scan()];
      const seq = 6;
      for (const size of [1, 2, 3, 4]) {
        const slices = [];
        for (let from = 1; from <= 6; from += size) slices.push(checkSlice(rows.filter((r) => r.id >= from && r.id < from + size)));
        t.same(mergeSlices(slices, seq, rows.length), result, `slices of ${size}`);
      }
      reader.close();
      // The agent keeps appending after a tamper, and the break stays where it was.
      log.append({ kind: 'after.tamper' });
      const again = log.verify();
      t.equal(again.ok, false);
      if (!again.ok) t.equal(again.firstBadId, c.afterAppendBadId ?? c.firstBadId, 'still named after more appends');
    });
  }
});

t.test('limit of the chain alone: a consistent rewrite of the tail verifies, but the head hash changes', async (t) => {
  const { log, path } = tempLog(t);
  for (let i = 1; i <= 4; i++) log.append({ kind: 'charger.write', data: { limitA: 6 } });
  const noted = log.head();
  const db = attacker(path);
  let prev = rowHashFromDb(db, 2);
  for (const id of [3, 4]) {
    const r = db.prepare('SELECT * FROM events WHERE id = ?').get(id) as Record<string, string | number | null>;
    const fields = {
      id,
      at: r.at as string,
      atMs: r.at_ms as number,
      kind: r.kind as string,
      switchIdx: null,
      chargerId: null,
      dataJson: '{"limitA":32}',
    };
    const hash = chainHash(prev, fields);
    db.prepare('UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE id = ?').run(fields.dataJson, prev, hash, id);
    prev = hash;
  }
  db.close();
  t.same(log.verify(), { ok: true, count: 4 }, 'the chain alone cannot see a full rewrite');
  t.not(log.head()?.hash, noted?.hash, 'a head hash noted earlier (verify-log prints it) exposes it');
});

t.test('mergeSlices: the tail check', async (t) => {
  const { log } = tempLog(t);
  log.appendMany(Array.from({ length: 10 }, (_, i) => ({ kind: 'bulk', data: { i } })));
  const rows = [...log.scan()];
  const slices = [checkSlice(rows.slice(0, 5)), checkSlice([]), checkSlice(rows.slice(5))];
  t.same(mergeSlices(slices, 10, 10), { ok: true, count: 10 });
  t.same(mergeSlices(slices, 12, 10), { ok: false, count: 10, firstBadId: 11, reason: 'rows 11..12 are missing from the end (ids up to 12 were written)' });
});
