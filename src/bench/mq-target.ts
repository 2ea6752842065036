import {MqClient, type Acks} from '../client/client.js';
import {Worker} from '../client/worker.js';
import {MqError} from '../errors.js';
import type {WireConfirm, WireFetchResponse, WireProduceResponse} from '../protocol/wire.js';
import type {BenchMessage, BenchTarget, PrepareSpec, Received, TargetConsumer, TargetProducer} from './target.js';

export interface MqTargetOptions {
  url: string;
  token?: string;
  /** PEM CA to trust for an https URL. */
  ca?: string;
  acks: Acks;
  /** offset: each consumer reads its partitions by offset (no commits); group: a consumer group with auto-commit. */
  consumeMode: 'offset' | 'group';
  /** Connections in the client's pool (at least one per producer and consumer). */
  connections: number;
  /** Leave the topic and groups behind (default: delete them at close). */
  keep?: boolean;
  /** In a cluster: send each partition's messages to its leader (the client library's direct routing). */
  routing?: 'forward' | 'direct';
  /** Replication factor of the benchmark topic (default: the broker's). */
  replicationFactor?: number;
}

/** The request body for a batch: values are JSON text already, so it is concatenated rather than stringified. */
export function batchBody(batch: readonly BenchMessage[]): string {
  let s = '{"messages":[';
  for (let i = 0; i < batch.length; i++) {
    const m = batch[i]!;
    if (i > 0) s += ',';
    s += m.key === undefined ? `{"value":${m.value}}` : `{"value":${m.value},"key":${JSON.stringify(m.key)}}`;
  }
  return s + ']}';
}

function valuesOf(msgs: ReadonlyArray<{value?: unknown}>, want: boolean, out: Received): Received {
  for (const m of msgs) out.bytes += typeof m.value === 'string' ? m.value.length + 2 : 0;
  if (want) out.values = msgs.map((m) => (typeof m.value === 'string' ? m.value : ''));
  return out;
}

/** mq through its own client library (src/client), over HTTP/1.1 keep-alive connections. */
export class MqTarget implements BenchTarget {
  readonly name = 'mq';
  readonly client: MqClient;
  private spec: PrepareSpec | undefined;
  private readonly closers: Array<() => Promise<void>> = [];

  constructor(private readonly o: MqTargetOptions) {
    this.client = new MqClient({url: o.url, token: o.token, ca: o.ca, connections: o.connections, timeoutMs: 60_000, routing: o.routing});
  }

  describe(): string {
    const durability = this.o.acks === 'all' ? 'acks=all (fsync before the answer)' : this.o.acks === 'leader' ? 'acks=leader' : 'acks=0 (not confirmed)';
    return `mq at ${this.o.url}: HTTP/1.1 + JSON via src/client (undici), one request per batch, ${durability}`;
  }

  private get queueGroup(): string {
    return `${this.spec!.topic}-queue`;
  }

  async prepare(spec: PrepareSpec): Promise<void> {
    this.spec = spec;
    await this.client.createTopic({name: spec.topic, partitions: spec.partitions, ...(this.o.replicationFactor ? {replication_factor: this.o.replicationFactor} : {})});
    if (spec.queue) await this.client.createGroup({name: this.queueGroup, topics: [spec.topic], mode: 'queue'});
  }

  async producer(): Promise<TargetProducer> {
    const topic = this.spec!.topic;
    const acks = this.o.acks;
    if (this.o.routing === 'direct') {
      // each partition's share straight to its leader (the client library parses nothing else here)
      return {
        send: async (batch) => {
          const rs = await this.client.produce(topic, batch.map((m) => ({value: JSON.parse(m.value) as unknown, key: m.key})), {acks});
          const failed = rs.find((r) => 'error' in r);
          if (failed && 'error' in failed) throw new MqError('INTERNAL', `produce failed: ${failed.error.code} ${failed.error.message}`);
        },
        close: async () => {},
      };
    }
    return {
      send: async (batch) => {
        const res = await this.client.produceRaw(topic, batchBody(batch), {acks});
        if ('errors' in res && (res as WireProduceResponse).errors > 0) {
          const first = (res as WireProduceResponse).results.find((r) => 'error' in r) as {error: {code: string; message: string}};
          throw new MqError('INTERNAL', `produce failed: ${first.error.code} ${first.error.message}`);
        }
      },
      close: async () => {},
    };
  }

  async consumer(index: number, of: number, from: 'start' | 'end'): Promise<TargetConsumer> {
    const topic = this.spec!.topic;
    if (this.o.consumeMode === 'group') return this.groupConsumer(index, from);
    const desc = await this.client.describeTopic(topic);
    const mine = desc.partition_details.filter((p) => p.partition % of === index);
    const offsets = new Map(mine.map((p) => [p.partition, from === 'start' ? p.log_start_offset : p.high_watermark]));
    let turn = 0;
    return {
      poll: async (max, waitMs, want) => {
        // one fetch per poll, partitions in turn: a consumer of several partitions reads them evenly
        const parts = [...offsets.keys()];
        if (parts.length === 0) return {count: 0, bytes: 0};
        const p = parts[turn++ % parts.length]!;
        const page: WireFetchResponse = await this.client.fetch(topic, p, {offset: offsets.get(p), maxMessages: max, maxBytes: 16 * 1024 * 1024, waitMs: parts.length > 1 ? Math.min(waitMs, 5) : waitMs});
        offsets.set(p, page.next_offset);
        return valuesOf(page.messages, want, {count: page.messages.length, bytes: 0});
      },
      close: async () => {},
    };
  }

  private async groupConsumer(index: number, from: 'start' | 'end'): Promise<TargetConsumer> {
    const group = `${this.spec!.topic}-group`;
    if (index === 0) await this.client.createGroup({name: group, topics: [this.spec!.topic], mode: 'stream', from: from === 'start' ? 'earliest' : 'latest'}).catch(() => undefined);
    const member = await this.client.join(group, {clientId: `bench-${index}`, topics: [this.spec!.topic], from: from === 'start' ? 'earliest' : 'latest'});
    return {
      poll: async (max, waitMs, want) => {
        const page = await this.client.groupFetch(group, member.member_id, {maxMessages: max, maxBytes: 16 * 1024 * 1024, waitMs, autoCommit: true});
        return valuesOf(page.messages, want, {count: page.messages.length, bytes: 0});
      },
      close: async () => {
        await this.client.leave(group, member.member_id, {commit: true}).catch(() => undefined);
      },
    };
  }

  /** A worker that acks each batch with the request that leases the next (ackAndLease), the last one on close. */
  async worker(index: number): Promise<TargetConsumer> {
    const group = this.queueGroup;
    let unacked: string[] = [];
    const check = (results: WireConfirm[]): void => {
      const failed = results.find((r) => 'error' in r);
      if (failed && 'error' in failed) throw new MqError('INTERNAL', `ack failed: ${failed.error.code} ${failed.error.message}`);
    };
    return {
      poll: async (max, waitMs, want) => {
        const {messages, acked} = await this.client.ackAndLease(group, unacked, {consumer: `bench-${index}`, maxMessages: max, waitMs});
        check(acked);
        unacked = messages.map((m) => m.lease_id);
        return valuesOf(messages, want, {count: messages.length, bytes: 0});
      },
      close: async () => {
        if (unacked.length > 0) check(await this.client.ack(group, unacked));
        unacked = [];
      },
    };
  }

  async processedRoundTrip(): Promise<{send(value: string): Promise<void>; close(): Promise<void>}> {
    const topic = `${this.spec!.topic}-processed`;
    const group = `${topic}-workers`;
    await this.client.createTopic({name: topic, partitions: 1});
    await this.client.createGroup({name: group, topics: [topic], mode: 'queue'});
    const worker = new Worker({url: this.o.url, token: this.o.token, ca: this.o.ca, group, concurrency: 4, handler: () => {}});
    void worker.start();
    const close = async (): Promise<void> => {
      await worker.stop();
    };
    this.closers.push(close);
    return {
      send: async (value) => {
        const [r] = await this.client.produceProcessed(topic, [{value: JSON.parse(value) as unknown, producer: 'bench'}], {timeoutMs: 10_000});
        if (!r || !('state' in r) || r.state !== 'processed') throw new MqError('INTERNAL', `not processed: ${JSON.stringify(r)}`);
      },
      close,
    };
  }

  async close(): Promise<void> {
    for (const c of this.closers.splice(0)) await c().catch(() => undefined);
    if (this.spec && !this.o.keep) {
      const t = this.spec.topic;
      for (const g of [`${t}-queue`, `${t}-group`, `${t}-processed-workers`]) await this.client.deleteGroup(g).catch(() => undefined);
      for (const name of [t, `${t}-processed`]) await this.client.deleteTopic(name).catch(() => undefined);
    }
    await this.client.close();
  }
}
