// The settings-version mechanism, exercised with synthetic migrations (version 1 is the
// first, so the agent ships none yet).
import t from 'tap';
import { stringify } from 'yaml';
import { parseConfig } from '../../../config/load.js';
import { CURRENT_CONFIG_VERSION, MIGRATIONS, migrateConfig, type Migration } from '../../../config/migrate.js';
import { baseDoc } from './base.js';

// Pretend history: v1 called the HAN port `device`, v2 called reducedCurrentA `reducedA`.
const renameDevice: Migration = {
  from: 1,
  to: 2,
  migrate: (doc) => {
    const han = doc.han as Record<string, unknown>;
    han.port = han.device;
    delete han.device;
    return { doc, notes: ['han.device is now han.port'] };
  },
};
const renameReduced: Migration = {
  from: 2,
  to: 3,
  migrate: (doc) => {
    for (const b of doc.bindings as Record<string, unknown>[]) {
      if ('reducedA' in b) {
        b.reducedCurrentA = b.reducedA;
        delete b.reducedA;
      }
    }
    return { doc, notes: ['bindings[].reducedA is now reducedCurrentA'] };
  },
};

t.test('the agent is at version 1 with no migrations yet', async (t) => {
  t.equal(CURRENT_CONFIG_VERSION, 1);
  t.same(MIGRATIONS, []);
});

t.test('migrations run in order from the file version to the current one', async (t) => {
  const doc = { version: 1, han: { device: '/dev/ttyUSB0' }, bindings: [{ switch: 1, reducedA: 8 }] };
  const r = migrateConfig(doc, [renameReduced, renameDevice], 3);
  if (!r.ok) return t.fail(r.problems.join('\n'));
  t.same(r.doc, { version: 3, han: { port: '/dev/ttyUSB0' }, bindings: [{ switch: 1, reducedCurrentA: 8 }] });
  t.equal(r.fromVersion, 1);
  t.same(r.notes, ['version 1 -> 2: han.device is now han.port', 'version 2 -> 3: bindings[].reducedA is now reducedCurrentA']);
});

t.test('a file already at an intermediate version runs only the later steps', async (t) => {
  const r = migrateConfig({ version: 2, han: { device: 'kept' }, bindings: [{ reducedA: 6 }] }, [renameDevice, renameReduced], 3);
  if (!r.ok) return t.fail(r.problems.join('\n'));
  t.same(r.doc, { version: 3, han: { device: 'kept' }, bindings: [{ reducedCurrentA: 6 }] });
  t.same(r.notes, ['version 2 -> 3: bindings[].reducedA is now reducedCurrentA']);
});

t.test('an absent version is 1; a current file is untouched', async (t) => {
  const r = migrateConfig({ han: { device: '/dev/x' }, bindings: [] }, [renameDevice], 2);
  t.same(r.ok && r.doc, { version: 2, han: { port: '/dev/x' }, bindings: [] });
  const cur = migrateConfig({ version: 2, han: { device: '/dev/x' } }, [renameDevice], 2);
  t.same(cur.ok && cur.doc, { version: 2, han: { device: '/dev/x' } });
  t.same(cur.ok && cur.notes, []);
});

const refusals: [name: string, doc: unknown, message: RegExp][] = [
  ['a newer version', { version: 4 }, /^version: 4 is newer than this agent understands \(3\)/],
  ['a gap in the chain', { version: 0 }, /^version: 0 cannot be migrated \(no migration from version 0\)/],
  ['a fractional version', { version: 1.5 }, /^version: must be a whole number/],
  ['a string version', { version: '2' }, /^version: must be a whole number .*got "2"$/],
];
for (const [name, doc, message] of refusals) {
  t.test(`refused: ${name}`, async (t) => {
    const r = migrateConfig(doc, [renameDevice, renameReduced], 3);
    t.notOk(r.ok);
    t.match(r.ok ? [] : r.problems, [message]);
  });
}

t.test('a document that is not a mapping is left for the schema to report', async (t) => {
  t.same(migrateConfig([1, 2], [renameDevice], 2), { ok: true, doc: [1, 2], fromVersion: 2, notes: [] });
});

t.test('through parseConfig: an old file loads, with a warning saying what changed', async (t) => {
  const d = baseDoc();
  d.version = 0;
  d.han = { device: '/dev/ttyUSB0' };
  const fromZero: Migration = { ...renameDevice, from: 0, to: 1 };
  const r = parseConfig(stringify(d), 'old.yaml', { migrations: [fromZero] });
  if (!r.ok) return t.fail(r.problems.join('\n'));
  t.equal(r.config.han.port, '/dev/ttyUSB0');
  t.equal(r.config.version, 1);
  t.match(r.warnings, [/^version: this file is version 0; it was read as version 1/, /han\.device is now han\.port/]);
  // Without the migration, the same file is refused.
  const refused = parseConfig(stringify(d), 'old.yaml');
  t.notOk(refused.ok);
});
