// The demo's timeline reads the fields each kind really carries (agent/events.ts): a field
// that is not there shows as "undefined", "null" or "NaN" on the screen.
import t from 'tap';
import { describeEvent } from '../../../agent/cli/demo.js';

t.test('a label alarm names the problem, not a reason it does not have', async (t) => {
  const mismatch = describeEvent({
    kind: 'label.alarm',
    switchIdx: 2,
    data: { idx: 2, problem: 'mismatch', text: 'Heat pump', pattern: '/ev/i', policy: 'warn' },
  });
  t.equal(mismatch, 'agent: ALARM label of switch 2: "Heat pump" does not match /ev/i');
  const missing = describeEvent({ kind: 'label.alarm', data: { idx: 3, problem: 'missing', text: null, pattern: '/ev/i', policy: 'enforce' } });
  t.equal(missing, 'agent: ALARM label of switch 3: missing');
});

t.test('a write without a read-back says nothing of one', async (t) => {
  const base = { limitA: 6, ok: true, durationMs: 12, error: null, reason: 'change', explanation: '6 A <- dno' } as const;
  t.equal(describeEvent({ kind: 'charger.write', chargerId: 'wb', data: { ...base, readBackA: null } }), 'charger wb: wrote 6 A (12 ms)');
  t.equal(describeEvent({ kind: 'charger.write', chargerId: 'wb', data: { ...base, readBackA: 6 } }), 'charger wb: wrote 6 A, read back 6 A (12 ms)');
  t.equal(
    describeEvent({ kind: 'charger.write', chargerId: 'wb', data: { ...base, ok: false, readBackA: null, error: 'timeout' } }),
    'charger wb: write of 6 A FAILED: timeout',
  );
});

t.test('a verification by read-back alone shows no measured current', async (t) => {
  t.equal(
    describeEvent({ kind: 'charger.verified', chargerId: 'wb', data: { limitA: 6, confirmMs: 40, by: 'read-back', late: false } }),
    'charger wb: 6 A read back (the charger measures no current)',
  );
  t.equal(
    describeEvent({ kind: 'charger.verified', chargerId: 'wb', data: { limitA: 6, confirmMs: 4100, measuredA: 5.94, attempt: 1, late: false } }),
    'charger wb: measured 5.9 A, within the 6 A limit 4100 ms after the write',
  );
});

t.test('a failsafe that did not read back is not called written and read back', async (t) => {
  const fs = { wrote: { currentA: 6 }, readBack: { currentA: 0 }, timeoutS: 30, timeoutSource: 'written', notes: ['current reads back 0'] } as const;
  t.equal(
    describeEvent({ kind: 'charger.failsafe', chargerId: 'wb', data: { ...fs, ok: true, notes: [] } }),
    'charger wb: failsafe settings written and read back',
  );
  t.equal(
    describeEvent({ kind: 'charger.failsafe', chargerId: 'wb', data: { ...fs, ok: false, notes: [...fs.notes] } }),
    'charger wb: failsafe settings NOT confirmed',
  );
});

t.test('kinds the timeline does not tell are left out', async (t) => {
  t.equal(describeEvent({ kind: 'read.end', data: { what: 'switches', missingLabels: [] } }), null);
});
