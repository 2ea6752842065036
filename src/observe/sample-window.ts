/**
 * Per-second rates of growing counters over a recent window. The broker only keeps counters since start
 * (`PartitionLog.counters`); a sampler adds a timestamped copy every second, and a rate is the difference between the
 * live counters and the oldest sample still in the window. Reading live counters (not only the last sample) makes a
 * burst show up at once instead of a second later.
 */
export class SampleWindow {
  private readonly samples: Array<{t: number; v: readonly number[]}> = [];

  constructor(private readonly windowMs: number) {}

  /** Records counters read at monotonic time `t`; forgets samples older than the window (keeping at least one). */
  add(t: number, values: readonly number[]): void {
    this.samples.push({t, v: [...values]});
    // a bound on memory whatever the sampling period: one base older than the window is all a rate needs
    while (this.samples.length > 1 && this.samples[1]!.t <= t - this.windowMs) this.samples.shift();
  }

  /** Per-second rates from the oldest retained sample to `values` read at `t`; zeros before two points exist. */
  perSecond(t: number, values: readonly number[]): {rates: number[]; spanMs: number} {
    const base = this.samples[0];
    if (!base || t <= base.t) return {rates: values.map(() => 0), spanMs: 0};
    const spanMs = t - base.t;
    // a counter that went down was reset (it cannot shrink otherwise): no rate rather than a negative one
    return {rates: values.map((v, i) => Math.max(0, v - (base.v[i] ?? 0)) * (1000 / spanMs)), spanMs};
  }

  get size(): number {
    return this.samples.length;
  }
}
