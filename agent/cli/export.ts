// `hcalcs-agent export`: the event log as evidence a field engineer can hand to the DNO. Every
// row carries prev_hash and hash, and `data` is the stored JSON text byte for byte, so the
// recipient can re-verify the chain with the encoding in agent/event-log/chain.ts and nothing
// of ours. Rows stream out one batch at a time: a year of events must not fill the gateway's RAM.
import { once } from 'node:events';
import { constants, createWriteStream, linkSync, lstatSync, openSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { errStream, openForReading, usageFail, type CliContext } from '../event-log/cli-support.js';
import type { EventLogStore, StoredEventRow } from '../event-log/store.js';
import type { EventQuery } from '../event-log/types.js';
import { parseInstant } from './shared/time-text.js';
import { parseOptions } from './shared/args.js';
import { EXIT } from './shared/exit-codes.js';

const USAGE = `usage: hcalcs-agent export [--format jsonl|csv] [--out FILE [--force]] [--since T] [--until T]
                            [--kind K] [--charger ID] [--utc] [--db FILE | --config PATH]
  Writes events oldest first with their hashes: JSON Lines (default) or CSV (RFC 4180).
  Columns: id, at (UTC), at_ms, kind, switch, charger, data (stored JSON text), prev_hash, hash.
  A window that does not start at the chain's start begins with its anchor: the row its
  first prev_hash points to (JSONL: "anchor": true; CSV: the first row), or, if that row
  was pruned, the checkpoint (JSONL: {"checkpoint": true, "id", "hash"}; CSV: kind
  "(checkpoint)"), so the window verifies on its own. --kind and --charger select rows
  that are not a contiguous chain: each row's hash still checks, the links between do not.
  T as for log (local unless --utc or a zone is given).
  --out writes FILE (via FILE.partial, renamed when complete); otherwise standard output.
        An existing FILE is kept unless --force; symlinks are never followed.
`;

const OPTIONS = {
  format: { type: 'string', nonEmpty: false },
  out: { type: 'string', nonEmpty: false },
  force: { type: 'boolean' },
  since: { type: 'string' },
  until: { type: 'string' },
  kind: { type: 'string' },
  charger: { type: 'string' },
  utc: { type: 'boolean' },
} as const;

/**
 * Creates FILE.partial for writing, never through a symlink and never over anything there:
 * a link planted at the name (by anyone who can write the directory) would otherwise take
 * the evidence, or a file of theirs would be overwritten with it.
 */
function openPartial(path: string): number {
  return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o640);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The row before the window, or the checkpoint standing in for it; null at the chain start. */
export function windowAnchor(log: EventLogStore, firstId: number): { row: StoredEventRow } | { checkpoint: { id: number; hash: string } } | null {
  if (firstId <= 1) return null;
  const row = log.storedRow(firstId - 1);
  if (row !== null) return { row };
  const cp = log.pruneCheckpoint();
  if (cp !== null && cp.throughId === firstId - 1) return { checkpoint: { id: cp.throughId, hash: cp.throughHash } };
  return null;
}

export function anchorJsonl(a: NonNullable<ReturnType<typeof windowAnchor>>): string {
  if ('row' in a) return jsonlLine(a.row).replace(/}\n$/, ',"anchor":true}\n');
  return JSON.stringify({ checkpoint: true, id: a.checkpoint.id, hash: a.checkpoint.hash }) + '\n';
}

export function anchorCsv(a: NonNullable<ReturnType<typeof windowAnchor>>): string {
  if ('row' in a) return csvLine(a.row);
  return [a.checkpoint.id, '', '', '(checkpoint)', '', '', '', '', a.checkpoint.hash].join(',') + '\r\n';
}

export const EXPORT_COLUMNS = ['id', 'at', 'at_ms', 'kind', 'switch', 'charger', 'data', 'prev_hash', 'hash'] as const;

export function jsonlLine(r: StoredEventRow): string {
  return (
    JSON.stringify({
      id: r.id,
      at: r.at,
      at_ms: r.atMs,
      kind: r.kind,
      switch: r.switchIdx,
      charger: r.chargerId,
      data: r.dataJson,
      prev_hash: r.prevHash,
      hash: r.hash,
    }) + '\n'
  );
}

function csvField(v: string | number | null): string {
  // NULL is the empty field; the log never stores an empty charger id, so this is unambiguous.
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(r: StoredEventRow): string {
  return [r.id, r.at, r.atMs, r.kind, r.switchIdx, r.chargerId, r.dataJson, r.prevHash, r.hash].map(csvField).join(',') + '\r\n';
}

const BATCH_ROWS = 500;

/** The rows, preceded by the window's anchor line (as a pseudo-row that prints itself). */
function* withAnchor(log: EventLogStore, rows: Iterable<StoredEventRow>, format: string, contiguous: boolean): Generator<StoredEventRow & { line?: string }> {
  let first = true;
  for (const r of rows) {
    if (first && contiguous) {
      const a = windowAnchor(log, r.id);
      if (a !== null) yield { ...r, line: format === 'csv' ? anchorCsv(a) : anchorJsonl(a) };
    }
    first = false;
    yield r;
  }
}

async function writeAll(out: NodeJS.WritableStream, rows: Iterable<StoredEventRow>, line: (r: StoredEventRow) => string, header: string) {
  let count = 0;
  let first: number | null = null;
  let last: StoredEventRow | null = null;
  let chunk = header;
  let inChunk = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    const ok = out.write(chunk);
    chunk = '';
    inChunk = 0;
    if (!ok) await once(out, 'drain');
  };
  for (const r of rows as Iterable<StoredEventRow & { line?: string }>) {
    if (r.line !== undefined) {
      chunk += r.line;
      continue;
    }
    chunk += line(r);
    count++;
    first ??= r.id;
    last = r;
    if (++inChunk >= BATCH_ROWS) await flush();
  }
  await flush();
  return { count, first, last };
}

export async function exportCommand(argv: string[], ctx: CliContext): Promise<number> {
  const parsed = parseOptions(argv, OPTIONS);
  if (parsed.kind === 'help') {
    ctx.out.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') return usageFail('export', parsed.message, USAGE, ctx);
  const values = parsed.values;
  const format = values.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') return usageFail('export', `--format must be jsonl or csv, got "${format}"`, USAGE, ctx);
  if (values.out === '') return usageFail('export', '--out needs a file path', USAGE, ctx);
  if (values.force && values.out === undefined) return usageFail('export', '--force only goes with --out', USAGE, ctx);
  const q: Omit<EventQuery, 'limit'> = {};
  try {
    const nowMs = Date.now();
    const utc = values.utc === true;
    if (values.since !== undefined) q.sinceMs = parseInstant(values.since, { utc, nowMs, name: 'since' });
    if (values.until !== undefined) q.untilMs = parseInstant(values.until, { utc, nowMs, name: 'until' });
  } catch (err) {
    return usageFail('export', (err as Error).message, USAGE, ctx);
  }
  if (values.kind !== undefined) q.kind = values.kind;
  if (values.charger !== undefined) q.chargerId = values.charger;
  const contiguous = values.kind === undefined && values.charger === undefined;
  const err = errStream(ctx);
  const log = openForReading('export', ctx);
  if (typeof log === 'number') return log;

  const target = values.out;
  const force = values.force === true;
  const partial = target === undefined ? undefined : `${target}.partial`;
  let out: NodeJS.WritableStream = ctx.out;
  let file: ReturnType<typeof createWriteStream> | undefined;
  try {
    if (target !== undefined && partial !== undefined) {
      // lstat: a symlink at FILE counts as there, wherever it points (or if it dangles).
      if (!force && exists(target)) {
        err.write(`hcalcs-agent export: ${target} exists; choose another name or add --force to replace it\n`);
        return EXIT.CANTCREAT;
      }
      let fd: number;
      try {
        fd = openPartial(partial);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why =
          code === 'EEXIST' || code === 'ELOOP'
            ? 'it already exists (an export that did not finish, or a planted file or symlink); remove it and try again'
            : (e as Error).message;
        err.write(`hcalcs-agent export: cannot create ${partial}: ${why}\n`);
        return EXIT.CANTCREAT;
      }
      file = createWriteStream('', { fd });
      out = file;
    }
    const header = format === 'csv' ? EXPORT_COLUMNS.join(',') + '\r\n' : '';
    const rows = withAnchor(log, log.scan(q), format, contiguous);
    // A write error (disk full) arrives as an event; race it against the export.
    const failed = new Promise<never>((_, reject) => out.once('error', reject));
    failed.catch(() => undefined);
    const summary = await Promise.race([writeAll(out, rows, format === 'csv' ? csvLine : jsonlLine, header), failed]);
    if (file !== undefined && partial !== undefined && target !== undefined) {
      file.end();
      await Promise.race([once(file, 'close'), failed]);
      if (force) {
        // rename replaces FILE itself (a symlink there is replaced, not followed).
        renameSync(partial, target);
      } else {
        // link fails if FILE appeared meanwhile: still never overwritten.
        try {
          linkSync(partial, target);
          unlinkSync(partial);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') {
            err.write(`hcalcs-agent export: ${target} appeared while exporting; kept it, and the export is not written\n`);
            return EXIT.CANTCREAT;
          }
          // No hard links here (a FAT USB stick): check once more, then rename.
          if (exists(target)) {
            err.write(`hcalcs-agent export: ${target} appeared while exporting; kept it, and the export is not written\n`);
            return EXIT.CANTCREAT;
          }
          renameSync(partial, target);
        }
      }
      file = undefined;
    }
    const range = summary.first === null ? '' : ` (ids ${summary.first}..${summary.last?.id})`;
    const head = summary.last === null ? '' : `; last hash ${summary.last.hash}`;
    err.write(`exported ${summary.count} events${range} as ${format}${target === undefined ? '' : ` to ${target}`}${head}\n`);
    if (!contiguous) err.write("note: --kind/--charger select rows that are not a contiguous chain; each row's hash checks, the links between rows do not\n");
    return 0;
  } catch (e) {
    err.write(`hcalcs-agent export: ${(e as Error).message}\n`);
    return 1;
  } finally {
    log.close();
    if (file !== undefined) {
      // Failed before the rename: leave no half file that could pass for the whole log.
      file.destroy();
      if (partial !== undefined) rmSync(partial, { force: true });
    }
  }
}
