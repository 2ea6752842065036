import type {Dispatcher} from 'undici';
import {MqError} from '../errors.js';
import type {WireMessage} from '../protocol/wire.js';
import {ValueType, type StoredMessage} from '../storage/index.js';
import type {Broker} from './broker.js';

/** One page of a partition: its messages from an offset, and the partition's bounds when it was read. */
export interface PartitionPage {
  messages: StoredMessage[];
  highWatermark: number;
  logStart: number;
}

export interface ReadOptions {
  maxMessages: number;
  maxBytes: number;
  /** Long-poll: wait up to this long for a message at `offset`. */
  waitMs: number;
  signal?: AbortSignal;
}

/** A fetched message with `value_encoding=base64` (docs/api.md). */
interface WireRawMessage extends Omit<WireMessage, 'value' | 'value_base64' | 'not_before'> {
  not_before: number;
  crc: number;
  value_type: 'json' | 'binary';
  value_base64: string;
}

/**
 * Reads a partition this broker holds no replica of (with more brokers than the replication factor, a stream or a
 * stream group's coordinator may be anywhere): asks a replica over HTTP, which serves its committed prefix or
 * forwards to the leader. Values travel as base64 with their type, so the messages are the exact stored ones.
 */
export async function readRemote(broker: Broker, topic: string, partition: number, offset: number | undefined, o: ReadOptions): Promise<PartitionPage> {
  const record = broker.topics.mustGet(topic).record.partitions.find((p) => p.number === partition);
  if (!record) throw new MqError('PARTITION_NOT_FOUND', `topic ${topic} has no partition ${partition}`, {topic, partition});
  const url = record.replicas.map((id) => broker.cluster.urlOf(id)).find((u) => u !== null && u !== undefined);
  if (!url) throw new MqError('UNAVAILABLE', `no replica of ${topic}/${partition} is reachable`, {topic, partition}, false);
  const q = new URLSearchParams({max_messages: String(o.maxMessages), max_bytes: String(o.maxBytes), wait_ms: String(o.waitMs), value_encoding: 'base64'});
  if (offset !== undefined) q.set('offset', String(offset));
  const path = `/v1/topics/${encodeURIComponent(topic)}/partitions/${partition}/messages?${q}`;
  const req: Dispatcher.RequestOptions = {
    method: 'GET',
    path,
    // one hop used: the replica may forward once more, to the leader; signed, as this broker reads on its own behalf
    headers: {'x-mq-hops': '1', 'x-mq-forwarded-by': String(broker.nodeId), ...broker.membership.peerAuthHeaders('GET', path)},
    headersTimeout: o.waitMs + broker.config.requestTimeoutMs,
    bodyTimeout: broker.config.requestTimeoutMs,
    signal: o.signal,
  };
  const res = await broker.peerHttp.pool(url).request(req);
  const text = await res.body.text();
  const body = JSON.parse(text || '{}') as {messages?: WireRawMessage[]; high_watermark?: number; log_start_offset?: number};
  if (res.statusCode >= 400) throw MqError.fromBody(res.statusCode, body);
  return {
    messages: (body.messages ?? []).map(toStored),
    highWatermark: body.high_watermark ?? 0,
    logStart: body.log_start_offset ?? 0,
  };
}

function toStored(m: WireRawMessage): StoredMessage {
  return {
    offset: m.offset,
    timestamp: m.timestamp,
    key: m.key,
    id: m.id,
    producer: m.producer,
    priority: m.priority,
    headers: m.headers === null ? null : JSON.stringify(m.headers),
    notBefore: m.not_before,
    crc: m.crc,
    valueType: m.value_type === 'json' ? ValueType.Json : ValueType.Binary,
    value: Buffer.from(m.value_base64, 'base64'),
  };
}

/**
 * Follows a partition held elsewhere for a stream: one long-poll at a time, its page kept until taken. `changed` runs
 * when a poll ends (`arrived`: with messages or a gap; else the wait ran out or it failed), so the loop looks again.
 */
export class RemoteTail {
  private page: PartitionPage | undefined;
  private pending = false;
  private retryAt = 0;
  /** Set when the partition's log start passed the position asked for (retention): where to continue. */
  gapTo: number | undefined;

  constructor(
    private readonly broker: Broker,
    readonly topic: string,
    readonly partition: number,
    private readonly changed: (arrived: boolean) => void,
  ) {}

  /** What has arrived from `from` on (and starts the next long-poll when nothing waits to be taken). */
  take(from: number, o: ReadOptions & {signal: AbortSignal}): StoredMessage[] {
    const page = this.page;
    if (page && page.messages.length > 0 && page.messages[0]!.offset === from) {
      this.page = undefined;
      return page.messages;
    }
    this.page = undefined;
    if (!this.pending && Date.now() >= this.retryAt && !o.signal.aborted) this.poll(from, o);
    return [];
  }

  private poll(from: number, o: ReadOptions & {signal: AbortSignal}): void {
    this.pending = true;
    readRemote(this.broker, this.topic, this.partition, from, o)
      .then((page) => (this.page = page))
      .catch((error: unknown) => {
        const e = error as MqError;
        const logStart = e.code === 'OFFSET_OUT_OF_RANGE' ? Number(e.details?.log_start) : Number.NaN;
        if (Number.isSafeInteger(logStart) && logStart > from) this.gapTo = logStart;
        else if (!o.signal.aborted) {
          this.retryAt = Date.now() + 500;
          this.broker.logger.debug({err: error, topic: this.topic, partition: this.partition}, 'remote partition read failed; retrying');
          setTimeout(() => this.changed(false), 500).unref();
        }
      })
      .finally(() => {
        this.pending = false;
        this.changed((this.page?.messages.length ?? 0) > 0 || this.gapTo !== undefined);
      });
  }
}
