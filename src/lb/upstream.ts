import {Pool} from 'undici';
import type {Clock} from '../util/clock.js';
import {UpstreamHealth, type HealthSettings} from './upstream-health.js';

const LATENCY_SAMPLES = 1024;

/** The last LATENCY_SAMPLES response-header latencies, for p50/p99 in /status without a histogram dependency. */
export class LatencyRing {
  private readonly xs = new Float64Array(LATENCY_SAMPLES);
  private n = 0;

  add(ms: number): void {
    this.xs[this.n % LATENCY_SAMPLES] = ms;
    this.n++;
  }

  percentiles(): {p50: number; p99: number; samples: number} {
    const k = Math.min(this.n, LATENCY_SAMPLES);
    if (k === 0) return {p50: 0, p99: 0, samples: 0};
    const s = this.xs.slice(0, k).sort();
    const at = (p: number): number => Math.round(s[Math.min(k - 1, Math.floor(p * k))]! * 100) / 100;
    return {p50: at(0.5), p99: at(0.99), samples: k};
  }
}

export interface UpstreamOptions {
  connections: number;
  connectTimeoutMs: number;
  keepAliveTimeoutMs: number;
  health: HealthSettings;
  /** CA certificates (PEM) trusted for an https broker. */
  ca?: string[];
}

/** What discovery learnt about the broker behind a URL (GET /v1/cluster). */
export interface UpstreamIdentity {
  nodeId: number;
  version: string | null;
  metadataLeader: boolean;
}

/**
 * One broker behind the lb: an undici Pool of keep-alive connections (undici does the connection management), its
 * health, and its counters. `inFlight` counts requests from dispatch until their response body has ended, so
 * open SSE streams and long-polls count too (least-in-flight spreads them).
 */
export class Upstream {
  readonly pool: Pool;
  readonly health: UpstreamHealth;
  readonly latency = new LatencyRing();
  identity: UpstreamIdentity | undefined;
  inFlight = 0;
  openStreams = 0;
  requests = 0;
  /** Transport failures: refused, reset, timed out. */
  failures = 0;
  /** Requests moved to another upstream after failing (or answering 502-504) here. */
  retriedAway = 0;
  responses = {'2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0};
  /** Set when discovery no longer lists it: it takes no new requests and closes once idle. */
  removed = false;

  constructor(
    readonly url: string,
    opts: UpstreamOptions,
    clock: Clock,
  ) {
    this.pool = new Pool(url, {
      connections: opts.connections,
      pipelining: 1,
      connect: {timeout: opts.connectTimeoutMs, ...(opts.ca ? {ca: opts.ca} : {})},
      keepAliveTimeout: Math.min(opts.keepAliveTimeoutMs, 30_000),
      // a broker answers HTTP/1.1 only; h2 via ALPN is never negotiated over plain TCP anyway
      allowH2: false,
    });
    this.health = new UpstreamHealth(opts.health, clock);
  }

  countResponse(status: number): void {
    if (status >= 500) this.responses['5xx']++;
    else if (status >= 400) this.responses['4xx']++;
    else if (status >= 300) this.responses['3xx']++;
    else this.responses['2xx']++;
  }

  get eligible(): boolean {
    return !this.removed && this.health.eligible;
  }

  get ejectedOnly(): boolean {
    return !this.removed && this.health.active !== 'down' && this.health.ejected;
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => undefined);
  }

  destroy(): void {
    void this.pool.destroy().catch(() => undefined);
  }
}
