// The uplink's own read-only connection to the event log. In WAL mode a reader never waits
// for the agent's appends and the agent never waits for it, so reading a batch of rows to
// publish cannot hold up a row the control path writes. Columns are the event log's schema
// (agent/event-log/migrations.ts).

import { statSync } from 'node:fs';
import Database from 'better-sqlite3';

/** One row as published: the fields `log --json` prints, already encoded. */
export interface OutgoingRow {
  id: number;
  hash: string;
  json: string;
}

type Raw = [number, string, number, string, number | null, string | null, string, string];

function parseData(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return { unparseable: text };
  }
}

function inodeOf(path: string): string | null {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}

export class LogReader {
  private db!: Database.Database;
  private inode: string | null = null;
  private stmtAfter!: Database.Statement<[number, number], Raw>;
  private stmtHead!: Database.Statement<[], { id: number; hash: string }>;
  private stmtHashOf!: Database.Statement<[number], { hash: string }>;
  private stmtState!: Database.Statement<[string], { value: string }>;
  private stmtPending!: Database.Statement<[], { name: string; args: string }>;
  private stmtByRequest!: Database.Statement<[string], { id: number }>;

  constructor(private readonly path: string) {
    this.open();
  }

  /** True if the file at the path is another one now and was opened instead. */
  reopenIfReplaced(): boolean {
    const now = inodeOf(this.path);
    if (now === null || now === this.inode) return false;
    const old = this.db;
    this.open();
    old.close();
    return true;
  }

  private open(): void {
    this.inode = inodeOf(this.path);
    this.db = new Database(this.path, { readonly: true, fileMustExist: true });
    // Waiting here would stall the agent's event loop; a busy moment is simply retried on
    // the next tick (100 ms).
    this.db.pragma('busy_timeout = 0');
    this.stmtAfter = this.db
      .prepare<[number, number], Raw>('SELECT id, at, at_ms, kind, "switch", charger, data, hash FROM events WHERE id > ? ORDER BY id LIMIT ?')
      .raw(true);
    this.stmtHead = this.db.prepare('SELECT id, hash FROM events ORDER BY id DESC LIMIT 1');
    this.stmtHashOf = this.db.prepare('SELECT hash FROM events WHERE id = ?');
    this.stmtState = this.db.prepare('SELECT value FROM state WHERE key = ?');
    this.stmtPending = this.db.prepare('SELECT name, args FROM commands WHERE taken_at_ms IS NULL ORDER BY id');
    this.stmtByRequest = this.db.prepare("SELECT id FROM commands WHERE json_extract(args, '$.requestId') = ? ORDER BY id DESC LIMIT 1");
  }

  /** Up to limit rows with id > afterId, oldest first. */
  rowsAfter(afterId: number, limit: number): OutgoingRow[] {
    return this.stmtAfter.all(afterId, limit).map((r) => ({
      id: r[0],
      hash: r[7],
      // Same fields and order as `hcalcs-agent log --json` (agent/event-log EventRow).
      json: JSON.stringify({ id: r[0], at: r[1], atMs: r[2], kind: r[3], switchIdx: r[4], chargerId: r[5], data: parseData(r[6]), hash: r[7] }),
    }));
  }

  head(): { id: number; hash: string } | null {
    return this.stmtHead.get() ?? null;
  }

  hashOf(id: number): string | null {
    return this.stmtHashOf.get(id)?.hash ?? null;
  }

  loadState<T>(key: string): T | undefined {
    const row = this.stmtState.get(key);
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  /** Owner commands queued and not yet taken by the agent. */
  pendingCommands(): Array<{ name: string; args: Record<string, unknown> }> {
    return this.stmtPending.all().map((c) => ({ name: c.name, args: parseData(c.args) }));
  }

  /** The queued command (taken or not) that carried this requestId, if any. */
  commandOfRequest(requestId: string): number | null {
    return this.stmtByRequest.get(requestId)?.id ?? null;
  }

  close(): void {
    this.db.close();
  }
}
