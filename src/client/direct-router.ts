import {MqError} from '../errors.js';
import {partitionForKey} from '../protocol/murmur2.js';
import type {WireProduceResponse, WireProduceResult} from '../protocol/wire.js';
import {HttpTransport, type HttpOptions} from './http.js';

export interface ClusterPartition {
  topic: string;
  partition: number;
  replicas: number[];
  leader: number | null;
  leader_url: string | null;
  /** An autoscaled partition being drained before its removal: it takes nothing new. */
  draining?: boolean;
}

interface TopicRoute {
  base: number[];
  partitions: number[];
  leaders: Map<number, string | null>;
  roundRobin: number;
}

/** What direct routing needs from the client: the cluster view and the topic's hashing list. */
export interface RouteSource {
  cluster(): Promise<{partitions: ClusterPartition[]}>;
  basePartitions(topic: string): Promise<number[]>;
}

export interface RoutedMessage {
  envelope: Record<string, unknown>;
  key?: string;
  id?: string;
  producer?: string;
  partition?: number;
}

const RETRIES = 3;

/**
 * Client-side routing (DESIGN §5): the client caches which broker leads each partition (from GET /v1/cluster),
 * computes each message's partition the way the broker does (explicit, key, id, producer, round robin over the
 * active partitions), and sends each leader its share with `x-mq-no-forward: 1`, so no broker has to forward. A 421
 * (the leader moved; nothing was written) refreshes the cache and retries those messages.
 */
export class DirectRouter {
  private readonly routes = new Map<string, TopicRoute>();
  private readonly transports = new Map<string, HttpTransport>();
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly source: RouteSource,
    private readonly http: HttpOptions,
    private readonly fallback: HttpTransport,
  ) {}

  private transport(url: string): HttpTransport {
    let t = this.transports.get(url);
    if (!t) this.transports.set(url, (t = new HttpTransport(url, this.http)));
    return t;
  }

  /** Re-reads the leaders of every partition (coalesced: concurrent callers share one request). */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const view = await this.source.cluster();
        for (const r of this.routes.values()) r.leaders.clear();
        const draining = new Set<string>();
        for (const p of view.partitions) {
          this.routes.get(p.topic)?.leaders.set(p.partition, p.leader_url);
          if (p.draining) draining.add(`${p.topic}/${p.partition}`);
        }
        // partitions come and go on autoscaled topics: round robin covers the active ones as last seen
        for (const [topic, r] of this.routes) r.partitions = [...r.leaders.keys()].filter((n) => !draining.has(`${topic}/${n}`)).sort((a, b) => a - b);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async route(topic: string): Promise<TopicRoute> {
    let r = this.routes.get(topic);
    if (!r) {
      const base = await this.source.basePartitions(topic);
      r = {base, partitions: [], leaders: new Map(), roundRobin: 0};
      this.routes.set(topic, r);
      await this.refresh();
    }
    return r;
  }

  private partitionOf(r: TopicRoute, m: RoutedMessage, rr: number): number {
    if (m.partition !== undefined) return m.partition;
    const hashed = m.key ?? m.id ?? m.producer;
    if (hashed !== undefined) return r.base[partitionForKey(hashed, r.base.length)]!;
    return rr;
  }

  async produce(topic: string, messages: readonly RoutedMessage[], acks: string | undefined): Promise<WireProduceResult[]> {
    const r = await this.route(topic);
    const all = r.partitions.length > 0 ? r.partitions : r.base;
    let rr = all[r.roundRobin++ % all.length]!;
    const parts = messages.map((m) => this.partitionOf(r, m, rr));
    // messages this router placed round robin: if that partition went away (autoscaling), they may go elsewhere
    const free = messages.map((m) => m.partition === undefined && (m.key ?? m.id ?? m.producer) === undefined);
    const results: WireProduceResult[] = new Array(messages.length);
    let pending = messages.map((_, i) => i);
    for (let attempt = 0; pending.length > 0; attempt++) {
      const byUrl = new Map<string | null, number[]>();
      for (const i of pending) {
        const url = r.leaders.get(parts[i]!) ?? null;
        byUrl.set(url, [...(byUrl.get(url) ?? []), i]);
      }
      const retry: number[] = [];
      let moved = false;
      await Promise.all(
        [...byUrl].map(async ([url, idx]) => {
          // no leader known: the broker we were given forwards (or says there is none)
          const t = url === null ? this.fallback : this.transport(url);
          const body = JSON.stringify({messages: idx.map((i) => ({...messages[i]!.envelope, partition: parts[i]}))});
          try {
            const res = await t.request<WireProduceResponse>({method: 'POST', path: `/v1/topics/${encodeURIComponent(topic)}/messages`, query: {acks}, body, headers: url === null ? {} : {'x-mq-no-forward': '1'}});
            res.body.results.forEach((x, k) => {
              if ('error' in x && x.error.code === 'NOT_LEADER' && attempt < RETRIES) retry.push(idx[k]!);
              else results[idx[k]!] = x;
            });
          } catch (error) {
            const e = error instanceof MqError ? error : new MqError('UNAVAILABLE', String(error), undefined, 'unknown');
            if (attempt < RETRIES && (e.code === 'PARTITION_DRAINING' || e.code === 'PARTITION_NOT_FOUND') && idx.every((i) => free[i])) {
              moved = true;
              retry.push(...idx);
              return;
            }
            // a refused connection wrote nothing: safe to send again once the leaders are known again
            if (attempt < RETRIES && e.written === false) retry.push(...idx);
            else for (const i of idx) results[i] = {partition: parts[i]!, error: e.toBody().error};
          }
        }),
      );
      pending = retry;
      if (pending.length > 0) await this.refresh().catch(() => {});
      if (moved && r.partitions.length > 0) {
        rr = r.partitions[r.roundRobin++ % r.partitions.length]!;
        for (const i of pending) if (free[i]) parts[i] = rr;
      }
    }
    return results;
  }

  async close(): Promise<void> {
    await Promise.all([...this.transports.values()].map((t) => t.close()));
  }
}
