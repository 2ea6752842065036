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
  /** Elastic partitions (only on topics that autoscale or still hold partitions the autoscaler added). */
  autoscale?: TopicAutoscaleStatus;
}

export interface TopicAutoscaleStatus {
  max_partitions: number | null;
  /** Partitions keys hash over (never added or removed by the autoscaler). */
  base: number[];
  added: number[];
  draining: number[];
  /** The latest changes, newest last: partition added / draining / removed, and why. */
  events: Array<{at: number; kind: 'added' | 'draining' | 'removed'; partition: number; reason: string}>;
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
  /**
   * Peer protocol: for another broker, the version agreed on the current connection with it (null while not connected);
   * for the broker that wrote the snapshot, the highest version it speaks (what it offers every peer: node.peer_protocol.max).
   */
  protocol?: number | null;
}

/** One broker behind an lb, as the lb sees it (`lb.upstreams` in an lb's /status). */
export interface LbUpstreamStatus {
  url: string;
  /** From the broker's /ready or the cluster view; null until known. */
  node_id: number | null;
  /** up/down: active checks (GET /ready); ejected: failed requests took it out for a while; unknown: not checked yet. */
  state: 'up' | 'down' | 'ejected' | 'unknown';
  in_flight: number;
  open_streams: number;
  requests: number;
  /** Transport failures (refused, reset, timed out). */
  failures: number;
  /** Requests that moved on to another upstream after failing here. */
  retried_away: number;
  ejections: number;
  responses: {'2xx': number; '3xx': number; '4xx': number; '5xx': number};
  /** Time to response headers over the last 1,024 requests (long-polls and streams left out). */
  latency_ms: {p50: number; p99: number; samples: number};
  last_check_ok: boolean | null;
  last_check_ms_ago: number | null;
  last_error: string | null;
}

/** What an lb reports besides the common fields (present only when node.role is 'lb'). */
export interface LbStatus {
  strategy: 'round-robin' | 'least-in-flight';
  discovery: {sources: string[]; cluster_id: string | null; last_ok_ms_ago: number | null; last_error: string | null} | null;
  health: {interval_ms: number; timeout_ms: number; rise: number; fall: number; max_fails: number; fail_timeout_ms: number};
  requests: number;
  in_flight: number;
  retries: number;
  /** Answers the lb made itself because no upstream could answer (502, 503, 504); no_upstream: none was eligible. */
  errors: number;
  no_upstream: number;
  responses: {'2xx': number; '3xx': number; '4xx': number; '5xx': number};
  last_error: {at: number; message: string} | null;
  upstreams: LbUpstreamStatus[];
}

export interface DiskStatus {
  path: string;
  free_bytes: number;
  total_bytes: number;
  /** The warning threshold (diskLowBytes) and whether free space is below it. */
  low_bytes: number;
  low: boolean;
  /** Writes are being refused (507 DISK_FULL) because the last one failed for lack of space; cleared by the next success. */
  full: boolean;
  full_since: number | null;
  refused_writes: number;
  /** Size of `<data-dir>/reserve` (diskReserveBytes): room to delete when the disk fills up. */
  reserve_bytes: number;
}

export interface RetentionStatus {
  /** Deletions that removed something, and what they removed. */
  passes: number;
  messages_deleted: number;
  bytes_deleted: number;
  /** Time spent deleting (the commit's fsync not included): in total and the longest single deletion. */
  delete_ms_total: number;
  delete_ms_max: number;
  last_at: number | null;
}

export interface SpaceStatus {
  page_bytes: number;
  pages: number;
  /** Pages freed (by retention) and not yet reused or given back. */
  free_pages: number;
  /** `incremental`: freed pages are given back to the file system in the background; `none`: a database from before that. */
  auto_vacuum: 'none' | 'full' | 'incremental';
  /** Pages given back since the broker started. */
  reclaimed_pages: number;
}

export type {AuthStatus} from '../security/auth-service.js';
import type {AuthStatus} from '../security/auth-service.js';

export interface StatusModel {
  schema: number;
  /** Wall-clock time of the snapshot (epoch ms). */
  time: number;
  node: {
    id: number;
    role: NodeRole;
    version: string;
    format_version: number;
    /** The peer protocol versions this broker speaks; connections use the highest one both ends speak. */
    peer_protocol?: {min: number; max: number};
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
    /** The data directory's file system; null in memory. */
    disk?: DiskStatus | null;
    /** What retention removed since the broker started (every partition, internal topics included). */
    retention?: RetentionStatus;
    /** How the database file uses its pages; null in memory. */
    space?: SpaceStatus | null;
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
  /** Only in an lb's snapshot (node.role 'lb'): its upstreams and request counters. */
  lb?: LbStatus;
  /** A broker's auth (docs/security.md): whether tokens are required, refusals since start, produce limits in use. */
  auth?: AuthStatus;
}

export const ZERO_RATES: Rates = Object.freeze({messages_in_per_s: 0, bytes_in_per_s: 0, messages_out_per_s: 0, bytes_out_per_s: 0, window_ms: 0});
