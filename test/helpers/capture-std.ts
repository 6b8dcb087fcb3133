// The simulators print to the process's own stdout and stderr (a tester's console): a test
// collects both around one command instead.

/** Runs a command with what the process writes to stdout and stderr collected instead of printed. */
export async function captured(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const { value, out, err } = await capturedValue(fn);
  return { code: value, out, err };
}

/** Runs fn with what the process writes to stdout and stderr collected instead of printed. */
export async function capturedValue<T>(fn: () => Promise<T>): Promise<{ value: T; out: string; err: string }> {
  const write = { out: process.stdout.write, err: process.stderr.write };
  let out = '';
  let err = '';
  // A writer that waits for its callback (log does, to end cleanly when piped) gets it.
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
    return { value: await fn(), out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}
