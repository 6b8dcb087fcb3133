// The simulators print to the process's own stdout and stderr (a tester's console): a test
// collects both around one command instead.

/** Runs fn with what the process writes to stdout and stderr collected instead of printed. */
export async function captured(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const write = { out: process.stdout.write, err: process.stderr.write };
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      add(chunk.toString());
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      if (cb) process.nextTick(cb);
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = sink((s) => (out += s));
  process.stderr.write = sink((s) => (err += s));
  try {
    return { code: await fn(), out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}
