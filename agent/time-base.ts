// The agent's timeline: the wall clock read once at start, plus monotonic time elapsed since.
// Durations measured on it cannot be stretched or skipped by a wall-clock step (an NTP
// correction, a Pi without an RTC setting its clock after boot). The wall clock is still
// read, to record rows and to notice a step: when wall minus timeline moves by more than
// CLOCK_STEP_MS between two checks, that is a step, in either direction. Both clocks come
// from the program's one Clock (drivers/clock.ts: now() and monotonic()).

export const CLOCK_STEP_MS = 2000;

export interface ClockStep {
  /** Positive: the wall clock jumped forward. */
  byMs: number;
  wallMs: number;
  timelineMs: number;
}

export class TimeBase {
  private readonly wall0: number;
  private readonly mono0: number;
  private offsetMs = 0;

  constructor(
    private readonly wall: () => number,
    private readonly mono: () => number,
  ) {
    this.wall0 = wall();
    this.mono0 = mono();
  }

  now(): number {
    return this.wall0 + (this.mono() - this.mono0);
  }

  /** A step since the last check, or null. */
  checkStep(): ClockStep | null {
    const timelineMs = this.now();
    const wallMs = this.wall();
    const offset = wallMs - timelineMs;
    const byMs = offset - this.offsetMs;
    if (Math.abs(byMs) <= CLOCK_STEP_MS) return null;
    this.offsetMs = offset;
    return { byMs, wallMs, timelineMs };
  }
}
