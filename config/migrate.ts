// Settings versions. A config file says which version of the settings it was written for
// (`version:`, absent = 1, the first). When a later agent renames or reshapes a setting it
// adds a migration here, so a field engineer's old file keeps working and the loader says
// what changed; the schema only ever describes the current version.

export const CURRENT_CONFIG_VERSION = 1;

export type RawConfig = Record<string, unknown>;

export interface Migration {
  /** The version this migration reads. */
  from: number;
  /** The version it writes: always from + 1. */
  to: number;
  /** Returns the migrated document (it may change `doc` in place) and a note per change made. */
  migrate(doc: RawConfig): { doc: RawConfig; notes: string[] };
}

/** Version 1 is the first, so nothing to migrate yet. Append `{ from: 1, to: 2, ... }` here. */
export const MIGRATIONS: readonly Migration[] = [];

export type MigrateResult = { ok: true; doc: RawConfig; fromVersion: number; notes: string[] } | { ok: false; problems: string[] };

/**
 * Brings a parsed (not yet validated) document up to `current`. Leaves anything that is not a
 * mapping to the schema to report. The result carries `version: current`.
 */
export function migrateConfig(input: unknown, migrations: readonly Migration[] = MIGRATIONS, current: number = CURRENT_CONFIG_VERSION): MigrateResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: true, doc: input as RawConfig, fromVersion: current, notes: [] };
  }
  let doc = input as RawConfig;
  const raw = doc.version;
  const fromVersion = raw === undefined ? 1 : raw;
  if (typeof fromVersion !== 'number' || !Number.isInteger(fromVersion)) {
    return { ok: false, problems: [`version: must be a whole number (this agent reads version ${current}), got ${JSON.stringify(raw)}`] };
  }
  if (fromVersion > current) {
    return {
      ok: false,
      problems: [`version: ${fromVersion} is newer than this agent understands (${current}); upgrade the agent or use a version ${current} file`],
    };
  }
  const notes: string[] = [];
  for (let v = fromVersion; v < current; v++) {
    const step = migrations.find((m) => m.from === v);
    if (step === undefined || step.to !== v + 1) {
      return { ok: false, problems: [`version: ${fromVersion} cannot be migrated (no migration from version ${v}); this agent reads version ${current}`] };
    }
    const out = step.migrate(doc);
    doc = out.doc;
    for (const n of out.notes) notes.push(`version ${step.from} -> ${step.to}: ${n}`);
  }
  doc.version = current;
  return { ok: true, doc, fromVersion, notes };
}
