// `hcalcs-agent evidence --since T --until T --out FILE.tar.gz`: one file for the DNO (or a
// customer's complaint) that stands on its own: the window's events with their hashes and
// anchor, the reductions in it, a one-page summary, the verify result with the head hash,
// the config in force and the agent version. Packed with the system's tar binary.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, lstatSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { errStream, openForReading, type CliContext } from '../event-log/cli-support.js';
import { verifyJsonlWindow } from '../event-log/verify-window.js';
import { findIncidents } from '../history/incidents.js';
import { findSessions } from '../history/sessions.js';
import { anchorJsonl, jsonlLine, windowAnchor } from './export.js';
import { formatIncident, incidentJson } from './incidents.js';
import { parseOptions } from './shared/args.js';
import { EXIT } from './shared/exit-codes.js';
import { durationText, timeText } from './shared/time-text.js';
import { agentVersion } from './shared/version.js';
import { overlaps, parseWindow, windowRows } from './shared/window.js';
import { systemClock, type Clock } from '../../drivers/clock.js';

export const EVIDENCE_USAGE = `usage: hcalcs-agent evidence --since T --until T --out FILE.tar.gz [--utc]
                            [--db FILE] [--config PATH]
  Bundles, for the window: events.jsonl (with hashes and the anchor row), incidents.txt
  and incidents.jsonl, summary.txt (one page), verify.txt (the whole log's chain and
  head hash, and the window checked on its own), config.yaml (the config in force),
  VERSION, and README.txt with the recipe to re-check the hashes without this code.
  FILE must not exist yet.
`;

const OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
  out: { type: 'string' },
  utc: { type: 'boolean' },
} as const;

export const RECIPE = `Re-checking events.jsonl without hcalcs-agent
=============================================
Each line is one event: id, at, at_ms, kind, switch, charger, data, prev_hash, hash.
hash = SHA-256 (lowercase hex) of the bytes of
  "hcalcs-event-log/1" LF prev_hash LF F(id) F(at) F(at_ms) F(kind) F(switch) F(charger) F(data)
where F(null) = "n", F(integer) = "i" <decimal> ";", and F(text) = "s" <length of the
text in UTF-8 bytes, decimal> ":" <the UTF-8 bytes>. id, at_ms are integers; at, kind,
data are text (data is the stored JSON text, used byte for byte); switch is an integer
or null; charger is text or null.
Then: each row's prev_hash equals the hash of the row before it (ids consecutive). The
first line is the anchor (marked "anchor": true: the row before the window, checked by
its own hash) or, if that row was pruned, {"checkpoint": true, "id", "hash"}; a window
from the very first row starts from 64 zeros. The last row's hash must equal the head
hash in verify.txt when the window runs to the end of the log.

Python:
  import hashlib, json
  def F(v):
      if v is None: return b"n"
      if isinstance(v, int): return b"i%d;" % v
      b = v.encode(); return b"s%d:" % len(b) + b
  prev = None
  for line in open("events.jsonl"):
      r = json.loads(line)
      if r.get("checkpoint"): prev = (r["id"], r["hash"]); continue
      pre = b"hcalcs-event-log/1\\n" + r["prev_hash"].encode() + b"\\n" + b"".join(
          F(r[k]) for k in ("id", "at", "at_ms", "kind", "switch", "charger", "data"))
      assert hashlib.sha256(pre).hexdigest() == r["hash"], r["id"]
      if prev and not r.get("anchor"):
          assert r["id"] == prev[0] + 1 and r["prev_hash"] == prev[1], r["id"]
      prev = (r["id"], r["hash"])
`;

export interface EvidenceContext extends CliContext {
  /** The config file in force (copied into the bundle), if known. */
  configPath?: string;
  /** The program's one Clock (drivers/clock.ts); tests pass a fake. */
  clock?: Clock;
}

export async function evidenceCommand(argv: string[], ctx: EvidenceContext): Promise<number> {
  const err = errStream(ctx);
  const parsed = parseOptions(argv, OPTIONS);
  if (parsed.kind === 'help') {
    ctx.out.write(EVIDENCE_USAGE);
    return EXIT.OK;
  }
  const usage = (m: string) => {
    err.write(`hcalcs-agent evidence: ${m}\n${EVIDENCE_USAGE}`);
    return EXIT.USAGE;
  };
  if (parsed.kind === 'error') return usage(parsed.message);
  const v = parsed.values;
  if (v.since === undefined || v.until === undefined || v.out === undefined) return usage('--since, --until and --out are all needed');
  const nowMs = (ctx.clock ?? systemClock).now();
  let w;
  try {
    w = parseWindow(v, nowMs);
  } catch (e) {
    return usage((e as Error).message);
  }
  const out = resolve(v.out);
  if (existsSync(out) || isSymlink(out)) {
    err.write(`hcalcs-agent evidence: ${out} exists; choose a new file name (evidence is never overwritten)\n`);
    return EXIT.CANTCREAT;
  }
  const log = openForReading('evidence', ctx);
  if (typeof log === 'number') return log;
  const tt = timeText(v.utc === true);
  const stem = `hcalcs-evidence-${tt.day(w.sinceMs!)}-to-${tt.day(w.untilMs!)}`;
  const work = mkdtempSync(join(tmpdir(), 'hcalcs-evidence-'));
  const dir = join(work, stem);
  try {
    mkdirSync(dir);
    // events.jsonl: streamed a batch at a time (a year of rows must not fill the RAM).
    const fd = openSync(join(dir, 'events.jsonl'), 'wx');
    let count = 0;
    let first: number | null = null;
    let last: { id: number; hash: string; atMs: number } | null = null;
    try {
      let chunk = '';
      for (const r of log.scan({ sinceMs: w.sinceMs!, untilMs: w.untilMs! })) {
        if (first === null) {
          first = r.id;
          const a = windowAnchor(log, r.id);
          if (a !== null) chunk += anchorJsonl(a);
        }
        chunk += jsonlLine(r);
        count++;
        last = { id: r.id, hash: r.hash, atMs: r.atMs };
        if (chunk.length > 256 * 1024) {
          writeSync(fd, chunk);
          chunk = '';
        }
      }
      writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
    const rows = [...windowRows(log, w)];
    const incidents = findIncidents(rows, { nowMs: w.untilMs! }).filter((i) => overlaps(w, i.startMs, i.restoredMs));
    const sessions = findSessions(rows, incidents, { nowMs: w.untilMs! }).filter((s) => overlaps(w, s.startMs, s.endMs));
    writeFileSync(join(dir, 'incidents.jsonl'), incidents.map((i) => JSON.stringify(incidentJson(i)) + '\n').join(''));
    writeFileSync(
      join(dir, 'incidents.txt'),
      incidents.length === 0 ? 'no reductions in this window\n' : incidents.map((i) => formatIncident(i, tt, w.untilMs!)).join('\n'),
    );

    const whole = await log.verifyParallel();
    const head = log.head();
    const own = verifyJsonlWindow(readFileSync(join(dir, 'events.jsonl'), 'utf8'));
    const verifyText = [
      `event log ${log.path}`,
      `whole chain: ${whole.ok ? 'OK' : `BROKEN at id ${whole.firstBadId}: ${whole.reason}`} (${whole.count} events)`,
      head ? `head: id ${head.id} hash ${head.hash}` : 'head: (empty log)',
      whole.checkpoint
        ? `starts after pruning checkpoint id ${whole.checkpoint.throughId} hash ${whole.checkpoint.throughHash}`
        : 'starts at the chain start (nothing pruned)',
      `this bundle's events.jsonl alone: ${own.ok ? `OK, ${own.rows} events, ids ${own.firstId ?? '-'}..${own.lastId ?? '-'}, anchored by ${own.anchoredBy}, last hash ${own.headHash ?? '-'}` : `FAILS at id ${own.badId}: ${own.reason}`}`,
      `checked at ${new Date(nowMs).toISOString()}`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'verify.txt'), verifyText);
    writeFileSync(join(dir, 'verify.json'), JSON.stringify({ whole, head, window: own }) + '\n');

    if (ctx.configPath !== undefined && existsSync(ctx.configPath)) writeFileSync(join(dir, 'config.yaml'), readFileSync(ctx.configPath));
    else writeFileSync(join(dir, 'config.yaml'), '# the config in force was not given (--db without --config)\n');
    const version = agentVersion();
    writeFileSync(join(dir, 'VERSION'), `hcalcs-agent ${version}\n`);
    writeFileSync(join(dir, 'README.txt'), RECIPE);

    const totalWh = sessions.reduce((s, x) => s + x.energyWh, 0);
    const summary = [
      `hcalcs-agent evidence: ${tt.dayTime(w.sinceMs!)} to ${tt.dayTime(w.untilMs!)} (${tt.zone(w.sinceMs!)})`,
      `agent version ${version}; made ${new Date(nowMs).toISOString()}`,
      '',
      `events      ${count}${first !== null ? ` (ids ${first}..${last?.id})` : ''}`,
      `chain       ${whole.ok ? 'intact' : 'BROKEN'}; head hash ${head?.hash ?? '-'}`,
      `bundle      events.jsonl verifies on its own: ${own.ok ? 'yes' : 'NO'}`,
      `reductions  ${incidents.length}`,
      ...incidents.map(
        (i) =>
          `  ${i.chargerId} ${tt.dayTime(i.startMs)} ${durationText((i.restoredMs ?? w.untilMs!) - i.startMs)} at ${i.lowestA} A, ${i.cause}` +
          `${i.switchIdx !== null ? ` sw ${i.switchIdx}` : ''}, ended by ${i.endedBy ?? 'not yet'}` +
          `${i.restoreDelayMs ? `, delay ${Math.round(i.restoreDelayMs / 1000)} s` : ''}`,
      ),
      `sessions    ${sessions.length}, ${(totalWh / 1000).toFixed(2)} kWh delivered`,
      '',
      'files: events.jsonl incidents.txt incidents.jsonl verify.txt verify.json',
      '       config.yaml VERSION README.txt (how to re-check the hashes)',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'summary.txt'), summary);

    const partial = `${out}.partial`;
    rmSync(partial, { force: true });
    execFileSync('tar', ['-czf', partial, '-C', work, stem], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(partial, out);
    err.write(`wrote ${out}: ${count} events, ${incidents.length} reductions; chain ${whole.ok ? 'OK' : 'BROKEN'}, head ${head?.hash ?? '-'}\n`);
    return whole.ok && own.ok ? EXIT.OK : EXIT.FAIL;
  } catch (e) {
    const code = (e as { code?: string }).code;
    err.write(`hcalcs-agent evidence: ${(e as Error).message}\n`);
    return code === 'EACCES' || code === 'ENOENT' ? EXIT.CANTCREAT : EXIT.FAIL;
  } finally {
    log.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
