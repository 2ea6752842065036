import {sleep} from '../../../src/bench/local-cluster.js';
import type {ConfirmRes, DeadLetter, Delivery, FinalQueue, LeaseRes, Receipt} from '../lib/model.js';
import type {WorkloadContext} from './context.js';
import {appender, type LogWorkloadOptions} from './log.js';

export interface QueueWorkloadOptions {
  topic: string;
  partitions: number;
  group: string;
  /** Producer id on every message, so that receipts are written and checked (none: no receipts). */
  producer: string | undefined;
  producers: number;
  workers: number;
  leaseMs: number;
  maxDeliveries: number;
  /** Chance per fetch that a worker crashes: it abandons everything it holds and comes back under a new name. */
  crashP: number;
}

export async function createQueue(ctx: WorkloadContext, o: QueueWorkloadOptions, url: string): Promise<void> {
  for (const [path, body] of [
    ['/v1/topics', {name: o.topic, partitions: o.partitions}],
    ['/v1/groups', {name: o.group, topics: [o.topic], mode: 'queue', lease_ms: o.leaseMs, max_deliveries: o.maxDeliveries}],
  ] as const) {
    const r = await ctx.http.request(url, 'POST', path, {body, timeoutMs: 10_000});
    if (r.type !== 'ok') throw new Error(`${path}: ${JSON.stringify(r.body ?? r.error)}`);
  }
}

/**
 * A worker: leases a few messages and, for each, acks (most), nacks, extends then acks, abandons (its lease runs
 * out), or works too long and acks late (a stale ack the broker must refuse). While draining it acks everything.
 */
async function worker(ctx: WorkloadContext, o: QueueWorkloadOptions, w: number): Promise<void> {
  const random = ctx.random(4000 + w);
  let life = 0;
  while (ctx.running) {
    const node = ctx.pick(random);
    if (node === undefined) {
      await ctx.pause(50);
      continue;
    }
    const url = ctx.cluster.clientUrl(node);
    const consumer = `w${w}-${life}`;
    // while draining, leases long enough for a slow machine to ack a whole fetch before they run out
    const leaseMs = ctx.draining ? o.leaseMs * 4 : o.leaseMs;
    const got = await ctx.op('lease', {consumer, leaseMs}, node, () => ctx.http.request(url, 'POST', `/v1/groups/${o.group}/fetch`, {body: {consumer, max_messages: 5, wait_ms: 300, lease_ms: leaseMs}, timeoutMs: 5000}), (x): LeaseRes => ({
      deliveries: (x.body.messages as Array<{id: string; partition: number; offset: number; lease_id: string; delivery_count: number}>).map((m) => ({id: m.id, partition: m.partition, offset: m.offset, lease: m.lease_id, count: m.delivery_count})),
    }));
    if (got.type !== 'ok') {
      await ctx.pause(100);
      continue;
    }
    const deliveries = (got.body.messages as Array<{id: string; partition: number; offset: number; lease_id: string; delivery_count: number}>).map((m): Delivery => ({id: m.id, partition: m.partition, offset: m.offset, lease: m.lease_id, count: m.delivery_count}));
    if (!ctx.draining && deliveries.length > 0 && random.next() < o.crashP) {
      life++;
      continue;
    }
    for (const d of deliveries) {
      const r = ctx.draining ? 0 : random.next();
      const confirm = (f: 'ack' | 'nack' | 'progress', extra: Record<string, unknown> = {}): Promise<unknown> =>
        ctx.op(f, {lease: d.lease, id: d.id, ...(f === 'progress' ? {leaseMs: o.leaseMs} : {})}, node, () => ctx.http.request(url, 'POST', `/v1/groups/${o.group}/${f}`, {body: {lease_id: d.lease, ...extra}, timeoutMs: 5000}), (x): ConfirmRes => ({status: x.body.status}));
      if (r < 0.62) await confirm('ack');
      else if (r < 0.72) await confirm('nack', {delay_ms: random.int(0, 200)});
      else if (r < 0.82) {
        await confirm('progress', {lease_ms: o.leaseMs});
        await confirm('ack');
      } else if (r < 0.92) continue;
      else {
        await ctx.pause(o.leaseMs + 300);
        await confirm('ack');
      }
    }
  }
}

export function startQueue(ctx: WorkloadContext, o: QueueWorkloadOptions, requestTimeoutMs: number): Array<Promise<void>> {
  const producerOpts: LogWorkloadOptions = {topic: o.topic, partitions: o.partitions, appenders: o.producers, readers: 0, batch: 5, route: 'any', attempts: 3, requestTimeoutMs, pauseMs: 30, ...(o.producer ? {producer: o.producer} : {}), f: 'enqueue'};
  return [...Array.from({length: o.producers}, (_, p) => appender(ctx, producerOpts, 100 + p)), ...Array.from({length: o.workers}, (_, w) => worker(ctx, o, w))];
}

/** What is left in the group: its backlog (not acked, not dead-lettered) and dead letters still being moved. */
export async function backlog(ctx: WorkloadContext, o: QueueWorkloadOptions, url: string): Promise<number | undefined> {
  const r = await ctx.http.request(url, 'GET', `/v1/groups/${o.group}`, {timeoutMs: 5000});
  if (r.type !== 'ok' || typeof r.body.backlog !== 'number') return undefined;
  const parts = (r.body.partitions ?? []) as Array<{dead_letter_pending?: number}>;
  return r.body.backlog + parts.reduce((n, p) => n + (p.dead_letter_pending ?? 0), 0);
}

/** After the faults: waits for the drain (workers ack everything) to empty the group, then reads dead letters and receipts. */
export async function finalQueue(ctx: WorkloadContext, o: QueueWorkloadOptions, via: () => string | undefined, timeoutMs: number): Promise<FinalQueue> {
  // a slow drain is not a stuck message: wait as long as the backlog keeps going down, and give up only after
  // `timeoutMs` without progress (several lease times, so abandoned leases have expired and been redelivered)
  const hardDeadline = performance.now() + timeoutMs * 6;
  let stalledSince = performance.now();
  let left: number | undefined;
  let best = Infinity;
  while (performance.now() < hardDeadline && performance.now() - stalledSince < timeoutMs) {
    const url = via();
    left = url ? await backlog(ctx, o, url) : undefined;
    if (left === 0) break;
    if (left !== undefined && left < best) {
      best = left;
      stalledSince = performance.now();
    }
    await sleep(250);
  }
  const described = await ctx.http.request(via()!, 'GET', `/v1/groups/${o.group}`, {timeoutMs: 5000});
  const url = via()!;
  const deadLetters: DeadLetter[] = [];
  for (let p = 0; p < o.partitions; p++) {
    for (let offset = 0; ; ) {
      const r = await ctx.http.request(url, 'GET', `/v1/topics/${o.topic}.dlq/partitions/${p}/messages?offset=${offset}&max_messages=5000`, {timeoutMs: 10_000});
      if (r.type !== 'ok') break;
      for (const m of r.body.messages as Array<{offset: number; id: string; headers: Record<string, string> | null}>) {
        deadLetters.push({id: m.headers?.['mq-dlq-original-id'] ?? '?', dlqId: m.id, deliveries: Number(m.headers?.['mq-dlq-deliveries'] ?? 0), offset: m.offset});
      }
      if (r.body.messages.length === 0 || r.body.next_offset >= r.body.high_watermark) break;
      offset = r.body.next_offset;
    }
  }
  const receipts: Receipt[] = [];
  for (let cursor = 0; o.producer; ) {
    const r = await ctx.http.request(url, 'GET', `/v1/receipts/${o.producer}?cursor=${cursor}&max=10000`, {timeoutMs: 10_000});
    if (r.type !== 'ok') break;
    const page = r.body.receipts as Array<{id: string; state: string; group: string; cursor: number}>;
    receipts.push(...page.map((x) => ({id: x.id, state: x.state, group: x.group, cursor: x.cursor})));
    if (page.length === 0 || r.body.next_cursor === cursor) break;
    cursor = r.body.next_cursor;
  }
  return {deadLetters, receipts, receiptsRead: o.producer !== undefined, backlog: left ?? -1, maxDeliveries: o.maxDeliveries, producer: o.producer ?? '', group: o.group, describe: described.body};
}
