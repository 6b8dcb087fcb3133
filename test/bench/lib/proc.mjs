// What /proc says about a child process: memory and CPU, for the benches' figures.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';

/** VmRSS, VmHWM (peak), RssAnon and RssFile (mapped files: the node binary, ICU data, addons) in MB; threads. */
export function memoryOf(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return {
    rssMb: field('VmRSS') / 1024,
    hwmMb: field('VmHWM') / 1024,
    anonMb: field('RssAnon') / 1024,
    fileMb: field('RssFile') / 1024,
    threads: field('Threads'),
  };
}

/** utime + stime in seconds. */
export function cpuSecondsOf(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / Number(execFileSync('getconf', ['CLK_TCK']).toString());
}

/** The 1-minute load average, for every printed figure (the machine is shared). */
export function load() {
  return loadavg()[0].toFixed(1);
}

/** Value at quantile p of an ascending array. */
export function quantile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
