// What evidence states about its own window (agent/event-log/verify-window.ts): a window that
// starts mid-chain passes only from its anchor row (or the pruning checkpoint); without one, or
// with a row missing or out of order, it fails at that row and says why.
import t from 'tap';
import { verifyJsonlWindow } from '../../../agent/event-log/verify-window.js';
import { anchorJsonl, jsonlLine } from '../../../agent/cli/export.js';
import { tempLog } from './fixtures/helpers.js';

function fourRows(t: Parameters<typeof tempLog>[0]) {
  const { log } = tempLog(t);
  for (const kind of ['agent.start', 'han.link-up', 'switch.reduce', 'switch.restore']) log.append({ kind, data: { kind } });
  const line = (id: number) => {
    const r = log.storedRow(id);
    if (r === null) throw new Error(`no row ${id}`);
    return jsonlLine(r);
  };
  const anchor = (id: number) => {
    const r = log.storedRow(id);
    if (r === null) throw new Error(`no row ${id}`);
    return anchorJsonl({ row: r });
  };
  return { line, anchor };
}

t.test('the whole chain from its first row: anchored by the genesis hash', async (t) => {
  const { line } = fourRows(t);
  t.match(verifyJsonlWindow([1, 2, 3, 4].map(line).join('')), { ok: true, rows: 4, firstId: 1, lastId: 4, anchoredBy: 'genesis' });
});

t.test('a window from row 3, led by its anchor row 2: passes, and the anchor is not counted', async (t) => {
  const { line, anchor } = fourRows(t);
  const r = verifyJsonlWindow(anchor(2) + line(3) + line(4));
  t.match(r, { ok: true, rows: 2, firstId: 3, lastId: 4, anchoredBy: 'anchor row' });
});

t.test('the same window without its anchor: fails at its first row', async (t) => {
  const { line } = fourRows(t);
  t.same(verifyJsonlWindow(line(3) + line(4)), { ok: false, rows: 0, badId: 3, reason: 'the first row has no anchor and does not start the chain' });
});

t.test('a row left out, or rows swapped: fails at the row that does not follow', async (t) => {
  const { line } = fourRows(t);
  t.same(verifyJsonlWindow(line(1) + line(2) + line(4)), { ok: false, rows: 2, badId: 4, reason: 'does not follow row 2' });
  t.same(verifyJsonlWindow(line(1) + line(3) + line(2)), { ok: false, rows: 1, badId: 3, reason: 'does not follow row 1' });
});

t.test('an anchor row that was altered does not vouch for the window', async (t) => {
  const { line, anchor } = fourRows(t);
  const forged = anchor(2).replace('han.link-up', 'han.link-down');
  t.match(verifyJsonlWindow(forged + line(3)), { ok: false, badId: 2, reason: 'the row does not match its hash' });
});
