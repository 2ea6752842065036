import {monitorEventLoopDelay, type IntervalHistogram} from 'node:perf_hooks';

/**
 * Event-loop delay: better-sqlite3 is synchronous, so every commit stalls the loop for its duration. This is the
 * figure that says whether that hurts (DESIGN §4). Reset every `windowMs` so /status shows recent behaviour.
 */
export class LoopDelayMonitor {
  private readonly h: IntervalHistogram;
  private last = {p50Ms: 0, p99Ms: 0, maxMs: 0};
  private timer: NodeJS.Timeout;

  constructor(windowMs = 10_000) {
    this.h = monitorEventLoopDelay({resolution: 10});
    this.h.enable();
    this.timer = setInterval(() => this.roll(), windowMs);
    this.timer.unref();
  }

  private roll(): void {
    this.last = this.read();
    this.h.reset();
  }

  private read(): {p50Ms: number; p99Ms: number; maxMs: number} {
    if (this.h.count === 0) return {p50Ms: 0, p99Ms: 0, maxMs: 0};
    return {p50Ms: this.h.percentile(50) / 1e6, p99Ms: this.h.percentile(99) / 1e6, maxMs: this.h.max / 1e6};
  }

  /** The worse of the current and the previous window, so a value never vanishes right after a reset. */
  snapshot(): {p50Ms: number; p99Ms: number; maxMs: number} {
    const now = this.read();
    return {p50Ms: Math.max(now.p50Ms, this.last.p50Ms), p99Ms: Math.max(now.p99Ms, this.last.p99Ms), maxMs: Math.max(now.maxMs, this.last.maxMs)};
  }

  stop(): void {
    clearInterval(this.timer);
    this.h.disable();
  }
}
