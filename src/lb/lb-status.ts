import os from 'node:os';
import type {LoopDelayMonitor} from '../observe/loop-delay.js';
import {SampleWindow} from '../observe/sample-window.js';
import {STATUS_SCHEMA_VERSION, type BrokerEntry, type LbUpstreamStatus, type StatusModel} from '../observe/status-model.js';
import type {Clock} from '../util/clock.js';
import {FORMAT_VERSION, VERSION} from '../version.js';
import type {Discovery} from './discovery.js';
import type {LbConfig} from './lb-config.js';
import type {LbStats} from './lb-stats.js';
import type {Upstream} from './upstream.js';
import type {UpstreamSet} from './upstream-set.js';

export interface LbStatusSources {
  config: LbConfig;
  clock: Clock;
  stats: LbStats;
  upstreams: UpstreamSet;
  discovery: Discovery | undefined;
  loopDelay: LoopDelayMonitor;
  url: () => string;
  startedAt: number;
  draining: () => boolean;
  openStreams: () => number;
}

/** Counters sampled every second, so /status carries rates over `statusRateWindowMs` like a broker's. */
export class LbRates {
  private readonly window: SampleWindow;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly s: LbStatusSources,
    windowMs: number,
  ) {
    this.window = new SampleWindow(windowMs);
    this.window.add(s.clock.monotonic(), this.values());
    this.timer = setInterval(() => this.window.add(s.clock.monotonic(), this.values()), 1000);
    this.timer.unref();
  }

  /** messages in, bytes in, bytes out, cpu µs */
  private values(): number[] {
    const cpu = process.cpuUsage();
    return [this.s.stats.messagesIn, this.s.stats.bytesIn, this.s.stats.bytesOut, cpu.user + cpu.system];
  }

  current(): {rates: number[]; spanMs: number} {
    return this.window.perSecond(this.s.clock.monotonic(), this.values());
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function upstreamStatus(u: Upstream, now: number): LbUpstreamStatus {
  const h = u.health;
  return {
    url: u.url,
    node_id: u.identity?.nodeId ?? null,
    state: h.state,
    in_flight: u.inFlight,
    open_streams: u.openStreams,
    requests: u.requests,
    failures: u.failures,
    retried_away: u.retriedAway,
    ejections: h.ejections,
    responses: {...u.responses},
    latency_ms: u.latency.percentiles(),
    last_check_ok: h.lastCheckOk,
    last_check_ms_ago: h.lastCheckAt === null ? null : Math.round(now - h.lastCheckAt),
    last_error: h.lastError,
  };
}

function brokerEntry(u: Upstream, now: number): BrokerEntry {
  return {
    id: u.identity?.nodeId ?? 0,
    url: u.url,
    status: u.eligible ? 'active' : 'unreachable',
    role: u.identity?.metadataLeader ? 'leader' : 'follower',
    version: u.identity?.version ?? VERSION,
    last_seen_ms_ago: u.health.lastOkAt === null ? null : Math.round(now - u.health.lastOkAt),
  };
}

/**
 * The lb's /status, in the brokers' model (status-model.ts) so that `mq status` and `mq top` show it next to them:
 * node.role is 'lb', `cluster.brokers` are its upstreams as it sees them, there are no topics, groups or storage, the
 * totals count produce messages and body bytes passing through, and `lb` has the details per upstream.
 */
export function buildLbStatus(s: LbStatusSources, rates: LbRates): StatusModel {
  const now = s.clock.monotonic();
  const wall = s.clock.now();
  const st = s.stats;
  const list = s.upstreams.list;
  const up = list.filter((u) => u.eligible).length;
  const r = rates.current();
  const [msgIn = 0, bytesIn = 0, bytesOut = 0, cpuUs = 0] = r.rates;
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  const loop = s.loopDelay.snapshot();
  const c = s.config;
  const d = s.discovery;
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    schema: STATUS_SCHEMA_VERSION,
    time: wall,
    node: {
      id: 0,
      role: 'lb',
      version: VERSION,
      format_version: FORMAT_VERSION,
      url: s.url(),
      addresses: {client: s.url(), peer: null},
      hostname: os.hostname(),
      started_at: s.startedAt,
      uptime_ms: wall - s.startedAt,
      state: s.draining() ? 'stopping' : 'serving',
    },
    cluster: {
      mode: list.length > 1 ? 'raft' : 'single',
      status: up === 0 ? 'unavailable' : up < list.length ? 'degraded' : 'healthy',
      version: VERSION,
      metadata_leader: list.find((u) => u.identity?.metadataLeader)?.identity?.nodeId ?? null,
      brokers: list.map((u) => brokerEntry(u, now)),
      partitions: {total: 0, leaderless: 0, under_replicated: 0},
    },
    topics: [],
    totals: {
      messages_in_per_s: msgIn,
      bytes_in_per_s: bytesIn,
      messages_out_per_s: 0,
      bytes_out_per_s: bytesOut,
      window_ms: Math.round(r.spanMs),
      messages_in: st.messagesIn,
      bytes_in: st.bytesIn,
      messages_out: 0,
      bytes_out: st.bytesOut,
    },
    storage: {kind: 'none', journal_mode: 'none', synchronous: 'none', fsyncs: 0, wal_bytes: 0, db_bytes: 0, group_commit: {flushes: 0, ops: 0, max_ops_per_flush: 0, pending: 0}},
    connections: {open: st.connections, inflight_requests: st.inFlight, status_streams: 0},
    streams: {open: s.openStreams(), events: 0, queued_bytes_max: st.streamQueuedBytesMax},
    groups: [],
    process: {
      pid: process.pid,
      rss_bytes: mem.rss,
      heap_used_bytes: mem.heapUsed,
      heap_total_bytes: mem.heapTotal,
      cpu_user_us: cpu.user,
      cpu_system_us: cpu.system,
      cpu_percent: Math.round((cpuUs / 1e6) * 1000) / 10,
      event_loop_delay_p50_ms: round(loop.p50Ms),
      event_loop_delay_p99_ms: round(loop.p99Ms),
      event_loop_delay_max_ms: round(loop.maxMs),
    },
    lb: {
      strategy: c.strategy,
      discovery: d ? {sources: [...c.discover], cluster_id: d.clusterId, last_ok_ms_ago: d.lastOkAt === null ? null : wall - d.lastOkAt, last_error: d.lastError} : null,
      health: {interval_ms: c.healthIntervalMs, timeout_ms: c.healthTimeoutMs, rise: c.healthRise, fall: c.healthFall, max_fails: c.maxFails, fail_timeout_ms: c.failTimeoutMs},
      requests: st.requests,
      in_flight: st.inFlight,
      retries: st.retries,
      errors: st.errors,
      no_upstream: st.noUpstream,
      responses: {...st.responses},
      last_error: st.lastError,
      upstreams: list.map((u) => upstreamStatus(u, now)),
    },
  };
}
