import {build, type Histogram} from 'hdr-histogram-js';

/** Latency percentiles in milliseconds (recorded in microseconds, 3 significant digits). */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Values are recorded in µs: 1 µs to 1 h at 3 significant digits (an error of at most 0.1 %). */
const HIGHEST_US = 3_600_000_000;

/**
 * An HDR histogram of latencies (hdr-histogram-js, the pure JS implementation: the WebAssembly one would have to
 * load a module at start-up, which the single executable does not need for a few thousand samples per second).
 */
export class LatencyHistogram {
  private readonly h: Histogram;

  constructor() {
    this.h = build({bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, useWebAssembly: false});
  }

  /** Records one latency given in milliseconds (sub-millisecond values keep their µs). */
  record(ms: number): void {
    this.h.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
  }

  /**
   * Records a latency measured by a client that waits for each answer before sending the next, adding the samples a
   * fixed-rate client would have seen while it was stalled (HdrHistogram's correction for coordinated omission).
   * The fixed-rate mode measures from each operation's scheduled time instead, which needs no correction.
   */
  recordWithExpectedInterval(ms: number, intervalMs: number): void {
    this.h.recordValueWithExpectedInterval(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))), Math.max(1, Math.round(intervalMs * 1000)));
  }

  add(other: LatencyHistogram): void {
    this.h.add(other.h);
  }

  get count(): number {
    return this.h.totalCount;
  }

  /**
   * Percentile p in [0, 100], in ms. HdrHistogram answers with the top of the value's bucket, which can lie above the
   * largest value recorded: capped at the max, so that p99.9 <= max in every report.
   */
  percentile(p: number): number {
    return this.h.totalCount === 0 ? 0 : Math.min(this.h.getValueAtPercentile(p), this.h.maxValue) / 1000;
  }

  summary(): LatencySummary {
    const n = this.h.totalCount;
    return {
      count: n,
      mean: n === 0 ? 0 : this.h.mean / 1000,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: n === 0 ? 0 : this.h.maxValue / 1000,
    };
  }
}
