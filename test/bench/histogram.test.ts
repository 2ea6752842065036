import {describe, expect, it} from 'vitest';
import {LatencyHistogram} from '../../src/bench/histogram.js';

describe('bench - latency histogram', () => {
  it('gives percentiles of recorded values to 3 significant digits', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i / 10); // 0.1 ms .. 100 ms
    const s = h.summary();
    expect(s.count).toBe(1000);
    expect(s.p50).toBeCloseTo(50, 0);
    expect(s.p90).toBeCloseTo(90, 0);
    expect(s.p99).toBeCloseTo(99, 0);
    expect(Math.abs(s.p999 - 99.9) / 99.9).toBeLessThan(0.002);
    expect(Math.abs(s.max - 100) / 100).toBeLessThan(0.001);
    expect(s.mean).toBeCloseTo(50.05, 0);
  });

  it('keeps sub-millisecond resolution (values are stored in µs)', () => {
    const h = new LatencyHistogram();
    h.record(0.25);
    h.record(0.75);
    expect(h.percentile(50)).toBeCloseTo(0.25, 3);
    expect(h.percentile(100)).toBeCloseTo(0.75, 3);
  });

  it('corrects a stalled closed-loop client for coordinated omission', () => {
    // one 1,000 ms answer where a request was due every 100 ms: the 9 requests that could not be sent meanwhile
    // would have waited 900, 800, ..., 100 ms
    const h = new LatencyHistogram();
    h.recordWithExpectedInterval(1000, 100);
    expect(h.count).toBe(10);
    expect(h.percentile(10)).toBeCloseTo(100, 0);
    expect(h.percentile(50)).toBeCloseTo(500, 0);
    expect(h.percentile(100)).toBeCloseTo(1000, 0);
  });

  it('merges per-client histograms into the run total', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 90; i++) a.record(1);
    for (let i = 0; i < 10; i++) b.record(50);
    a.add(b);
    expect(a.count).toBe(100);
    expect(a.percentile(90)).toBeCloseTo(1, 2);
    expect(a.percentile(95)).toBeCloseTo(50, 1);
  });

  it('never reports a percentile above the largest value recorded', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 999; i++) h.record(1);
    h.record(271.337); // its bucket reaches above 271.337 at 3 significant digits
    const s = h.summary();
    expect(s.max).toBeCloseTo(271.337, 2);
    expect(s.p999).toBeLessThanOrEqual(s.max);
    expect(h.percentile(100)).toBe(s.max);
  });

  it('reports zeros for an empty histogram', () => {
    expect(new LatencyHistogram().summary()).toEqual({count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0});
  });
});
