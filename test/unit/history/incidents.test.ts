// A night's story written by the real runtime, read back as a field engineer would:
// when, why, how long, what ended it, the restore delay, and the energy delivered.
import t from 'tap';
import { incidentsCommand } from '../../../agent/cli/incidents.js';
import { historyCommand } from '../../../agent/cli/history.js';
import { findIncidents } from '../../../agent/history/incidents.js';
import { openEventLogStore } from '../../../agent/event-log/store.js';
import { nightLog, at } from '../../helpers/night.js';
import { Sink, tempLog } from '../event-log/fixtures/helpers.js';
import { ManualClock } from '../../helpers/fakes.js';

const tz = process.env.TZ;
process.env.TZ = 'Europe/London';
t.teardown(() => {
  if (tz === undefined) delete process.env.TZ;
  else process.env.TZ = tz;
});

const run = async (cmd: typeof incidentsCommand, argv: string[], path: string) => {
  const out = new Sink();
  const err = new Sink();
  const code = await cmd(argv, { eventLogPath: path, out, err, clock: new ManualClock(at('02:00', true)) });
  return { code, out: out.text, err: err.text };
};

t.test('incidents: the night in 80 columns, local time', async (t) => {
  const { path } = await nightLog(t);
  const r = await run(incidentsCommand, [], path);
  t.equal(r.code, 0, r.err);
  const text = r.out;
  t.match(text, /^3 reductions \(times UTC\+01:00\)/);
  // 20:30Z a cold start: held at 6 A until the cold-load rule's random delay (seed 42: 507 s)
  // runs out, although the meter confirmed the switch closed at once.
  t.match(
    text,
    /garage: reduced 2026-07-14 21:30:00 - 21:38:27 \(8 min\)\n  cause +agent start\n  limits +8 min at 6 A \(normal 32 A\)\n  ended +by meter confirm at 21:30:00; random delay 507 s of max 600 s\n  back +32 A at 21:38:27/,
  );
  // 21:03Z DNO open, 22:41Z reset, restore after the next seeded random delay (484.795 s).
  t.match(
    text,
    /garage: reduced 2026-07-14 22:03:00 - 23:49:04 \(106 min\)\n  cause +dno, switch 2\n  limits +106 min at 6 A \(normal 32 A\)\n  ended +by reset at 23:41:00; random delay 485 s of max 600 s\n  back +32 A at 23:49:04/,
  );
  t.match(text, /garage: reduced 2026-07-15 00:50:00 - 01:10:00 \(20 min\)[\s\S]*ended +by boost at 01:10:00; restored at once \(boost\)/);
  for (const l of text.split('\n')) t.ok(l.length <= 80, `<= 80 columns: ${l}`);
  const utc = await run(incidentsCommand, ['--utc'], path);
  t.match(utc.out, /reduced 2026-07-14 21:03:00 - 22:49:04/);
});

t.test('incidents: energy delivered while reduced, from the samples', async (t) => {
  const { path } = await nightLog(t);
  const r = await run(incidentsCommand, ['--json'], path);
  const list = r.out
    .trimEnd()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as {
          cause: string;
          energyKWh: number;
          minutesAtLimit: Array<{ limitA: number; minutes: number }>;
          endedBy: string;
          restoreDelayMs: number;
          restoredMs: number;
        },
    );
  t.equal(list.length, 3);
  t.equal(list[0]!.cause, 'agent start');
  t.equal(list[0]!.endedBy, 'meter confirm');
  // 6 A on one phase at 230 V from 21:03Z to the restore after the random delay; sampling once
  // a minute puts at most one minute's difference (16 A vs 6 A) into the first sample's trapezoid.
  const dno = list[1]!;
  const reducedS = (dno.restoredMs - at('21:03')) / 1000;
  t.equal(reducedS, 98 * 60 + dno.restoreDelayMs / 1000, 'back exactly the drawn delay after the reset');
  const exact = (6 * 230 * (reducedS / 3600)) / 1000;
  t.ok(Math.abs(dno.energyKWh - exact) < (10 * 230) / 60 / 1000 / 2 + 0.001, `${dno.energyKWh} kWh vs ${exact.toFixed(3)} kWh`);
  t.same(dno.minutesAtLimit, [{ limitA: 6, minutes: Math.round((reducedS / 60) * 10) / 10 }]);
  t.equal(dno.endedBy, 'reset');
  t.equal(dno.restoreDelayMs, 484795);
  t.equal(list[2]!.endedBy, 'boost');
});

t.test('incidents: a window selects the reductions that overlap it', async (t) => {
  const { path } = await nightLog(t);
  const r = await run(incidentsCommand, ['--since', '2026-07-15 00:00', '--json'], path);
  t.equal(r.out.trimEnd().split('\n').length, 1, 'only the second (local time without zone)');
  const none = await run(incidentsCommand, ['--since', '2026-07-15 01:30'], path);
  t.equal(none.out, 'no reductions in this window\n');
  const bad = await run(incidentsCommand, ['--since', 'last tuesday'], path);
  t.equal(bad.code, 64);
});

t.test('incidents and history: --help, an unknown option, and a report whose output fails', async (t) => {
  const { path, log } = tempLog(t);
  log.append({ kind: 'agent.start', data: {} });
  for (const [cmd, name] of [
    [incidentsCommand, 'incidents'],
    [historyCommand, 'history'],
  ] as const) {
    const help = await run(cmd, ['--help'], path);
    t.equal(help.code, 0, `${name} --help`);
    t.match(help.out, new RegExp(`^usage: hcalcs-agent ${name} `));
    t.equal(help.err, '');

    const bad = await run(cmd, ['--charger'], path);
    t.equal(bad.code, 64, `${name} --charger without a value`);
    t.match(bad.err, new RegExp(`^hcalcs-agent ${name}: .*--charger[\\s\\S]*usage: hcalcs-agent ${name} `));
    t.equal(bad.out, '');

    // A console that goes away while the report is written (a closed pipe).
    const err = new Sink();
    const out = {
      write: () => {
        throw new Error('write EPIPE');
      },
    } as unknown as NodeJS.WritableStream;
    t.equal(await cmd([], { eventLogPath: path, out, err, clock: new ManualClock(at('02:00', true)) }), 1, `${name}: output failed`);
    t.equal(err.text, `hcalcs-agent ${name}: write EPIPE\n`);
  }
});

t.test('a reduction still going at the end is open, timed up to now', async (t) => {
  const rows = [
    {
      id: 1,
      atMs: 0,
      kind: 'limit.changed',
      switchIdx: null,
      chargerId: 'c',
      data: {
        fromA: 32,
        toA: 6,
        claims: [
          { source: 'switch', capA: 6, text: 'switch 1 open, cause dno, since x' },
          { source: 'charger', capA: 32, text: 'max' },
        ],
      },
    },
  ];
  const [i] = findIncidents(rows, { nowMs: 600_000 });
  t.equal(i?.restoredMs, null);
  t.equal(i?.endMs, null);
  t.same(i?.atLimits, [{ limitA: 6, ms: 600_000 }]);
});

t.test('history: the charging session, its energy and time limited, by whom', async (t) => {
  const { path } = await nightLog(t);
  const r = await run(historyCommand, [], path);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /garage +2026-07-14 21:31:00 +\+01:40:00 +(\d+\.\d\d) +2 h 14 min +agent start, dn\.\.\./);
  const whole = await run(historyCommand, ['--json'], path);
  t.same((JSON.parse(whole.out) as { limitedBy: string[] }).limitedBy, ['agent start', 'dno (switch 2)'], 'by whom, whole in JSON');
  const json = await run(historyCommand, ['--json'], path);
  const s = JSON.parse(json.out) as { energyKWh: number; limitedMs: number };
  // The session's energy is the samples' sum (one phase, 230 V).
  const log = openEventLogStore(path, { readonly: true });
  const sampled = log.query({ kind: 'charger.sample' }).reduce((sum, row) => sum + (row.data.wh as number), 0);
  log.close();
  t.ok(Math.abs(s.energyKWh - sampled / 1000) < 0.01, `session ${s.energyKWh} kWh = the samples' ${(sampled / 1000).toFixed(3)} kWh`);
  for (const l of r.out.split('\n')) t.ok(l.length <= 80, `<= 80: ${l}`);
});
