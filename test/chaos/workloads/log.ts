import type {SeededRandom} from '../../../src/util/random.js';
import type {Outcome} from '../lib/http.js';
import type {AppendReq, AppendRes, ReadMessage, ReadRes} from '../lib/model.js';
import type {WorkloadContext} from './context.js';

export interface LogWorkloadOptions {
  topic: string;
  partitions: number;
  appenders: number;
  readers: number;
  batch: number;
  /**
   * `any`: each request to a random broker (which forwards). `leader`: clients route by themselves to the leader they
   * last learned, with forwarding off, and only ask again after an error or a timeout (so a zombie keeps getting
   * requests until they fail). `mixed`: half and half.
   */
  route: 'any' | 'leader' | 'mixed';
  /** Attempts per batch whose outcome stays unknown: retried with the same ids (de-duplication makes that safe). */
  attempts: number;
  requestTimeoutMs: number;
  pauseMs: number;
  /** Producer id on every message (receipts). */
  producer?: string;
  /** History name of the operation ('append', or 'enqueue' for a queue's producer). */
  f?: string;
}

/** The value sent for an id: canonical JSON (a read gives back the same text after JSON.parse and stringify). */
export function valueFor(id: string, random: SeededRandom): string {
  return JSON.stringify({id, pad: random.next().toString(36).slice(2, 12)});
}

export function parseAppend(req: AppendReq, o: Outcome): AppendRes {
  const results = (o.body?.results ?? []) as Array<{partition: number; offset?: number; term?: number; leader?: number; duplicate?: boolean; error?: {code: string; written: boolean | 'unknown'}}>;
  const res: AppendRes = {acks: [], refused: []};
  results.forEach((r, i) => {
    const id = req.messages[i]!.id;
    if (r.error || r.offset === undefined) res.refused.push({id, code: r.error?.code ?? 'NO_OFFSET', written: r.error?.written ?? null});
    else res.acks.push({id, partition: r.partition, offset: r.offset, term: r.term, leader: r.leader, duplicate: r.duplicate});
  });
  return res;
}

/** Appenders: batches of messages with unique ids to explicit partitions, acks=all; unknown outcomes retried. */
export async function appender(ctx: WorkloadContext, o: LogWorkloadOptions, w: number): Promise<void> {
  const random = ctx.random(1000 + w);
  const f = o.f ?? 'append';
  const routed = o.route === 'leader' || (o.route === 'mixed' && w % 2 === 0);
  const leaders = new Map<number, number>();
  let seq = 0;
  let retry: {req: AppendReq; attempts: number} | undefined;
  while (ctx.running && !ctx.draining) {
    const req: AppendReq = retry
      ? {...retry.req, retry: true}
      : {topic: o.topic, partition: random.int(0, o.partitions - 1), messages: Array.from({length: o.batch}, () => {
          const id = `${f[0]}${w}-${seq++}`;
          return {id, value: valueFor(id, random)};
        })};
    let node = routed ? leaders.get(req.partition) : undefined;
    if (node === undefined || !ctx.cluster.running(node)) {
      node = routed ? (await ctx.cluster.leaderOf(o.topic, req.partition)) || ctx.pick(random) : ctx.pick(random);
      if (node !== undefined && routed) leaders.set(req.partition, node);
    }
    if (node === undefined) {
      await ctx.pause(50);
      continue;
    }
    const body = `{"messages":[${req.messages.map((m) => `{"id":${JSON.stringify(m.id)},"partition":${req.partition},${o.producer ? `"producer":${JSON.stringify(o.producer)},` : ''}"value":${m.value}}`).join(',')}]}`;
    const out = await ctx.op(f, req, node, () =>
      ctx.http.request(ctx.cluster.clientUrl(node), 'POST', `/v1/topics/${o.topic}/messages?acks=all`, {body, headers: routed ? {'x-mq-no-forward': '1'} : {}, timeoutMs: o.requestTimeoutMs}),
      (x) => parseAppend(req, x),
    );
    const attempts = (retry?.attempts ?? 0) + 1;
    retry = undefined;
    let unknown: AppendReq['messages'] = [];
    if (out.type === 'info') unknown = req.messages;
    if (out.type === 'ok') {
      const res = parseAppend(req, out);
      const ids = new Set(res.refused.filter((r) => r.written !== false).map((r) => r.id));
      unknown = req.messages.filter((m) => ids.has(m.id));
      if (res.refused.length > 0) leaders.delete(req.partition);
    }
    if (unknown.length > 0 && attempts < o.attempts) retry = {req: {topic: o.topic, partition: req.partition, messages: unknown}, attempts};
    if (out.type !== 'ok' || unknown.length > 0) {
      leaders.delete(req.partition);
      await ctx.pause(50 + random.int(0, 50));
    } else if (o.pauseMs > 0) await ctx.pause(o.pauseMs);
  }
}

export function toReadMessages(raw: Array<{offset: number; id: string | null; value?: unknown; value_base64?: string}>): ReadMessage[] {
  return raw.map((m) => ({offset: m.offset, id: m.id, value: m.value_base64 !== undefined ? `base64:${m.value_base64}` : JSON.stringify(m.value)}));
}

/** Readers: each follows every partition from offset 0 through random brokers, a session of its own. */
export async function reader(ctx: WorkloadContext, o: LogWorkloadOptions, r: number): Promise<void> {
  const random = ctx.random(2000 + r);
  const cursor = new Map<number, number>();
  for (let turn = 0; ctx.running; turn++) {
    const partition = turn % o.partitions;
    const from = cursor.get(partition) ?? 0;
    const node = ctx.pick(random);
    if (node === undefined) {
      await ctx.pause(50);
      continue;
    }
    const out = await ctx.op('read', {reader: r, partition, from}, node, () =>
      ctx.http.request(ctx.cluster.clientUrl(node), 'GET', `/v1/topics/${o.topic}/partitions/${partition}/messages?offset=${from}&max_messages=200`, {timeoutMs: 3000}),
      (x): ReadRes => ({messages: toReadMessages(x.body.messages), next: x.body.next_offset, hw: x.body.high_watermark}),
    );
    if (out.type === 'ok') cursor.set(partition, out.body.next_offset);
    await ctx.pause(out.type === 'ok' ? 20 : 100);
  }
}

export function startLog(ctx: WorkloadContext, o: LogWorkloadOptions): Array<Promise<void>> {
  return [...Array.from({length: o.appenders}, (_, w) => appender(ctx, o, w)), ...Array.from({length: o.readers}, (_, r) => reader(ctx, o, r))];
}
