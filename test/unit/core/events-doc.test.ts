// agent/core/EVENTS.md is the reader's list of event kinds; agent/events.ts is the compiler's.
// Each must name every kind the other does: a kind added in code needs its line in the doc,
// and a line in the doc for a kind no code writes any more must go.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { source } from '../../helpers/paths.js';
import { EVENT_KINDS } from '../../../agent/events.js';
import { CORE_EVENT_KINDS } from '../../../agent/core/events.js';
import { CHARGER_EVENT_KINDS } from '../../../drivers/charger/events.js';

const DOC = source('agent/core/EVENTS.md');

/** The kinds in the first column of the doc's tables (a cell may name two: `a` / `b`). */
function documentedKinds(markdown: string): string[] {
  const kinds: string[] = [];
  for (const line of markdown.split('\n')) {
    const cell = /^\|([^|]*)\|/.exec(line)?.[1];
    if (cell === undefined) continue;
    for (const m of cell.matchAll(/`([^`]+)`/g)) kinds.push(m[1] as string);
  }
  return kinds;
}

t.test('the table parser reads kinds from the first column only', async (t) => {
  const md = ['| kind | ref | data |', '| --- | --- | --- |', '| `a.b` / `a.c` | - | `notAKind` |', 'text with `not.a.kind`', '| `d.e` | x | y |'].join('\n');
  t.same(documentedKinds(md), ['a.b', 'a.c', 'd.e']);
});

t.test('every kind in the code is in EVENTS.md and every kind in EVENTS.md is in the code', async (t) => {
  const documented = documentedKinds(readFileSync(DOC, 'utf8'));
  const inCode = new Set<string>(EVENT_KINDS);
  const inDoc = new Set(documented);
  const undocumented = EVENT_KINDS.filter((k) => !inDoc.has(k));
  const stale = documented.filter((k) => !inCode.has(k));
  t.same(undocumented, [], `kinds written by the code with no line in agent/core/EVENTS.md: ${undocumented.join(', ') || 'none'}`);
  t.same(stale, [], `kinds in agent/core/EVENTS.md that no code writes (agent/events.ts): ${stale.join(', ') || 'none'}`);
  const twice = documented.filter((k, i) => documented.indexOf(k) !== i);
  t.same(twice, [], `kinds with more than one line in agent/core/EVENTS.md: ${twice.join(', ') || 'none'}`);
});

t.test('the union is the core, the charger layer and the shell, each kind once', async (t) => {
  t.equal(new Set(EVENT_KINDS).size, EVENT_KINDS.length, 'no kind is defined twice');
  for (const k of [...CORE_EVENT_KINDS, ...CHARGER_EVENT_KINDS]) t.ok(EVENT_KINDS.includes(k), `${k} is in the union`);
});
