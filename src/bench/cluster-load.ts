import {Pool} from 'undici';
import type {LocalCluster} from './local-cluster.js';
import {sleep} from './local-cluster.js';

export interface Ack {
  id: string;
  partition: number;
  offset: number;
  /** Which broker answered. */
  via: number;
}

export interface Failure {
  via: number;
  status: number | null;
  code: string;
  written: boolean | 'unknown' | null;
  /** When the failure was seen (Date.now()): how long an error burst lasted. */
  at: number;
}

export interface LoadOptions {
  topic: string;
  /** Concurrent request loops. */
  concurrency: number;
  /** Messages per request. */
  batch: number;
  acks?: 'all' | 'leader';
  /** Send every request to this broker (else round-robin over live brokers). */
  pinned?: number;
  /** x-mq-no-forward: 1 (the broker answers 421 instead of forwarding). */
  noForward?: boolean;
  /** Pause between requests of one loop. */
  pauseMs?: number;
  /** Per-request ceiling. */
  timeoutMs?: number;
  /** Brokers not to send to right now (say, one that is restarting and not ready yet). */
  avoid?: () => readonly number[];
  /** Send every request to this URL (say, an `mq lb` in front of the cluster) instead of a broker; `via` is then 0. */
  url?: string;
  /**
   * Loops whose messages carry no `id` (it stays in the value, where verifyAcks finds it): writes that nobody in
   * between may repeat, since the broker cannot de-duplicate them.
   */
  withoutIds?: (loop: number) => boolean;
}

/**
 * A produce load against a cluster that records exactly what was acknowledged (id, partition, offset) and how
 * every other request ended, so that a check afterwards can prove no acknowledged message was lost.
 */
export class ProduceLoad {
  readonly acked: Ack[] = [];
  readonly failures: Failure[] = [];
  requests = 0;
  private running = false;
  private loops: Array<Promise<void>> = [];
  private readonly pools = new Map<string, Pool>();
  private seq = 0;

  constructor(
    private readonly cluster: LocalCluster,
    private readonly opts: LoadOptions,
  ) {}

  start(): void {
    this.running = true;
    for (let w = 0; w < this.opts.concurrency; w++) this.loops.push(this.loop(w));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
  }

  private pool(url: string): Pool {
    let p = this.pools.get(url);
    if (!p) this.pools.set(url, (p = new Pool(url, {connections: 4})));
    return p;
  }

  private target(turn: number): number | undefined {
    if (this.opts.pinned !== undefined) return this.opts.pinned;
    const avoid = this.opts.avoid?.() ?? [];
    const live = this.cluster.live().filter((n) => !avoid.includes(n.id));
    return live.length === 0 ? undefined : live[turn % live.length]!.id;
  }

  private async loop(w: number): Promise<void> {
    for (let turn = w; this.running; turn++) {
      const via = this.opts.url !== undefined ? 0 : this.target(turn);
      if (via === undefined || (this.opts.url === undefined && !this.cluster.node(via).process)) {
        await sleep(20);
        continue;
      }
      const ids = Array.from({length: this.opts.batch}, () => `m-${w}-${this.seq++}`);
      const failed = this.failures.length;
      await this.send(via, ids, !this.opts.withoutIds?.(w));
      // a client backs off after a failure (an election is under way) rather than spin
      if (this.failures.length > failed) await sleep(50);
      else if (this.opts.pauseMs) await sleep(this.opts.pauseMs);
    }
  }

  /** One request; its outcome is recorded (never thrown). */
  async send(via: number, ids: string[], withIds = true): Promise<void> {
    this.requests++;
    const body = JSON.stringify({messages: ids.map((id) => (withIds ? {id, key: id, value: {id}} : {key: id, value: {id}}))});
    const headers: Record<string, string> = {'content-type': 'application/json'};
    if (this.opts.noForward) headers['x-mq-no-forward'] = '1';
    let url: string;
    try {
      url = this.opts.url ?? this.cluster.url(via);
    } catch {
      return;
    }
    try {
      const res = await this.pool(url).request({
        method: 'POST',
        path: `/v1/topics/${this.opts.topic}/messages?acks=${this.opts.acks ?? 'all'}`,
        headers,
        body,
        headersTimeout: this.opts.timeoutMs ?? 10_000,
        bodyTimeout: this.opts.timeoutMs ?? 10_000,
      });
      const doc = (await res.body.json()) as {
        results?: Array<{partition: number; offset?: number; error?: {code: string; written: boolean | 'unknown'}}>;
        error?: {code: string; written: boolean | 'unknown'};
      };
      if (res.statusCode !== 200 || !doc.results) {
        this.failures.push({via, status: res.statusCode, code: doc.error?.code ?? 'HTTP', written: doc.error?.written ?? null, at: Date.now()});
        return;
      }
      doc.results.forEach((r, i) => {
        if (r.error || r.offset === undefined) this.failures.push({via, status: 200, code: r.error?.code ?? 'NO_OFFSET', written: r.error?.written ?? null, at: Date.now()});
        else this.acked.push({id: ids[i]!, partition: r.partition, offset: r.offset, via});
      });
    } catch (error) {
      this.failures.push({via, status: null, code: (error as {code?: string}).code ?? (error as Error).name, written: 'unknown', at: Date.now()});
    }
  }
}

export interface LossReport {
  /** Acknowledged messages not found at their acknowledged offset. */
  lost: Ack[];
  /** Offsets at which two different messages were reported (acknowledged twice). */
  conflictingOffsets: number;
  /** Ids stored more than once. */
  duplicateIds: number;
  /** A hole in a partition's offsets. */
  gaps: number;
  messages: number;
}

/** Reads every committed message of the topic through one broker (which serves or forwards) and checks the acks. */
export async function verifyAcks(cluster: LocalCluster, via: number, topic: string, partitions: number, acked: readonly Ack[]): Promise<LossReport> {
  const pool = new Pool(cluster.url(via), {connections: 2});
  const stored = new Map<string, string>();
  const seenIds = new Map<string, number>();
  let gaps = 0;
  let messages = 0;
  try {
    for (let p = 0; p < partitions; p++) {
      let offset: number | undefined;
      for (;;) {
        const q = offset === undefined ? '' : `offset=${offset}&`;
        const res = await pool.request({method: 'GET', path: `/v1/topics/${topic}/partitions/${p}/messages?${q}max_messages=5000`});
        const page = (await res.body.json()) as {messages: Array<{offset: number; id: string | null; value?: {id?: unknown}}>; next_offset: number; high_watermark: number};
        if (res.statusCode !== 200) throw new Error(`reading ${topic}/${p} through broker ${via}: HTTP ${res.statusCode} ${JSON.stringify(page)}`);
        let expect = offset;
        for (const m of page.messages) {
          if (expect !== undefined && m.offset !== expect) gaps++;
          expect = m.offset + 1;
          // a message produced without id (withoutIds) is known by the id in its value
          const id = m.id ?? (typeof m.value?.id === 'string' ? m.value.id : null);
          stored.set(`${p}/${m.offset}`, id ?? '');
          if (id) seenIds.set(id, (seenIds.get(id) ?? 0) + 1);
          messages++;
        }
        // until an empty page: a follower serves up to its own high watermark, then forwards the rest to the leader
        if (page.messages.length === 0) break;
        offset = page.next_offset;
      }
    }
  } finally {
    await pool.destroy();
  }
  const byOffset = new Map<string, string>();
  let conflictingOffsets = 0;
  for (const a of acked) {
    const k = `${a.partition}/${a.offset}`;
    const prior = byOffset.get(k);
    if (prior !== undefined && prior !== a.id) conflictingOffsets++;
    byOffset.set(k, a.id);
  }
  return {
    lost: acked.filter((a) => stored.get(`${a.partition}/${a.offset}`) !== a.id),
    conflictingOffsets,
    duplicateIds: [...seenIds.values()].filter((n) => n > 1).length,
    gaps,
    messages,
  };
}
