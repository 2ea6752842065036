import {Redis} from 'ioredis';
import type {BenchMessage, BenchTarget, PrepareSpec, Received, TargetConsumer, TargetProducer} from '../../src/bench/index.js';

/**
 * Redis Streams through ioredis: a produce batch is one pipeline of XADDs (one round trip), a consumer reads with
 * XREADGROUP (COUNT = fetch size, BLOCK = the long-poll wait) and acknowledges what it read with one XACK per
 * stream. Partitions are streams `<topic>:<n>`; a batch without keys goes to one stream, in turn, as mq does.
 */
export class RedisTarget implements BenchTarget {
  private spec: PrepareSpec | undefined;
  private readonly conns: Redis[] = [];
  private turn = 0;

  constructor(
    readonly name: string,
    private readonly port: number,
    private readonly durability: string,
  ) {}

  describe(): string {
    return `Redis 7 Streams on 127.0.0.1:${this.port} via ioredis, a batch = one pipeline of XADDs, ${this.durability}`;
  }

  private conn(): Redis {
    const r = new Redis({host: '127.0.0.1', port: this.port, lazyConnect: false, maxRetriesPerRequest: 1, enableAutoPipelining: false});
    this.conns.push(r);
    return r;
  }

  private stream(p: number): string {
    return `${this.spec!.topic}:${p}`;
  }

  async prepare(spec: PrepareSpec): Promise<void> {
    this.spec = spec;
    const r = this.conn();
    await r.del(...Array.from({length: spec.partitions}, (_, p) => this.stream(p)));
  }

  private partitionOf(m: BenchMessage, rr: number): number {
    if (m.key === undefined) return rr;
    let h = 0;
    for (let i = 0; i < m.key.length; i++) h = (h * 31 + m.key.charCodeAt(i)) | 0;
    return Math.abs(h) % this.spec!.partitions;
  }

  async producer(): Promise<TargetProducer> {
    const r = this.conn();
    return {
      send: async (batch) => {
        const rr = this.turn++ % this.spec!.partitions;
        const pl = r.pipeline();
        for (const m of batch) pl.xadd(this.stream(this.partitionOf(m, rr)), '*', 'v', m.value);
        const res = await pl.exec();
        const failed = res?.find(([err]) => err);
        if (!res || failed) throw failed?.[0] ?? new Error('pipeline failed');
      },
      close: async () => {},
    };
  }

  async consumer(index: number, _of: number, from: 'start' | 'end'): Promise<TargetConsumer> {
    const r = this.conn();
    // every consumer reads every stream as a member of one group: Redis hands each entry to one of them
    const keys = Array.from({length: this.spec!.partitions}, (_, p) => this.stream(p));
    for (const k of keys) {
      await r.xgroup('CREATE', k, 'bench', from === 'start' ? '0' : '$', 'MKSTREAM').catch((e: Error) => {
        if (!/BUSYGROUP/.test(e.message)) throw e;
      });
    }
    return {
      poll: async (max, waitMs, want) => {
        const out: Received = {count: 0, bytes: 0};
        if (keys.length === 0) return out;
        const res = (await r.xreadgroup('GROUP', 'bench', `c${index}`, 'COUNT', max, 'BLOCK', waitMs, 'STREAMS', ...keys, ...keys.map(() => '>'))) as Array<[string, Array<[string, string[]]>]> | null;
        if (!res) return out;
        const values: string[] = [];
        const acks = r.pipeline();
        for (const [key, entries] of res) {
          if (entries.length === 0) continue;
          acks.xack(key, 'bench', ...entries.map((e) => e[0]));
          for (const [, fields] of entries) {
            const v = fields[1] ?? '';
            out.count++;
            out.bytes += v.length;
            if (want) values.push(v);
          }
        }
        await acks.exec();
        if (want) out.values = values;
        return out;
      },
      close: async () => {},
    };
  }

  async close(): Promise<void> {
    if (this.spec) await this.conns[0]?.del(...Array.from({length: this.spec.partitions}, (_, p) => this.stream(p))).catch(() => 0);
    for (const r of this.conns.splice(0)) r.disconnect();
  }
}
