import {MqError} from '../errors.js';
import {partitionForKey} from '../protocol/murmur2.js';
import {isProduceFailure, type WireProduceOk, type WireTopic} from '../protocol/wire.js';
import {uuid7} from '../util/uuid7.js';
import {MqClient, type Acks, type ClientOptions, type MessageInput} from './client.js';

export interface ProducerOptions extends ClientOptions {
  /** Wait up to this long for more messages before sending a batch (Kafka's linger.ms). */
  lingerMs?: number;
  /** Send a batch once it holds this many messages... */
  batchMessages?: number;
  /** ...or this many value bytes. */
  batchBytes?: number;
  /** send() waits while this many messages are buffered or in flight (backpressure). */
  bufferMessages?: number;
  acks?: Acks;
  /** Give ids to messages without one, so retries are de-duplicated by the broker (default true). */
  idempotent?: boolean;
  /** Keep retrying a batch whose outcome is unknown or retriable for this long (Kafka's delivery.timeout.ms). */
  deliveryTimeoutMs?: number;
  /** Set as `producer` on every message that has none (e.g. "P1"). */
  producerId?: string;
}

export type SendResult = WireProduceOk;

interface Pending {
  message: MessageInput;
  bytes: number;
  resolve: (r: SendResult) => void;
  reject: (e: unknown) => void;
}

interface Lane {
  topic: string;
  partition: number | undefined;
  queue: Pending[];
  bytes: number;
  timer: NodeJS.Timeout | undefined;
  sending: boolean;
}

const METADATA_TTL_MS = 30_000;

/**
 * A batching, idempotent producer. Every message gets a time-ordered id (unless it has one), and its partition is
 * chosen before the first attempt (key hash as the broker does, else the next partition in turn), so a retry goes to
 * the same partition with the same id and the broker answers it as a duplicate instead of writing it twice. One
 * request per partition is in flight at a time, so per-partition order survives retries.
 */
export class Producer {
  readonly client: MqClient;
  private readonly o: Required<Omit<ProducerOptions, keyof ClientOptions | 'producerId'>> & {producerId?: string};
  private readonly lanes = new Map<string, Lane>();
  private readonly metadata = new Map<string, {topic: WireTopic | null; at: number}>();
  private readonly sticky = new Map<string, number>();
  private readonly intake: Array<{topic: string; pending: Pending}> = [];
  private pumping = false;
  private buffered = 0;
  private spaceWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(opts: ProducerOptions = {}) {
    this.client = new MqClient(opts);
    this.o = {
      lingerMs: opts.lingerMs ?? 5,
      batchMessages: opts.batchMessages ?? 500,
      batchBytes: opts.batchBytes ?? 1024 * 1024,
      bufferMessages: opts.bufferMessages ?? 10_000,
      acks: opts.acks ?? 'all',
      idempotent: opts.idempotent ?? true,
      deliveryTimeoutMs: opts.deliveryTimeoutMs ?? 120_000,
      producerId: opts.producerId,
    };
  }

  /**
   * Queues a message; resolves once the broker has acknowledged it (durably, with acks=all). Messages are sent in
   * the order send() was called. At most `bufferMessages` are buffered or in flight; the rest wait in line, so await
   * the returned promises (or flush()) to keep memory bounded.
   */
  send(topic: string, message: MessageInput): Promise<SendResult> {
    if (this.closed) return Promise.reject(new MqError('SHUTTING_DOWN', 'the producer is closed'));
    return new Promise<SendResult>((resolve, reject) => {
      this.intake.push({topic, pending: {message: {...message}, bytes: 0, resolve, reject}});
      void this.pump();
    });
  }

  /** Moves messages from the intake into partition lanes, in order, as buffer space allows. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.intake.length > 0) {
        if (this.buffered >= this.o.bufferMessages) {
          await new Promise<void>((r) => this.spaceWaiters.push(r));
          continue;
        }
        const {topic, pending} = this.intake[0]!;
        const m = pending.message;
        if (m.id === undefined && this.o.idempotent) m.id = uuid7();
        if (m.producer === undefined && this.o.producerId !== undefined) m.producer = this.o.producerId;
        let partition = m.partition;
        try {
          partition ??= await this.choosePartition(topic, m);
        } catch (error) {
          this.intake.shift();
          pending.reject(error);
          continue;
        }
        this.intake.shift();
        if (partition !== undefined) m.partition = partition;
        this.buffered++;
        const lane = this.lane(topic, partition);
        pending.bytes = m.valueBase64 !== undefined ? m.valueBase64.length : JSON.stringify(m.value ?? null).length;
        lane.queue.push(pending);
        lane.bytes += pending.bytes;
        if (lane.queue.length >= this.o.batchMessages || lane.bytes >= this.o.batchBytes) this.kick(lane);
        else lane.timer ??= setTimeout(() => this.kick(lane), this.o.lingerMs);
      }
    } finally {
      this.pumping = false;
      if (this.buffered === 0 && this.intake.length === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Sends everything queued now and resolves once all of it is acknowledged or failed. */
  async flush(): Promise<void> {
    for (;;) {
      for (const lane of this.lanes.values()) this.kick(lane);
      if (this.buffered === 0 && this.intake.length === 0) return;
      await new Promise<void>((r) => this.idleWaiters.push(r));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.client.close();
  }

  private async topicMeta(topic: string): Promise<WireTopic | null> {
    const cached = this.metadata.get(topic);
    if (cached && Date.now() - cached.at < METADATA_TTL_MS) return cached.topic;
    let t: WireTopic | null = null;
    try {
      t = await this.client.describeTopic(topic);
    } catch (error) {
      if (!(error instanceof MqError && error.code === 'TOPIC_NOT_FOUND')) throw error;
    }
    // a missing topic is created by the first produce; ask again soon
    this.metadata.set(topic, {topic: t, at: t ? Date.now() : Date.now() - METADATA_TTL_MS + 1000});
    return t;
  }

  /** The broker's rule, applied here so that a retry cannot land elsewhere: key hash, else round-robin over partitions. */
  private async choosePartition(topic: string, m: MessageInput): Promise<number | undefined> {
    const t = await this.topicMeta(topic);
    if (!t) return undefined;
    if (m.key !== undefined) return t.base_partitions[partitionForKey(m.key, t.base_partitions.length)];
    // sticky, as Kafka's default partitioner: unkeyed messages fill one partition's batch, and the next batch goes
    // to the next partition (kick() moves on), so they still form full batches
    const current = this.sticky.get(topic);
    if (current !== undefined && current < t.partitions) return current;
    this.sticky.set(topic, 0);
    return 0;
  }

  private lane(topic: string, partition: number | undefined): Lane {
    const key = `${topic}\u0000${partition ?? '*'}`;
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = {topic, partition, queue: [], bytes: 0, timer: undefined, sending: false}));
    return lane;
  }

  private kick(lane: Lane): void {
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = undefined;
    if (lane.sending || lane.queue.length === 0) return;
    const sticky = this.sticky.get(lane.topic);
    const count = this.metadata.get(lane.topic)?.topic?.partitions;
    if (sticky !== undefined && sticky === lane.partition && count) this.sticky.set(lane.topic, (sticky + 1) % count);
    const batch = lane.queue.splice(0, this.o.batchMessages);
    lane.bytes -= batch.reduce((n, p) => n + p.bytes, 0);
    lane.sending = true;
    void this.deliver(lane, batch).finally(() => {
      lane.sending = false;
      this.release(batch.length);
      if (lane.queue.length > 0) this.kick(lane);
    });
  }

  private release(n: number): void {
    this.buffered -= n;
    for (const w of this.spaceWaiters.splice(0)) w();
    if (this.buffered === 0 && this.intake.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** One batch, retried with the same ids and partition until it is acknowledged, fails for good, or times out. */
  private async deliver(lane: Lane, batch: Pending[]): Promise<void> {
    const deadline = Date.now() + this.o.deliveryTimeoutMs;
    let backoff = 50;
    for (;;) {
      try {
        const results = await this.client.produce(lane.topic, batch.map((p) => p.message), {acks: this.o.acks});
        batch.forEach((p, i) => {
          const r = results[i];
          if (r === undefined) p.resolve({partition: lane.partition ?? -1, offset: -1, duplicate: false, term: 0, leader: 0});
          else if (isProduceFailure(r)) p.reject(MqError.fromBody(409, {error: r.error}));
          else p.resolve(r);
        });
        return;
      } catch (error) {
        const e = error instanceof MqError ? error : new MqError('UNAVAILABLE', String(error), undefined, 'unknown');
        const again = e.retriable || e.written === 'unknown';
        if (!again || Date.now() + backoff > deadline) {
          for (const p of batch) p.reject(e);
          return;
        }
        if (e.code === 'PARTITION_NOT_FOUND' || e.code === 'TOPIC_NOT_FOUND') this.metadata.delete(lane.topic);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }
}
