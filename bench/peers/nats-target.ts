import {AckPolicy, connect, createInbox, DeliverPolicy, StorageType, type ConsumerMessages, type JsMsg, type NatsConnection} from 'nats';
import type {BenchTarget, PrepareSpec, Received, TargetConsumer, TargetProducer} from '../../src/bench/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * NATS JetStream (file storage) through nats.js: a produce batch is a window of asynchronous publishes awaited
 * together (each acknowledged by the stream), a consumer pulls from a durable consumer with consume() and acks every
 * message (ack() is not awaited). Partitions are subjects `<topic>.<n>` of one stream. NATS 2.9 cannot fsync before
 * acknowledging (it syncs every 2 minutes by default): its figures are for a weaker durability than mq's.
 */
export class NatsTarget implements BenchTarget {
  readonly name = 'nats';
  private spec: PrepareSpec | undefined;
  private readonly conns: NatsConnection[] = [];
  private turn = 0;

  constructor(private readonly port: number) {}

  describe(): string {
    return `NATS 2.9 JetStream (file storage, no fsync before ack) on 127.0.0.1:${this.port} via nats.js, a batch = a window of async publishes (PubAcks to an inbox)`;
  }

  private async conn(): Promise<NatsConnection> {
    const nc = await connect({servers: `127.0.0.1:${this.port}`});
    this.conns.push(nc);
    return nc;
  }

  private get stream(): string {
    return this.spec!.topic.replace(/[^A-Za-z0-9_-]/g, '_');
  }

  async prepare(spec: PrepareSpec): Promise<void> {
    this.spec = spec;
    const jsm = await (await this.conn()).jetstreamManager();
    await jsm.streams.delete(this.stream).catch(() => false);
    await jsm.streams.add({name: this.stream, subjects: [`${this.stream}.>`], storage: StorageType.File});
  }

  /**
   * JetStream's asynchronous publish, as Go's PublishAsync does it: every message is published with a reply subject
   * and the stream answers each with a PubAck there; a batch is done when all its acks are in. Each batch has its own
   * reply subject (`<inbox>.<n>`), since a fixed-rate producer has several batches in flight at once.
   * (nats.js's js.publish() awaits each ack through a request object and reaches only ~10k msg/s here.)
   */
  async producer(): Promise<TargetProducer> {
    const nc = await this.conn();
    const inbox = createInbox();
    const pending = new Map<string, {waiting: number; failed?: string; done: () => void}>();
    let seq = 0;
    nc.subscribe(`${inbox}.*`, {
      callback: (_err, m) => {
        const b = pending.get(m.subject);
        if (!b) return;
        if (m.data.length > 0 && dec.decode(m.data).includes('"error"')) b.failed ??= dec.decode(m.data);
        if (--b.waiting === 0) {
          pending.delete(m.subject);
          b.done();
        }
      },
    });
    return {
      send: async (batch) => {
        const rr = this.turn++ % this.spec!.partitions;
        const reply = `${inbox}.${seq++}`;
        const b = {waiting: batch.length, failed: undefined as string | undefined, done: () => {}};
        const all = new Promise<void>((r) => (b.done = r));
        pending.set(reply, b);
        for (const m of batch) nc.publish(`${this.stream}.${rr}`, enc.encode(m.value), {reply});
        await all;
        if (b.failed) throw new Error(`publish failed: ${b.failed}`);
      },
      close: async () => {},
    };
  }

  async consumer(index: number, of: number, from: 'start' | 'end'): Promise<TargetConsumer> {
    const nc = await this.conn();
    const name = `bench-${from}`;
    // one durable consumer shared by all: each message goes to one of them (a work queue)
    if (index === 0 || of === 1) {
      const jsm = await nc.jetstreamManager();
      await jsm.consumers
        .add(this.stream, {durable_name: name, ack_policy: AckPolicy.Explicit, deliver_policy: from === 'start' ? DeliverPolicy.All : DeliverPolicy.New, max_ack_pending: 100_000})
        .catch(() => undefined);
    } else {
      await new Promise((r) => setTimeout(r, 200));
    }
    const consumer = await nc.jetstream().consumers.get(this.stream, name);
    // consume(): nats.js's continuous pull (it keeps pull requests outstanding and refills its buffer), which is how a
    // NATS application reads with low latency. A poll takes what has arrived. (fetch() would hold every message of a
    // batch until the batch is full or its expiry passes: up to a second of added latency at 1k msg/s.)
    const buffered: JsMsg[] = [];
    let wake: (() => void) | undefined;
    let iter: ConsumerMessages | undefined;
    let failed: Error | undefined;
    const start = async (max: number): Promise<void> => {
      iter = await consumer.consume({max_messages: max});
      void (async () => {
        for await (const m of iter!) {
          buffered.push(m);
          wake?.();
        }
      })().catch((e: Error) => (failed = e));
    };
    return {
      poll: async (max, waitMs, want) => {
        if (!iter) await start(max);
        if (failed) throw failed;
        if (buffered.length === 0) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, waitMs);
            wake = () => (clearTimeout(t), r());
          });
          wake = undefined;
        }
        const out: Received = {count: 0, bytes: 0};
        const values: string[] = [];
        for (const m of buffered.splice(0, max)) {
          out.count++;
          out.bytes += m.data.length;
          if (want) values.push(dec.decode(m.data));
          m.ack();
        }
        if (want) out.values = values;
        return out;
      },
      close: async () => {
        await iter?.close().catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    if (this.spec && this.conns[0]) {
      const jsm = await this.conns[0].jetstreamManager();
      await jsm.streams.delete(this.stream).catch(() => false);
    }
    for (const nc of this.conns.splice(0)) await nc.drain().catch(() => undefined);
  }
}
