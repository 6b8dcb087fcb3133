// toCoreConfig: seconds become milliseconds, chargers and bindings become the core's specs.
import t from 'tap';
import { effectiveRange, toCoreConfig } from '../../../config/core-config.js';
import type { Config } from '../../../config/types.js';
import { baseDoc, parseDoc } from './base.js';

function load(edit: (d: ReturnType<typeof baseDoc>) => void = () => {}): Config {
  const d = baseDoc();
  edit(d);
  const r = parseDoc(d);
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.config;
}

t.test('the base config, defaults and all', async (t) => {
  t.strictSame(toCoreConfig(load()), {
    chargers: [
      { id: 'garage', minCurrentA: 6, maxCurrentA: 32, allowPause: false },
      { id: 'drive', minCurrentA: 6, maxCurrentA: 16, allowPause: false },
    ],
    bindings: [
      { chargerIds: ['garage'], reducedCurrentA: 6, switchIdx: 2 },
      { chargerIds: ['drive'], reducedCurrentA: 8, switchIdx: 3 },
    ],
    boost: { liftsDnoOpen: true },
    labels: { pattern: '\\bEV\\b|charg', flags: 'i', policy: 'warn' },
    link: { staleAfterMs: 60_000, holdMs: 300_000, fallback: 'normal' },
    restore: { maxDelayMs: 600_000, meterRandomisesCalendar: false },
  });
});

const conversions: [name: string, edit: (d: ReturnType<typeof baseDoc>) => void, check: (c: ReturnType<typeof toCoreConfig>) => unknown, expected: unknown][] =
  [
    ['staleAfterS -> staleAfterMs', (d) => (d.rules = { link: { staleAfterS: 90 } }), (c) => c.link.staleAfterMs, 90_000],
    ['holdS 0 -> holdMs 0', (d) => (d.rules = { link: { holdS: 0 } }), (c) => c.link.holdMs, 0],
    ['fractional seconds round to whole ms', (d) => (d.rules = { link: { staleAfterS: 1.1 } }), (c) => c.link.staleAfterMs, 1100],
    ['maxDelayS 1800 -> 1 800 000 ms', (d) => (d.rules = { restore: { maxDelayS: 1800 } }), (c) => c.restore.maxDelayMs, 1_800_000],
    ['maxDelayS 0 disables', (d) => (d.rules = { restore: { maxDelayS: 0 } }), (c) => c.restore.maxDelayMs, 0],
    [
      'ramp intervalS -> intervalMs',
      (d) => (d.rules = { restore: { ramp: { stepA: 2, intervalS: 30 } } }),
      (c) => c.restore.ramp,
      { stepA: 2, intervalMs: 30_000 },
    ],
    ['no ramp stays absent', () => {}, (c) => 'ramp' in c.restore, false],
    ['meterRandomisesCalendar carried', (d) => (d.rules = { restore: { meterRandomisesCalendar: true } }), (c) => c.restore.meterRandomisesCalendar, true],
    ['siteCapA carried', (d) => (d.rules = { siteCapA: 40 }), (c) => c.siteCapA, 40],
    ['no siteCapA stays absent', () => {}, (c) => 'siteCapA' in c, false],
    [
      'labels carried',
      (d) => (d.rules = { labels: { pattern: 'EV', flags: '', policy: 'enforce' } }),
      (c) => c.labels,
      { pattern: 'EV', flags: '', policy: 'enforce' },
    ],
    ['fallback reduced', (d) => (d.rules = { link: { fallback: 'reduced' } }), (c) => c.link.fallback, 'reduced'],
    ['boost rule', (d) => (d.rules = { boost: { liftsDnoOpen: false } }), (c) => c.boost.liftsDnoOpen, false],
    [
      'binding by dev only, lower case in the file',
      (d) => (d.bindings[0] = { dev: '00-db-12-34-56-78-90-9a', chargers: ['garage'], reducedCurrentA: 10 }),
      (c) => c.bindings[0],
      { chargerIds: ['garage'], reducedCurrentA: 10, dev: '00-DB-12-34-56-78-90-9A' },
    ],
    [
      'binding by switch and dev, two chargers',
      (d) => (d.bindings[0] = { switch: 1, dev: '00-DB-12-34-56-78-90-97', chargers: ['garage', 'drive'] }),
      (c) => c.bindings[0],
      { chargerIds: ['garage', 'drive'], reducedCurrentA: 6, switchIdx: 1, dev: '00-DB-12-34-56-78-90-97' },
    ],
    [
      'allowPause and min carried',
      (d) => (Object.assign(d.chargers[0], { allowPause: true, minCurrentA: 8 }), (d.bindings[0].reducedCurrentA = 0)),
      (c) => c.chargers[0],
      { id: 'garage', minCurrentA: 8, maxCurrentA: 32, allowPause: true },
    ],
  ];

for (const [name, edit, check, expected] of conversions) {
  t.test(name, async (t) => {
    t.strictSame(check(toCoreConfig(load(edit))), expected);
  });
}

t.test('profile limits narrow each charger to what its profile can signal', async (t) => {
  const config = load((d) => (d.chargers[1].maxCurrentA = 32));
  const core = toCoreConfig(config, { 'heidelberg-energy-control': { minCurrentA: 6, maxCurrentA: 16 }, 'alfen-eve': { maxCurrentA: 40 } });
  t.strictSame(core.chargers, [
    { id: 'garage', minCurrentA: 6, maxCurrentA: 32, allowPause: false },
    { id: 'drive', minCurrentA: 6, maxCurrentA: 16, allowPause: false },
  ]);
  t.same(effectiveRange({ profile: 'x', minCurrentA: 6, maxCurrentA: 32 }, { x: { minCurrentA: 8 } }), { minCurrentA: 8, maxCurrentA: 32, narrowed: true });
  t.same(effectiveRange({ profile: 'x', minCurrentA: 6, maxCurrentA: 32 }), { minCurrentA: 6, maxCurrentA: 32, narrowed: false });
});

t.test('a range the profile cannot signal throws a clear error', async (t) => {
  const config = load((d) => (Object.assign(d.chargers[1], { minCurrentA: 20, maxCurrentA: 32 }), (d.bindings[1].reducedCurrentA = 20)));
  t.throws(
    () => toCoreConfig(config, { 'heidelberg-energy-control': { maxCurrentA: 16 } }),
    /charger drive: configured 20\.\.32 A and profile heidelberg-energy-control's range do not overlap/,
  );
});

t.test('toCoreConfig does not share arrays with the config', async (t) => {
  const config = load();
  const core = toCoreConfig(config);
  core.bindings[0]?.chargerIds.push('x');
  t.same(config.bindings[0]?.chargers, ['garage']);
});
