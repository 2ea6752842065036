import type {Dispatcher} from 'undici';
import {MqError, type ErrorBody} from '../errors.js';
import type {ParsedMessage} from '../protocol/produce-body.js';
import {INTERNAL_AUTH} from '../cluster/internal-auth.js';
import {encodeProduceBatch} from '../protocol/produce-envelope.js';
import type {Broker} from './broker.js';
import type {Acks, ProduceItem} from './produce.js';
import type {ProduceMessage} from './router.js';

interface WireItem {
  partition: number;
  offset?: number;
  duplicate?: boolean;
  term?: number;
  leader?: number;
  error?: ErrorBody['error'];
}

export interface ForwardOptions {
  acks: Acks;
  /** Brokers the request already passed through (x-mq-hops). */
  hops: number;
  /** false: answer NOT_LEADER with the leader's address (x-mq-no-forward) instead of forwarding. */
  forward: boolean;
  authorization?: string;
}

const HOPS_MAX = 2;

/**
 * The second half of producing from any broker: `items` came back NOT_LEADER for the partitions led elsewhere; each
 * such partition's share goes to its leader as one request with explicit partition numbers (so routing by key, id or
 * round robin is decided once, here). Without forwarding they stay NOT_LEADER, with the leader's address added.
 */
export async function forwardToLeaders(broker: Broker, topic: string, messages: readonly ProduceMessage[], items: ProduceItem[], opts: ForwardOptions): Promise<void> {
  const byLeader = new Map<number, number[]>();
  items.forEach((it, i) => {
    if (!('error' in it) || it.error.code !== 'NOT_LEADER') return;
    const leader = Number(it.error.details?.leader ?? 0);
    if (leader === 0 || leader === broker.nodeId) return;
    const list = byLeader.get(leader);
    if (list) list.push(i);
    else byLeader.set(leader, [i]);
  });
  if (byLeader.size === 0) return;
  if (!opts.forward || opts.hops >= HOPS_MAX) {
    for (const indexes of byLeader.values()) {
      for (const i of indexes) {
        const it = items[i] as {partition: number; error: MqError};
        const leader = Number(it.error.details?.leader);
        it.error = new MqError('NOT_LEADER', it.error.message, {...it.error.details, leader_url: broker.cluster.urlOf(leader)}, false);
      }
    }
    return;
  }
  await Promise.all(
    [...byLeader].map(async ([leader, indexes]) => {
      const sub = indexes.map((i) => ({...(messages[i] as ParsedMessage), partition: items[i]!.partition}));
      const results = await forwardProduce(broker, leader, topic, sub, opts).catch((e: unknown) => {
        const err = e instanceof MqError ? e : new MqError('UNAVAILABLE', String(e), undefined, 'unknown');
        return sub.map((m): WireItem => ({partition: m.partition, error: err.toBody().error}));
      });
      indexes.forEach((i, k) => {
        const r = results[k];
        if (!r) items[i] = {partition: items[i]!.partition, error: new MqError('INTERNAL', 'the leader answered fewer results than messages', undefined, 'unknown')};
        else if (r.error) items[i] = {partition: r.partition, error: MqError.fromBody(500, {error: r.error})};
        else items[i] = {partition: r.partition, offset: r.offset!, duplicate: r.duplicate ?? false, term: r.term ?? 0, leader: r.leader ?? leader};
      });
    }),
  );
}

async function forwardProduce(broker: Broker, leader: number, topic: string, sub: ParsedMessage[], opts: ForwardOptions): Promise<WireItem[]> {
  const url = broker.cluster.urlOf(leader);
  if (!url) throw new MqError('UNAVAILABLE', `the address of broker ${leader} (the partition's leader) is not known yet`, {leader}, false);
  const headers: Record<string, string> = {'content-type': 'application/json', 'x-mq-hops': String(opts.hops + 1), 'x-mq-forwarded-by': String(broker.nodeId)};
  if (opts.authorization) headers.authorization = opts.authorization;
  const batch = encodeProduceBatch(sub);
  // internal topics (receipts, ...) take writes only from brokers of this cluster
  const mac = topic.startsWith('__') ? broker.membership.internalMac(topic, batch) : undefined;
  if (mac) headers[INTERNAL_AUTH] = mac;
  const path = `/v1/topics/${encodeURIComponent(topic)}/messages?acks=${opts.acks}`;
  Object.assign(headers, broker.membership.peerAuthHeaders('POST', path, batch));
  let res: Dispatcher.ResponseData;
  try {
    res = await broker.peerHttp.pool(url).request({
      method: 'POST',
      path,
      headers,
      body: batch,
      headersTimeout: broker.config.requestTimeoutMs,
    });
  } catch (error) {
    const code = (error as {code?: string}).code ?? '';
    const written = code === 'ECONNREFUSED' ? false : 'unknown';
    throw new MqError('UNAVAILABLE', `cannot reach broker ${leader} at ${url}: ${(error as Error).message}`, {leader, leader_url: url}, written);
  }
  const body = (await res.body.json().catch(() => undefined)) as {results?: WireItem[]} & Partial<ErrorBody>;
  if (res.statusCode >= 400 || !body?.results) {
    throw body?.error ? MqError.fromBody(res.statusCode, body) : new MqError('UNAVAILABLE', `broker ${leader} answered ${res.statusCode}`, {leader}, 'unknown');
  }
  return body.results;
}
