import type {Broker} from '../broker/broker.js';
import {authFor} from '../security/auth-service.js';
import type {PartitionLog} from '../broker/partition.js';
import type {BrokerObserver} from './observer.js';
import {upkeepFor, type StorageUpkeep} from '../ops/upkeep.js';
import {VERSION} from '../version.js';
import {groupsStatus} from './status-groups.js';
import type {StatusExtras} from './status.js';

/** Request duration buckets in seconds: sub-millisecond reads up to long-polls (wait_ms is at most 30 s). */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface BrokerMetrics {
  contentType: string;
  /** Called by the onResponse hook for every request. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
  /** The Prometheus text exposition; gauges and counters are read from the broker now. */
  scrape(): Promise<string>;
}

function partitions(broker: Broker): PartitionLog[] {
  return broker.topics.list().flatMap((t) => [...t.partitions.values()]);
}

/** Per-topic sums of a partition counter (the broker counts per partition since start). */
function byTopic(broker: Broker, f: (log: PartitionLog) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const log of partitions(broker)) out.set(log.topic, (out.get(log.topic) ?? 0) + f(log));
  return out;
}

/**
 * The /metrics registry of one broker (docs/api.md lists every metric). prom-client is imported here, on first use
 * (the server awaits it in onReady), so that no CLI command and no library user pays for loading it. Each broker has
 * its own registry: tests run several brokers in one process. Everything but the request histogram is read from the
 * broker when scraped, so nothing is counted twice and nothing goes stale.
 */
export async function createMetrics(broker: Broker, observer: BrokerObserver, extras: () => StatusExtras): Promise<BrokerMetrics> {
  // prom-client is CommonJS: its module.exports is the default export both in Node and in the single executable's
  // bundle (where a dynamically imported CommonJS chunk has no named exports)
  const prom = (await import('prom-client')).default;
  const registers = [new prom.Registry()];
  const registry = registers[0]!;

  const topicCounter = (name: string, help: string, f: (log: PartitionLog) => number): void => {
    new prom.Counter({
      name,
      help,
      labelNames: ['topic'],
      registers,
      collect() {
        this.reset();
        for (const [topic, v] of byTopic(broker, f)) this.inc({topic}, v);
      },
    });
  };
  topicCounter('mq_messages_in_total', 'Messages appended, per topic, since the broker started.', (l) => l.counters.messagesIn);
  topicCounter('mq_bytes_in_total', 'Value bytes appended, per topic, since the broker started.', (l) => l.counters.bytesIn);
  topicCounter('mq_messages_out_total', 'Messages read by fetches, streams and groups, per topic, since the broker started.', (l) => l.counters.messagesOut);
  topicCounter('mq_bytes_out_total', 'Value bytes read, per topic, since the broker started.', (l) => l.counters.bytesOut);
  topicCounter('mq_duplicates_total', 'Produced messages answered as duplicates (not written again), per topic.', (l) => l.counters.duplicates);

  const partitionGauge = (name: string, help: string, f: (log: PartitionLog) => number): void => {
    new prom.Gauge({
      name,
      help,
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const log of partitions(broker)) this.set({topic: log.topic, partition: String(log.number)}, f(log));
      },
    });
  };
  partitionGauge('mq_partition_high_watermark', 'Next offset to be written (committed messages are below it).', (l) => l.highWatermark);
  partitionGauge('mq_partition_log_start_offset', 'First offset still stored (retention deletes below it).', (l) => l.logStart);
  partitionGauge('mq_partition_messages', 'Messages stored in the partition.', (l) => l.highWatermark - l.logStart);
  partitionGauge('mq_partition_bytes', 'Value bytes stored in the partition.', (l) => l.bytes);
  partitionGauge('mq_raft_term', 'Replication term of the partition (as term in /status).', (l) => broker.partitionView(l).term);
  partitionGauge('mq_raft_commit_index', 'Replication log index committed for the partition (on a single node, the last index).', (l) => broker.partitionView(l).lastIndex);

  const groupGauge = (name: string, help: string, f: (p: {lag: number; in_flight: number}) => number): void => {
    new prom.Gauge({
      name,
      help,
      labelNames: ['group', 'topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const g of groupsStatus(broker)) for (const p of g.partitions) this.set({group: g.name, topic: p.topic, partition: String(p.partition)}, f(p));
      },
    });
  };
  groupGauge('mq_consumer_lag_messages', 'Messages a group has not consumed yet (stream: after its committed offset; queue: not yet acked).', (p) => p.lag);
  groupGauge('mq_consumer_in_flight_messages', 'Queue groups: messages leased to a consumer and not yet acked.', (p) => p.in_flight);
  new prom.Gauge({
    name: 'mq_group_dead_lettered_messages',
    help: 'Queue groups: messages that ran out of deliveries since the broker started.',
    labelNames: ['group'],
    registers,
    collect() {
      this.reset();
      for (const g of groupsStatus(broker)) if (g.mode === 'queue') this.set({group: g.name}, g.dead_lettered);
    },
  });

  const value = (name: string, help: string, kind: 'counter' | 'gauge', f: () => number): void => {
    if (kind === 'counter') {
      new prom.Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(f());
        },
      });
    } else {
      new prom.Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(f());
        },
      });
    }
  };
  const auth = authFor(broker);
  value('mq_rate_limited_total', 'Produce requests refused 429 RATE_LIMITED (token or anonymous limits) since the broker started.', 'counter', () => auth.limiter.rejected);
  value('mq_unauthorized_total', 'Requests refused 401 (no, unknown, revoked or expired token) since the broker started.', 'counter', () => auth.counts.unauthorized);
  value('mq_forbidden_total', 'Requests refused 403 (the token lacks the grant) since the broker started.', 'counter', () => auth.counts.forbidden);
  value('mq_leader_changes_total', 'Times a partition on this broker changed leader or term since it started.', 'counter', () => observer.leaderChanges);
  value('mq_fsyncs_total', 'Durable commits of the storage (each is one fsync of the WAL).', 'counter', () => broker.store.stats().commits);
  value('mq_group_commit_flushes_total', 'Group commits (transactions) since the broker started.', 'counter', () => broker.commitStats().flushes);
  value('mq_wal_bytes', 'Size of the SQLite write-ahead log file.', 'gauge', () => broker.store.stats().walBytes);
  value('mq_db_bytes', 'Size of the SQLite database file.', 'gauge', () => broker.store.stats().dbBytes);
  value('mq_db_free_bytes', 'Space inside the database file freed by retention and not yet reused or given back to the file system.', 'gauge', () => {
    const s = broker.store.stats().space;
    return s ? s.freePages * s.pageBytes : 0;
  });
  value('mq_retention_deleted_messages_total', 'Messages deleted by retention since the broker started.', 'counter', () => broker.store.stats().retention.messages);
  value('mq_retention_deleted_bytes_total', 'Value bytes deleted by retention since the broker started.', 'counter', () => broker.store.stats().retention.bytes);
  value('mq_retention_delete_seconds_total', 'Time spent in retention deletes (fsync not included) since the broker started.', 'counter', () => broker.store.stats().retention.ms / 1000);
  const disk = (f: (d: NonNullable<ReturnType<StorageUpkeep['disk']>>) => number) => (): number => {
    const d = upkeepFor(broker).disk();
    return d ? f(d) : 0;
  };
  value('mq_disk_free_bytes', 'Free space on the file system of the data directory (0 in memory).', 'gauge', disk((d) => d.free_bytes));
  value('mq_disk_total_bytes', 'Size of the file system of the data directory (0 in memory).', 'gauge', disk((d) => d.total_bytes));
  value('mq_disk_low_threshold_bytes', 'diskLowBytes: free space below which the broker warns.', 'gauge', () => broker.config.diskLowBytes);
  value('mq_disk_full', '1 while writes are refused because the disk is full (507 DISK_FULL), else 0.', 'gauge', () => (broker.host.diskFull ? 1 : 0));
  value('mq_disk_full_refused_writes_total', 'Writes refused with DISK_FULL since the broker started.', 'counter', () => broker.host.diskFullRefusals);
  value('mq_connections_open', 'Open client TCP connections.', 'gauge', () => extras().connections);
  value('mq_inflight_requests', 'HTTP requests being handled (long-polls included).', 'gauge', () => extras().inflightRequests);
  value('mq_streams_open', 'Open SSE message streams (GET /v1/topics/{t}/stream).', 'gauge', () => broker.streams.open);
  value('mq_status_streams_open', 'Open SSE status streams (GET /status/stream).', 'gauge', () => observer.statusStreams.size);
  value('mq_event_loop_delay_p99_seconds', 'Event-loop delay, 99th percentile over the last 10-20 s.', 'gauge', () => broker.loopDelay.snapshot().p99Ms / 1000);
  value('mq_event_loop_delay_max_seconds', 'Event-loop delay, maximum over the last 10-20 s.', 'gauge', () => broker.loopDelay.snapshot().maxMs / 1000);
  value('process_cpu_seconds_total', 'User and system CPU time of the broker process.', 'counter', () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  });
  value('process_resident_memory_bytes', 'Resident set size of the broker process.', 'gauge', () => process.memoryUsage().rss);
  value('nodejs_heap_size_used_bytes', 'V8 heap in use.', 'gauge', () => process.memoryUsage().heapUsed);
  value('process_start_time_seconds', 'When the broker started (Unix time).', 'gauge', () => broker.startedAt / 1000);
  new prom.Gauge({
    name: 'mq_node_info',
    help: 'Always 1; the labels say which node this is.',
    labelNames: ['node_id', 'version', 'role'],
    registers,
    collect() {
      this.reset();
      this.set({node_id: String(broker.nodeId), version: VERSION, role: 'broker'}, 1);
    },
  });

  const duration = new prom.Histogram({
    name: 'mq_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status (produce: POST /v1/topics/:topic/messages; fetch: GET /v1/topics/:topic/partitions/:partition/messages, long-poll wait included).',
    labelNames: ['method', 'route', 'status_code'],
    buckets: DURATION_BUCKETS,
    registers,
  });

  return {
    contentType: registry.contentType,
    observeRequest: (method, route, statusCode, seconds) => duration.observe({method, route, status_code: String(statusCode)}, seconds),
    scrape: () => registry.metrics(),
  };
}
