import type {FetchResult, PartitionView, ProduceItem} from '../broker/broker.js';
import {autoscaleToWire} from '../broker/autoscale-config.js';
import type {TopicRecord} from '../broker/topic-config.js';
import {ValueType, type StoredMessage} from '../storage/types.js';
import type {WireProduceResult, WireTopic, WireTopicDescription} from '../protocol/wire.js';

const str = (s: string | null): string => (s === null ? 'null' : JSON.stringify(s));

/**
 * One message as JSON text: the value is spliced in as the exact bytes produced, never re-serialised. `prefix` adds
 * fields in front (topic and partition for group fetches and streams).
 */
export function messageJson(m: StoredMessage, prefix = ''): string {
  const value = m.valueType === ValueType.Json ? `"value":${m.value.toString('utf8')}` : `"value_base64":"${m.value.toString('base64')}"`;
  const nb = m.notBefore > 0 ? `"not_before":${m.notBefore},` : '';
  return `{${prefix}"offset":${m.offset},"timestamp":${m.timestamp},"key":${str(m.key)},"id":${str(m.id)},"producer":${str(m.producer)},"priority":${m.priority},"headers":${m.headers ?? 'null'},${nb}${value}}`;
}

export function placedMessageJson(m: StoredMessage, topic: string, partition: number): string {
  return messageJson(m, `"topic":${JSON.stringify(topic)},"partition":${partition},`);
}

/**
 * With `value_encoding=base64`: every value as base64 with its type, so that a reader can rebuild the exact stored
 * message (a broker reading a partition it does not hold, for a stream or a group).
 */
export function messageJsonBase64(m: StoredMessage): string {
  const type = m.valueType === ValueType.Json ? 'json' : 'binary';
  return `{"offset":${m.offset},"timestamp":${m.timestamp},"key":${str(m.key)},"id":${str(m.id)},"producer":${str(m.producer)},"priority":${m.priority},"headers":${m.headers ?? 'null'},"not_before":${m.notBefore},"crc":${m.crc},"value_type":"${type}","value_base64":"${m.value.toString('base64')}"}`;
}

export function fetchJson(r: FetchResult, opts: {base64?: boolean} = {}): string {
  const msgs = r.messages.map((m) => (opts.base64 ? messageJsonBase64(m) : messageJson(m))).join(',');
  return `{"topic":${JSON.stringify(r.topic)},"partition":${r.partition},"messages":[${msgs}],"next_offset":${r.nextOffset},"high_watermark":${r.highWatermark},"log_start_offset":${r.logStart}}`;
}

export function produceResult(item: ProduceItem): WireProduceResult {
  if ('error' in item) return {partition: item.partition, error: item.error.toBody().error};
  return {partition: item.partition, offset: item.offset, duplicate: item.duplicate, term: item.term, leader: item.leader};
}

export function wireTopic(r: TopicRecord): WireTopic {
  return {
    name: r.name,
    partitions: r.partitions.length,
    replication_factor: r.config.replicationFactor,
    retention: {max_messages: r.config.retention.maxMessages, max_bytes: r.config.retention.maxBytes, max_age_ms: r.config.retention.maxAgeMs, until_acked: r.config.retention.untilAcked ?? false},
    dedup_window_ms: r.config.dedupWindowMs,
    created_at: r.createdAt,
    base_partitions: r.base,
    ...wireAutoscale(r),
  };
}

export function wireTopicDescription(r: TopicRecord, parts: PartitionView[]): WireTopicDescription {
  return {
    ...wireTopic(r),
    messages: parts.reduce((n, p) => n + p.messages, 0),
    bytes: parts.reduce((n, p) => n + p.bytes, 0),
    partition_details: parts.map((p) => ({
      partition: p.partition,
      log_start_offset: p.logStart,
      high_watermark: p.highWatermark,
      messages: p.messages,
      bytes: p.bytes,
      leader: p.leader,
      term: p.term,
    })),
  };
}

/** Autoscale fields appear only on topics that autoscale (or still hold partitions the autoscaler added). */
function wireAutoscale(r: TopicRecord): Partial<WireTopic> {
  const added = r.partitions.filter((p) => p.autoscaled);
  if (!r.config.autoscale && added.length === 0) return {};
  return {
    ...(r.config.autoscale ? {autoscale: autoscaleToWire(r.config.autoscale)} : {}),
    autoscaled_partitions: added.map((p) => p.number),
    draining_partitions: added.filter((p) => p.draining).map((p) => p.number),
    autoscale_events: r.autoscaleEvents ?? [],
  };
}
