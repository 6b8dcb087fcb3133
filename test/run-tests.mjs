#!/usr/bin/env node
// Runs the whole suite with tap and ends with the plain line CI reads:
// "N passed, N failed, N skipped" (counted over tap's assertions).
// Extra arguments go to tap (e.g. a file to run alone).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const args = ['tap', '--reporter=tap', ...process.argv.slice(2)];
const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'] });
let summary = null;
const rl = createInterface({ input: child.stdout });
rl.on('line', (line) => {
  process.stdout.write(line + '\n');
  const m = /^# (\{.*\})$/.exec(line);
  if (m && /total/.test(m[1])) summary = m[1];
});
child.on('close', (code) => {
  const count = (key) => {
    const m = summary && new RegExp(`\\b${key}: (\\d+)`).exec(summary);
    return m ? Number(m[1]) : 0;
  };
  if (summary === null) {
    console.log('tap printed no summary');
    console.log('0 passed, 1 failed');
    process.exit(code || 1);
  }
  const failed = count('fail');
  const skipped = count('skip') + count('todo');
  console.log(`${count('pass')} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(code !== 0 ? code : failed > 0 ? 1 : 0);
});
