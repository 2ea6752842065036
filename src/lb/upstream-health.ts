import type {Clock} from '../util/clock.js';

/** `unknown` until the first active check answers; an unknown upstream gets traffic (as nginx treats new servers). */
export type ActiveState = 'unknown' | 'up' | 'down';
export type UpstreamState = ActiveState | 'ejected';

export interface HealthSettings {
  /** Good checks in a row that bring a down upstream back. */
  rise: number;
  /** Failed checks in a row that take an up upstream out. */
  fall: number;
  /** Failed requests within failTimeoutMs that eject the upstream (passive), for failTimeoutMs. */
  maxFails: number;
  failTimeoutMs: number;
}

/**
 * One upstream's health, as a state machine with no I/O: active checks (rise/fall counts) and passive ejection
 * (nginx's max_fails within fail_timeout). The two are independent: an upstream gets traffic when the checks do not
 * say it is down and no ejection is running. Time is the injected monotonic clock.
 */
export class UpstreamHealth {
  active: ActiveState = 'unknown';
  /** Monotonic time until which passive ejection keeps the upstream out (0: not ejected). */
  ejectedUntil = 0;
  ejections = 0;
  lastCheckAt: number | null = null;
  lastCheckOk: boolean | null = null;
  lastError: string | null = null;
  /** Monotonic time of the last good check or response, for "last seen". */
  lastOkAt: number | null = null;
  private okRun = 0;
  private failRun = 0;
  private fails: number[] = [];

  constructor(
    private readonly s: HealthSettings,
    private readonly clock: Clock,
  ) {}

  /** Records an active check; returns the new state when this check changed it. */
  checkResult(ok: boolean, error?: string): ActiveState | undefined {
    const now = this.clock.monotonic();
    this.lastCheckAt = now;
    this.lastCheckOk = ok;
    const before = this.active;
    if (ok) {
      this.lastOkAt = now;
      this.failRun = 0;
      this.okRun++;
      if (this.active === 'unknown' || (this.active === 'down' && this.okRun >= this.s.rise)) this.active = 'up';
    } else {
      this.lastError = error ?? 'check failed';
      this.okRun = 0;
      this.failRun++;
      if (this.active === 'unknown' || (this.active === 'up' && this.failRun >= this.s.fall)) this.active = 'down';
    }
    return this.active === before ? undefined : this.active;
  }

  /** Records a failed request (connection refused, reset, timeout); returns true when it ejects the upstream. */
  requestFailed(error: string): boolean {
    const now = this.clock.monotonic();
    this.lastError = error;
    this.fails = this.fails.filter((t) => t > now - this.s.failTimeoutMs);
    this.fails.push(now);
    if (this.fails.length < this.s.maxFails || now < this.ejectedUntil) return false;
    this.fails = [];
    this.ejectedUntil = now + this.s.failTimeoutMs;
    this.ejections++;
    return true;
  }

  requestSucceeded(): void {
    this.lastOkAt = this.clock.monotonic();
  }

  get ejected(): boolean {
    return this.clock.monotonic() < this.ejectedUntil;
  }

  /** Whether the balancer may send it new requests. */
  get eligible(): boolean {
    return this.active !== 'down' && !this.ejected;
  }

  get state(): UpstreamState {
    if (this.active === 'down') return 'down';
    return this.ejected ? 'ejected' : this.active;
  }
}
