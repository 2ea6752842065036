/**
 * The `/status` JSON model (docs/api.md, "GET /status"), as types with no runtime dependencies, so that `mq status`,
 * `mq top`, the web page and (later) the lb share one definition without importing the broker.
 *
 * Versioning: `schema` changes only when a field is removed or changes meaning; new fields are added to schema 1.
 * Every field of the first schema-1 release is still here with its meaning unchanged.
 */

export const STATUS_SCHEMA_VERSION = 1;

/** Who produced the snapshot: a broker, or (later) the lb, which reports its backends instead of partitions. */
export type NodeRole = 'broker' | 'lb';

export interface Rates {
  messages_in_per_s: number;
  bytes_in_per_s: number;
  messages_out_per_s: number;
  bytes_out_per_s: number;
  /** The window the rates were measured over, in ms (shorter right after start). */
  window_ms: number;
}

export interface PartitionStatus {
  partition: number;
  role: 'leader' | 'follower';
  /** Node id of the leader; null while none is known (an election). */
  leader: number | null;
  term: number;
  replicas: number[];
  in_sync: number[];
  log_start_offset: number;
  high_watermark: number;
  commit_index: number;
  last_applied: number;
  messages: number;
  bytes: number;
  /** Counters since this broker started. */
  messages_in: number;
  bytes_in: number;
  messages_out: number;
  bytes_out: number;
  duplicates: number;
  retention_deleted: number;
  dedup_entries: number;
  dedup_evictions: number;
  waiting_fetches: number;
  rates: Rates;
}

export interface TopicStatus {
  name: string;
  /** Internal topics (`__groups`, `__receipts`) hold the broker's own state. */
  internal: boolean;
  partitions: PartitionStatus[];
  messages: number;
  bytes: number;
  retention: unknown;
  rates: Rates;
}

export interface GroupPartitionStatus {
  topic: string;
  partition: number;
  /** Stream groups: messages after the committed offset. Queue groups: messages not yet acked (the backlog). */
  lag: number;
  /** Stream groups: the committed offset (null if never). Queue groups: everything below it is done. */
  committed: number | null;
  high_watermark: number;
  in_flight: number;
  /** Stream groups: the member that owns the partition. */
  owner: string | null;
}

export interface GroupStatus {
  name: string;
  mode: 'stream' | 'queue';
  topics: string[];
  generation: number;
  members: number;
  lag: number;
  /** Queue groups: messages leased and not yet acked (0 for stream groups). */
  in_flight: number;
  /** Queue groups: messages waiting to be delivered again after a nack or an expired lease. */
  waiting_redelivery: number;
  /** Queue groups: messages that ran out of deliveries since this broker started, plus those about to move. */
  dead_lettered: number;
  partitions: GroupPartitionStatus[];
}

export interface BrokerEntry {
  id: number;
  url: string;
  /** `active`: serving; `stopping`: a graceful stop; `unreachable`: not heard from (seen by a peer or the lb). */
  status: 'active' | 'stopping' | 'unreachable';
  role: 'leader' | 'follower' | 'single';
  version: string;
  /** null for the broker that wrote the snapshot. */
  last_seen_ms_ago: number | null;
}

export interface StatusModel {
  schema: number;
  /** Wall-clock time of the snapshot (epoch ms). */
  time: number;
  node: {
    id: number;
    role: NodeRole;
    version: string;
    format_version: number;
    url: string;
    addresses: {client: string; peer: string | null};
    hostname: string;
    started_at: number;
    uptime_ms: number;
    state: 'serving' | 'stopping';
  };
  cluster: {
    mode: 'single' | 'raft';
    /** healthy: every broker active and every partition led and fully in sync; degraded: serving with a fault; unavailable: some partition has no leader. */
    status: 'healthy' | 'degraded' | 'unavailable';
    /** The lowest mq version among the brokers: what the cluster as a whole speaks. */
    version: string;
    metadata_leader: number | null;
    brokers: BrokerEntry[];
    partitions: {total: number; leaderless: number; under_replicated: number};
  };
  topics: TopicStatus[];
  /** The sum over every topic, internal ones included. */
  totals: Rates & {messages_in: number; bytes_in: number; messages_out: number; bytes_out: number};
  storage: {
    kind: string;
    journal_mode: string;
    synchronous: string;
    fsyncs: number;
    wal_bytes: number;
    db_bytes: number;
    group_commit: {flushes: number; ops: number; max_ops_per_flush: number; pending: number};
  };
  connections: {open: number; inflight_requests: number; status_streams: number};
  streams: {open: number; events: number; queued_bytes_max: number};
  groups: GroupStatus[];
  process: {
    pid: number;
    rss_bytes: number;
    heap_used_bytes: number;
    heap_total_bytes: number;
    cpu_user_us: number;
    cpu_system_us: number;
    /** Share of one core used by the process over the rate window (100 = one core busy). */
    cpu_percent: number;
    event_loop_delay_p50_ms: number;
    event_loop_delay_p99_ms: number;
    event_loop_delay_max_ms: number;
  };
}

export const ZERO_RATES: Rates = Object.freeze({messages_in_per_s: 0, bytes_in_per_s: 0, messages_out_per_s: 0, bytes_out_per_s: 0, window_ms: 0});
