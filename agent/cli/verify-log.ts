// `hcalcs-agent verify-log`: walks the event log's hash chain (agent/event-log/chain.ts) and
// says whether every row is as it was written, or which row is the first that is not.
import { errStream, openForReading, type CliContext } from '../event-log/cli-support.js';
import { parseOptions } from './shared/args.js';
import { EXIT } from './shared/exit-codes.js';

const USAGE = `usage: hcalcs-agent verify-log [--json]
  Checks the event log's hash chain. Exit 0 if every row is intact, 1 at the first bad row.
  After pruning (eventLog.retentionDays) the chain starts from the recorded checkpoint.
  The head hash printed on success can be noted elsewhere (a job sheet, an email to the DNO):
  a later verify that ends in the same hash proves nothing before it changed.
`;

const OPTIONS = { json: { type: 'boolean' } } as const;

export async function verifyLogCommand(argv: string[], ctx: CliContext): Promise<number> {
  const parsed = parseOptions(argv, OPTIONS);
  if (parsed.kind === 'help') {
    ctx.out.write(USAGE);
    return EXIT.OK;
  }
  if (parsed.kind === 'error') {
    errStream(ctx).write(`hcalcs-agent verify-log: ${parsed.message}\n${USAGE}`);
    return EXIT.USAGE;
  }
  const values = parsed.values;
  const log = openForReading('verify-log', ctx);
  if (typeof log === 'number') return log;
  try {
    const startedMs = Date.now();
    const result = await log.verifyParallel({
      onFallback: (e) => errStream(ctx).write(`hcalcs-agent verify-log: worker threads unavailable (${e.message}); verifying on one thread\n`),
    });
    const tookMs = Date.now() - startedMs;
    const head = log.head();
    if (values.json === true) {
      ctx.out.write(JSON.stringify({ path: log.path, ...result, head, tookMs }) + '\n');
    } else if (result.ok) {
      const cp = result.checkpoint;
      ctx.out.write(
        `${log.path}: ${result.count} events, hash chain OK` +
          (head === null ? ' (empty log)\n' : `\nhead: id ${head.id} hash ${head.hash}\n`) +
          (cp
            ? `starts after the pruning checkpoint: id ${cp.throughId} hash ${cp.throughHash}\n` +
              `  (${cp.prunedRows} older rows pruned, the newest written ${new Date(cp.throughAtMs).toISOString()})\n`
            : ''),
      );
    } else {
      ctx.out.write(`${log.path}: ${result.count} events, hash chain BROKEN\n` + `first bad row: id ${result.firstBadId}: ${result.reason}\n`);
    }
    return result.ok ? 0 : 1;
  } catch (err) {
    errStream(ctx).write(`hcalcs-agent verify-log: ${(err as Error).message}\n`);
    return 1;
  } finally {
    log.close();
  }
}
