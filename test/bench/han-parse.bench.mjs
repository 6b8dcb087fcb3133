// Parser and line-reader throughput, printed (never asserted: shared machines are noisy).
// Run after `npm run build`: node test/bench/han-parse.bench.mjs
import { parseLine, formatLine } from '../../dist/drivers/han/parse.js';
import { createLineReader } from '../../dist/drivers/han/line-bound.js';

const valid = [
  'SWITCH idx=2 type=HCALCS dev=00-DB-12-34-56-78-90-97 state=open cause=dno dur=30 seq=41*70',
  'SWITCH idx=2 state=closed cause=reset seq=42*45',
  'HB seq=43*77',
  'BOOST action=press*21',
  'BOOSTCFG loads=2,3 period=60*5C',
  'LABEL idx=2 text="EV Charger"*67',
  'HB seq=65535 time=2026-11-28T12:00:00Z',
  'END what=switches',
];
const invalid = [
  'SWITCH idx=2 state=open*00',
  'SWITCH idx=6 state=open',
  'LABEL idx=2 text="unterminated',
  'SWITCH idx=2 state=op\u00c3\u00a9n',
  'X'.repeat(300),
  'FROBNICATE a=1',
];

function run(name, lines, iterations) {
  let sink = 0;
  // Warm-up so the JIT has settled before timing.
  for (let i = 0; i < 200_000; i++) sink += parseLine(lines[i % lines.length]).kind.length;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += parseLine(lines[i % lines.length]).kind.length;
  const ns = Number(process.hrtime.bigint() - t0);
  const perS = (iterations / ns) * 1e9;
  console.log(
    `${name.padEnd(34)} ${Math.round(perS).toLocaleString('en-GB').padStart(12)} lines/s  ${(ns / iterations).toFixed(0).padStart(5)} ns/line  (sink ${sink % 10})`,
  );
}

function latency(name, line, samples) {
  const times = new Float64Array(samples);
  for (let i = 0; i < 100_000; i++) parseLine(line);
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    parseLine(line);
    times[i] = Number(process.hrtime.bigint() - t0);
  }
  times.sort();
  const q = (p) => times[Math.min(samples - 1, Math.floor(p * samples))];
  console.log(`${name.padEnd(34)} p50 ${q(0.5)} ns  p99 ${q(0.99)} ns  p99.9 ${q(0.999)} ns  max ${times[samples - 1]} ns (hrtime overhead included)`);
}

async function reader() {
  const oneMb = [];
  let bytes = 0;
  while (bytes < 8 * 1024 * 1024) {
    const l = valid[oneMb.length % valid.length] + '\n';
    oneMb.push(l);
    bytes += l.length;
  }
  const data = Buffer.from(oneMb.join(''), 'latin1');
  let lines = 0;
  let maxBuffered = 0;
  const r = createLineReader((l) => {
    lines++;
    parseLine(l);
  });
  const t0 = process.hrtime.bigint();
  for (let off = 0; off < data.length; off += 4096) {
    await new Promise((res) => r.input.write(data.subarray(off, off + 4096), res));
    maxBuffered = Math.max(maxBuffered, r.bufferedBytes());
  }
  await new Promise((res) => setImmediate(res));
  const ns = Number(process.hrtime.bigint() - t0);
  console.log(
    `${'line reader + parse, 4 KiB chunks'.padEnd(34)} ${Math.round((lines / ns) * 1e9)
      .toLocaleString('en-GB')
      .padStart(12)} lines/s  ${(((data.length / ns) * 1e9) / 1048576).toFixed(1)} MiB/s  max buffered ${maxBuffered} B`,
  );
  r.destroy();
}

async function memory() {
  // 1e6 lines through the reader and the parser: memory before and after (no growth expected).
  const block = Buffer.from(
    valid
      .map((l) => l + '\n')
      .join('')
      .repeat(125),
    'latin1',
  ); // 1000 lines
  const r = createLineReader((l) => parseLine(l));
  const snap = () => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    return `rss ${(m.rss / 1048576).toFixed(1)} MiB heap ${(m.heapUsed / 1048576).toFixed(1)} MiB`;
  };
  for (let i = 0; i < 50; i++) await new Promise((res) => r.input.write(block, res));
  const before = snap();
  for (let i = 0; i < 1000; i++) await new Promise((res) => r.input.write(block, res));
  console.log(`${'1e6 lines, memory'.padEnd(34)} before: ${before}; after: ${snap()}${globalThis.gc ? '' : ' (run with --expose-gc for settled figures)'}`);
  r.destroy();
}

console.log(
  `node ${process.version}, load average ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
run('valid lines (doc examples)', valid, 3_000_000);
run('invalid / ignored lines', invalid, 3_000_000);
run('SWITCH, full, with checksum', [valid[0]], 3_000_000);
latency('SWITCH, full, with checksum', valid[0], 200_000);
let fsink = 0;
const f0 = process.hrtime.bigint();
for (let i = 0; i < 1_000_000; i++) fsink += formatLine('SWITCH', { idx: 2, state: 'open', cause: 'dno', seq: i & 0xffff }, { checksum: true }).length;
console.log(
  `${'formatLine SWITCH with checksum'.padEnd(34)} ${Math.round((1e6 / Number(process.hrtime.bigint() - f0)) * 1e9)
    .toLocaleString('en-GB')
    .padStart(12)} lines/s  (sink ${fsink % 10})`,
);
await reader();
await memory();
