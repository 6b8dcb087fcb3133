// The two small tables beside the chain: the agent's saved state (restart resume) and the
// owner commands CLI processes leave for the agent. Neither is part of the hash chain.
import type Database from 'better-sqlite3';
import type { Conn } from './connection.js';
import { parseData } from './rows.js';

export interface TakenCommand {
  id: number;
  name: string;
  args: Record<string, unknown>;
  atMs: number;
}

export interface StateTables {
  saveState(key: string, value: unknown): void;
  loadState<T>(key: string): T | undefined;
  enqueueCommand(command: { name: string; args?: Record<string, unknown> }): number;
  takeCommands(): TakenCommand[];
}

export function stateTables(c: Conn): StateTables {
  const stmtLoadState = c.db.prepare<[string], { value: string }>('SELECT value FROM state WHERE key = ?');
  // Writer-only statements, prepared on first use: a reader's errors then say "readonly" at
  // the call, not at open.
  let w:
    | {
        saveState: Database.Statement;
        deleteState: Database.Statement;
        enqueue: Database.Statement;
        takeTx: Database.Transaction<() => TakenCommand[]>;
      }
    | undefined;
  function writer(): NonNullable<typeof w> {
    c.mustWrite();
    if (w !== undefined) return w;
    const db = c.db;
    const saveState = db.prepare(
      'INSERT INTO state (key, value, updated_at_ms) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms',
    );
    const deleteState = db.prepare('DELETE FROM state WHERE key = ?');
    const enqueue = db.prepare('INSERT INTO commands (at_ms, name, args) VALUES (?, ?, ?)');
    const selectOpen = db.prepare<[], { id: number; name: string; args: string; at_ms: number }>(
      'SELECT id, name, args, at_ms FROM commands WHERE taken_at_ms IS NULL ORDER BY id',
    );
    const markTaken = db.prepare('UPDATE commands SET taken_at_ms = ? WHERE id = ?');
    const takeTx = db.transaction(() => {
      const open = selectOpen.all();
      const nowMs = c.clock();
      for (const cmd of open) markTaken.run(nowMs, cmd.id);
      return open.map((cmd) => ({ id: cmd.id, name: cmd.name, args: parseData(cmd.args), atMs: cmd.at_ms }));
    });
    w = { saveState, deleteState, enqueue, takeTx };
    return w;
  }

  return {
    saveState(key: string, value: unknown): void {
      if (typeof key !== 'string' || key.length === 0) throw new TypeError('state key must be a non-empty string');
      const { saveState, deleteState } = writer();
      let json: string | undefined;
      try {
        json = JSON.stringify(value);
      } catch (err) {
        throw new TypeError(`state ${key}: value cannot be stored as JSON: ${(err as Error).message}`, { cause: err });
      }
      // JSON has no undefined: saving undefined forgets the key, so loadState returns undefined.
      if (json === undefined) deleteState.run(key);
      else saveState.run(key, json, c.clock());
    },
    loadState<T>(key: string): T | undefined {
      const row = stmtLoadState.get(key);
      if (row === undefined) return undefined;
      try {
        return JSON.parse(row.value) as T;
      } catch (err) {
        throw new Error(`state ${key} in ${c.path} is not valid JSON: ${(err as Error).message}`, { cause: err });
      }
    },
    enqueueCommand(command: { name: string; args?: Record<string, unknown> }): number {
      if (typeof command?.name !== 'string' || command.name.length === 0) throw new TypeError('command name must be a non-empty string');
      const args = command.args ?? {};
      if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new TypeError('command args must be a plain object');
      const { enqueue } = writer();
      const info = enqueue.run(c.clock(), command.name, JSON.stringify(args));
      return Number(info.lastInsertRowid);
    },
    takeCommands() {
      return writer().takeTx.immediate();
    },
  };
}
