/**
 * What a benchmark drives: mq (src/bench/mq-target.ts) or a peer broker (bench/targets/: Redis Streams, NATS
 * JetStream). Every workload goes through this interface, so every system is measured by the same Node harness.
 */
export interface BenchMessage {
  /** Exactly `size` bytes of UTF-8 text; for mq it is a JSON string (quotes included) stored byte for byte. */
  value: string;
  key: string | undefined;
}

export interface TargetProducer {
  /** Sends one batch (a request, a pipeline or a window of async publishes) and resolves when every message is acknowledged. */
  send(batch: readonly BenchMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface Received {
  count: number;
  bytes: number;
  /** The values, when asked for (end-to-end latency reads the send time from them). */
  values?: string[];
}

export interface TargetConsumer {
  /** Reads (and, where the system needs it, acknowledges) up to `max` messages; waits up to waitMs for the first. */
  poll(max: number, waitMs: number, wantValues: boolean): Promise<Received>;
  close(): Promise<void>;
}

export interface PrepareSpec {
  /** The name to use (a topic, a stream key prefix, a stream). */
  topic: string;
  partitions: number;
  /** The queue workload: consumers lease and ack (mq's work queue); others consume with acks anyway. */
  queue: boolean;
}

export interface BenchTarget {
  readonly name: string;
  /** One line: client, durability, what a batch means for this system. */
  describe(): string;
  prepare(spec: PrepareSpec): Promise<void>;
  producer(index: number): Promise<TargetProducer>;
  /**
   * Consumer `index` of `of`: mq reads its share of partitions by offset (or as a group member); Redis a consumer
   * group with XREADGROUP + XACK; NATS a durable pull consumer with acks. `from`: the start, or only new messages.
   */
  consumer(index: number, of: number, from: 'start' | 'end'): Promise<TargetConsumer>;
  /** Work-queue fetch + ack (mq's queue groups); targets without one use consumer(). */
  worker?(index: number): Promise<TargetConsumer>;
  /** mq only: produce one message and wait until a queue worker has processed it (returns when it has). */
  processedRoundTrip?(): Promise<{send(value: string): Promise<void>; close(): Promise<void>}>;
  close(): Promise<void>;
}
