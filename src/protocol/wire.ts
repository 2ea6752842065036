/**
 * The JSON shapes of HTTP API v1 (docs/api.md), shared by the server, the client, the lb and the CLI. snake_case on
 * the wire; the client library exposes the same data.
 */
import type {ErrorBody} from '../errors.js';

export interface WireMessage {
  offset: number;
  timestamp: number;
  key: string | null;
  id: string | null;
  producer: string | null;
  priority: number;
  headers: Record<string, string> | null;
  /** Present when the message was produced with a delay: work queues do not deliver it before this time (ms). */
  not_before?: number;
  /** The value exactly as produced, for JSON values. */
  value?: unknown;
  /** Binary values, base64. */
  value_base64?: string;
}

export interface WireFetchResponse {
  topic: string;
  partition: number;
  messages: WireMessage[];
  next_offset: number;
  high_watermark: number;
  log_start_offset: number;
}

export interface WireProduceOk {
  partition: number;
  offset: number;
  duplicate: boolean;
  term: number;
  leader: number;
}

export interface WireProduceFailed {
  partition?: number;
  error: ErrorBody['error'];
}

export type WireProduceResult = WireProduceOk | WireProduceFailed;

export interface WireProduceResponse {
  results: WireProduceResult[];
  errors: number;
}

export interface WireAccepted {
  accepted: number;
}

export interface WireRetention {
  max_messages: number | null;
  max_bytes: number | null;
  max_age_ms: number | null;
  /** Keep each message until every queue group has acked it; max_messages/max_bytes become a capacity. */
  until_acked: boolean;
}

export interface WireTopic {
  name: string;
  partitions: number;
  replication_factor: number;
  retention: WireRetention;
  dedup_window_ms: number;
  created_at: number;
  /** Partition numbers keys hash over, in order. */
  base_partitions: number[];
  /** Elastic partitions (absent: the topic does not autoscale). */
  autoscale?: WireAutoscale;
  /** Partitions the autoscaler added (never base partitions), and those being drained before their removal. */
  autoscaled_partitions?: number[];
  draining_partitions?: number[];
  /** The autoscaler's recent changes, newest last. */
  autoscale_events?: WireAutoscaleEvent[];
}

export interface WireAutoscale {
  max_partitions: number;
  high_water: number;
  max_load: number;
  idle_after_ms: number;
  check_interval_ms: number;
  partition_budget: {memory_bytes: number; cpu: number};
}

export interface WireAutoscaleEvent {
  at: number;
  kind: 'added' | 'draining' | 'removed';
  partition: number;
  reason: string;
}

export type WireAutoscaleSpec = Partial<Omit<WireAutoscale, 'partition_budget'>> & {partition_budget?: Partial<WireAutoscale['partition_budget']>};

export interface WirePartition {
  partition: number;
  log_start_offset: number;
  high_watermark: number;
  messages: number;
  bytes: number;
  leader: number;
  term: number;
}

export interface WireTopicDescription extends WireTopic {
  partition_details: WirePartition[];
  messages: number;
  bytes: number;
}

export interface WireTopicCreate {
  name: string;
  partitions?: number;
  replication_factor?: number;
  retention?: Partial<WireRetention>;
  dedup_window_ms?: number;
  autoscale?: WireAutoscaleSpec;
}

export interface WireTopicPatch {
  partitions?: number;
  retention?: Partial<WireRetention>;
  dedup_window_ms?: number;
  /** null turns autoscaling off (the partitions it added drain and go as they become idle). */
  autoscale?: WireAutoscaleSpec | null;
}

export function isProduceFailure(r: WireProduceResult): r is WireProduceFailed {
  return 'error' in r;
}

export interface WireTopicPartition {
  topic: string;
  partition: number;
}

export interface WireGroup {
  name: string;
  mode: 'stream' | 'queue';
  topics: string[];
  from: 'earliest' | 'latest';
  session_timeout_ms: number;
  created_at: number;
}

export interface WireGroupCreate {
  name: string;
  topics: string[];
  mode?: 'stream' | 'queue';
  from?: 'earliest' | 'latest';
  session_timeout_ms?: number;
  /** Queue groups: lease length, deliveries before a dead letter, and where dead letters go (default <topic>.dlq). */
  lease_ms?: number;
  max_deliveries?: number;
  dead_letter_topic?: string | null;
}

export interface WireGroupDescription extends WireGroup {
  generation: number;
  members: Array<{member_id: string; client_id: string | null; assignment: WireTopicPartition[]; last_seen_ms_ago: number}>;
  partitions: Array<WireTopicPartition & {committed: number | null; log_start_offset: number; high_watermark: number; lag: number; owner: string | null}>;
  lag: number;
}

/** `GET /v1/groups/{g}` of a queue group: per partition where it stands, with the totals. */
export interface WireQueueGroupDescription extends WireGroup {
  partitions: Array<
    WireTopicPartition & {
      /** Everything below is acked or dead-lettered. */
      acked_below: number;
      high_watermark: number;
      /** Not acked yet, leased ones included. */
      backlog: number;
      in_flight: number;
      waiting_redelivery: number;
      /** Dead-lettered, with the copy not yet written to the dead-letter topic. */
      dead_letter_pending: number;
      dead_lettered_since_start: number;
    }
  >;
  backlog: number;
  in_flight: number;
}

export interface WireJoin {
  member_id: string;
  generation: number;
  assignment: WireTopicPartition[];
  session_timeout_ms: number;
  heartbeat_interval_ms: number;
}

export interface WirePlacedMessage extends WireMessage {
  topic: string;
  partition: number;
}

export interface WireGroupFetch {
  generation: number;
  assignment: WireTopicPartition[];
  messages: WirePlacedMessage[];
}

export interface WireOffsets {
  offsets: Array<WireTopicPartition & {offset: number}>;
}

export interface WireDelivery extends WirePlacedMessage {
  lease_id: string;
  delivery_count: number;
  lease_expires_at: number;
}

export type WireConfirm = {lease_id: string; status: 'acked' | 'extended' | 'requeued' | 'already_done'} | {lease_id: string; error: ErrorBody['error']};

export interface WireReceipt {
  producer: string;
  id: string | null;
  topic: string;
  partition: number;
  offset: number;
  group: string;
  consumer: string | null;
  state: 'in_progress' | 'processed' | 'dead_lettered';
  time: number;
  deliveries: number;
  error?: string;
  /** Position of this receipt in the producer's receipt log. */
  cursor: number;
}

export interface WireProcessedResult extends WireProduceOk {
  state: 'processed' | 'dead_lettered' | 'pending';
  groups: Record<string, 'processed' | 'dead_lettered' | 'pending'>;
}
