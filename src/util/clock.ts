/**
 * Time is injected. `now()` is wall-clock milliseconds (message timestamps, retention by age, de-duplication
 * windows); `monotonic()` never goes backwards (timers, leases, long-polls).
 */
export interface Clock {
  now(): number;
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(
    private wallMs = 1_700_000_000_000,
    private monoMs = 0,
  ) {}

  now(): number {
    return this.wallMs;
  }

  monotonic(): number {
    return this.monoMs;
  }

  advance(ms: number): void {
    this.wallMs += ms;
    this.monoMs += ms;
  }

  /** Wall-clock jumps (NTP steps) do not move the monotonic clock. */
  setWall(ms: number): void {
    this.wallMs = ms;
  }
}
