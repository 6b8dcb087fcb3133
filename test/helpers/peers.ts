// Finds the independent peers the interop tests use (socat, Debian's python3-pymodbus,
// mbpoll). Where one is missing the test skips with a visible reason, except under
// CI=true, where .ci/run installs them and a missing peer is a failure.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's python, where python3-pymodbus lives (not the pyenv python3 first on PATH). */
export const DEBIAN_PYTHON = '/usr/bin/python3.11';

function has(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const cache = new Map<string, string | null>();

/** Null when the peer is usable, else why not. */
export function peerMissing(peer: 'socat' | 'pymodbus' | 'mbpoll'): string | null {
  if (cache.has(peer)) return cache.get(peer) ?? null;
  let why: string | null = null;
  if (peer === 'socat' && !has('socat', ['-V'])) why = 'socat not installed (apt-get install socat)';
  if (peer === 'mbpoll' && !has('sh', ['-c', 'command -v mbpoll'])) why = 'mbpoll not installed (apt-get install mbpoll)';
  if (peer === 'pymodbus' && !(existsSync(DEBIAN_PYTHON) && has(DEBIAN_PYTHON, ['-c', 'import pymodbus']))) {
    why = `python3-pymodbus not importable by ${DEBIAN_PYTHON} (apt-get install python3-pymodbus)`;
  }
  cache.set(peer, why);
  return why;
}

/**
 * Options for t.test(): skip with the reason when a peer is missing, unless CI=true.
 * Under CI the test runs and fails on its own when the peer is absent.
 */
export function needs(...peers: Array<'socat' | 'pymodbus' | 'mbpoll'>): { skip: string | false } {
  const missing = peers.map(peerMissing).filter((w): w is string => w !== null);
  if (missing.length === 0) return { skip: false };
  if (process.env.CI === 'true') return { skip: false };
  return { skip: missing.join('; ') };
}

export interface PtyPair {
  /** The agent's end. */
  a: string;
  /** The peer's end. */
  b: string;
  proc: ChildProcess;
  close(): Promise<void>;
}

/**
 * A pair of linked pseudo-terminals made by socat, as a USB serial adapter and the device
 * behind it would be. Raw mode, no echo; the paths are symlinks in a fresh temp dir.
 */
export async function openPtyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'hcalcs-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 5000;
  while (!(existsSync(a) && existsSync(b) && /starting data transfer loop/.test(stderr))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`socat did not open a pty pair: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    a,
    b,
    proc,
    close: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
