// Runs a function on a cron expression (the scheduled READ, the daily pruning). node-cron still
// defines the expressions: its parse() checks and expands them exactly as config validation
// does. Only the timing is ours: node-cron's scheduler reads local time through
// Intl.DateTimeFormat, which maps ICU's locale and time-zone data into the process (~7 MB
// resident that `run` kept for its whole life); Date's own local-time getters do not.
//
// The next run is found as node-cron finds it: day by day (month, day of month, day of week,
// all of them must match, with node-cron's L, W, L-n, nL and n#k tokens), then the first
// hour:minute:second of that day after now. A local time that does not exist (the hour
// skipped when clocks go forward) is not a match.

import { parse } from 'node-cron';

type Field = Array<number | string>;
interface Fields {
  second: number[];
  minute: number[];
  hour: number[];
  dayOfMonth: Field;
  month: number[];
  dayOfWeek: Field;
}

const DAY_MS = 86_400_000;
/** node-cron's own horizon: an expression with no match within it is an error. */
const MAX_DAYS = 366 * 100;

const lastDayOfMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();
const weekdayOf = (year: number, month: number, day: number): number => new Date(Date.UTC(year, month - 1, day)).getUTCDay();

/** The weekday nearest to `target` in the same month (the W token), or -1. */
function nearestWeekday(year: number, month: number, target: number): number {
  const last = lastDayOfMonth(year, month);
  if (target < 1 || target > last) return -1;
  const wd = weekdayOf(year, month, target);
  if (wd === 6) return target === 1 ? target + 2 : target - 1;
  if (wd === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function matchesDayOfMonth(field: Field, year: number, month: number, day: number): boolean {
  for (const v of field) {
    if (v === day) return true;
    if (typeof v !== 'string') continue;
    if (v === 'L' && day === lastDayOfMonth(year, month)) return true;
    const w = /^(\d{1,2}|L)W$/.exec(v);
    if (w && nearestWeekday(year, month, w[1] === 'L' ? lastDayOfMonth(year, month) : Number(w[1])) === day) return true;
    const off = /^L-(\d{1,2})$/.exec(v);
    if (off && lastDayOfMonth(year, month) - Number(off[1]) === day && day >= 1) return true;
  }
  return false;
}

function matchesDayOfWeek(field: Field, year: number, month: number, day: number): boolean {
  const weekday = weekdayOf(year, month, day);
  for (const v of field) {
    if (v === weekday) return true;
    if (typeof v !== 'string') continue;
    const nth = /^([0-7])#([1-5])$/.exec(v);
    if (nth) {
      if (Number(nth[1]) % 7 === weekday && Math.floor((day - 1) / 7) + 1 === Number(nth[2])) return true;
      continue;
    }
    const last = /^([0-7])L$/i.exec(v);
    if (last && Number(last[1]) % 7 === weekday && day + 7 > lastDayOfMonth(year, month)) return true;
  }
  return false;
}

/** The first time strictly after `afterMs` (whole seconds) that the expression matches. */
export function nextCronMatch(expression: string, afterMs: number): number {
  return nextMatch(parse(expression) as Fields, afterMs);
}

function nextMatch(f: Fields, afterMs: number): number {
  const baseMs = Math.floor(afterMs / 1000) * 1000;
  const base = new Date(baseMs);
  const asc = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const [hours, minutes, seconds] = [asc(f.hour), asc(f.minute), asc(f.second)];
  let d = new Date(base.getFullYear(), base.getMonth(), base.getDate());
  for (let i = 0; i < MAX_DAYS; i++) {
    const [year, month, day] = [d.getFullYear(), d.getMonth() + 1, d.getDate()];
    if (f.month.includes(month) && matchesDayOfMonth(f.dayOfMonth, year, month, day) && matchesDayOfWeek(f.dayOfWeek, year, month, day)) {
      for (const h of hours) {
        for (const m of minutes) {
          for (const s of seconds) {
            const t = new Date(year, month - 1, day, h, m, s);
            if (t.getTime() > baseMs && t.getDate() === day && t.getHours() === h && t.getMinutes() === m && t.getSeconds() === s) return t.getTime();
          }
        }
      }
    }
    d = new Date(year, month - 1, day + 1);
  }
  throw new Error('Could not find next matching date within reasonable time range');
}

export interface CronJob {
  stop(): void;
}

/** Calls `run` at every match of `expression` (a valid one: config validation checked it).
 *  `run` must not throw (both callers catch and log their own failures). */
export function scheduleCron(expression: string, run: () => void): CronJob {
  const fields = parse(expression) as Fields;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = (): void => {
    if (stopped) return;
    const now = Date.now();
    const next = nextMatch(fields, now);
    // Re-armed at least daily, like node-cron: a long timer would not notice the wall clock
    // being set.
    timer = setTimeout(() => {
      const due = Date.now() >= next;
      arm();
      if (due) run();
    }, Math.min(next - now, DAY_MS));
  };
  arm();
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
