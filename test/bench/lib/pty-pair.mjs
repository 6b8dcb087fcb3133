// A socat pty pair standing in for the meter's serial line: the agent opens one end, the
// bench writes the meter's lines into the other.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, writeSync, closeSync, constants } from 'node:fs';
import { join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Whether a tool is on PATH (the runner skips benches whose tools are absent). */
export function hasTool(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * @param {string} dir where the two links are made
 * @returns {Promise<{ agentEnd: string, send: (text: string) => Promise<void>, close: () => void }>}
 */
export async function openPtyPair(dir) {
  const agentEnd = join(dir, 'han-a');
  const meterEnd = join(dir, 'han-b');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${agentEnd}`, `pty,raw,echo=0,link=${meterEnd}`], { stdio: 'ignore' });
  while (!(existsSync(agentEnd) && existsSync(meterEnd))) await sleep(20);
  await sleep(100);
  const fd = openSync(meterEnd, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOCTTY);
  /** Writes all of it (LF added), waiting while the pty's small kernel buffer is full. */
  async function send(text) {
    let buf = Buffer.from(text + '\n', 'latin1');
    while (buf.length > 0) {
      try {
        buf = buf.subarray(writeSync(fd, buf));
      } catch (err) {
        if (err.code !== 'EAGAIN') throw err;
        await sleep(1);
      }
    }
  }
  return {
    agentEnd,
    send,
    close: () => {
      closeSync(fd);
      socat.kill();
    },
  };
}
