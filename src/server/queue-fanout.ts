import type {FastifyRequest} from 'fastify';
import type {Broker} from '../broker/broker.js';
import type {ConfirmOutcome} from '../broker/queue/index.js';
import {parseLeaseId} from '../broker/queue/lease-id.js';
import {MqError} from '../errors.js';
import {elementsOfArrayMember} from '../protocol/json-span.js';
import {HOPS, hopsOf} from './forward.js';

/**
 * Set on a queue call one broker makes to another on a client's behalf: serve it from this broker's partitions only
 * (no further fan-out).
 */
export const LOCAL_ONLY = 'x-mq-local-only';

export function localOnly(req: FastifyRequest): boolean {
  return req.headers[LOCAL_ONLY] === '1';
}

/** The partition's leader as this broker knows it; for a partition it holds no replica of, its preferred replica. */
function leaderOfPid(broker: Broker, pid: number): number {
  const log = broker.topics.byPid.get(pid);
  if (log) return log.group.leader;
  for (const t of broker.topics.list()) {
    const p = t.record.partitions.find((x) => x.pid === pid);
    if (p) return p.replicas[0] ?? 0;
  }
  return 0;
}

/** Other brokers that lead partitions of the queue group's topics. */
export function otherLeaders(broker: Broker, group: string): number[] {
  const ids = new Set<number>();
  for (const topic of broker.groups.coordinator.definition(group).topics) {
    for (const p of broker.topics.get(topic)?.record.partitions ?? []) {
      const leader = leaderOfPid(broker, p.pid);
      if (leader !== 0 && leader !== broker.nodeId) ids.add(leader);
    }
  }
  return [...ids].sort((a, b) => a - b);
}

function headersFor(broker: Broker, req: FastifyRequest): Record<string, string> {
  const h: Record<string, string> = {'content-type': 'application/json', [LOCAL_ONLY]: '1', [HOPS]: String(hopsOf(req) + 1), 'x-mq-forwarded-by': String(broker.nodeId)};
  if (typeof req.headers.authorization === 'string') h.authorization = req.headers.authorization;
  return h;
}

/** POSTs a queue call to another broker's own partitions; the reply's `field` array comes back as raw JSON elements. */
async function callPeer(broker: Broker, req: FastifyRequest, id: number, path: string, body: unknown, field: string, signal?: AbortSignal): Promise<Buffer[]> {
  const url = broker.cluster.urlOf(id);
  if (!url) throw new MqError('UNAVAILABLE', `the address of broker ${id} is not known yet`, {leader: id}, false);
  const json = JSON.stringify(body);
  const headers = {...headersFor(broker, req), ...broker.membership.peerAuthHeaders('POST', path, json)};
  const res = await broker.peerHttp.pool(url).request({method: 'POST', path, headers, body: json, signal, headersTimeout: broker.config.requestTimeoutMs + broker.config.waitMsMax});
  const buf = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode >= 400) throw MqError.fromBody(res.statusCode, JSON.parse(buf.toString('utf8') || '{}'));
  return elementsOfArrayMember(buf, field).map((s) => buf.subarray(s.start, s.end));
}

export interface FetchArgs {
  group: string;
  consumer: string | null;
  maxMessages: number;
  waitMs: number;
  leaseMs: number | undefined;
  signal: AbortSignal;
}

/**
 * A queue fetch on a cluster: leases come from every partition leader, not only this broker. First a pass that waits
 * for nothing (this broker's partitions, then each other leader's, up to max); if that finds nothing, a long-poll on
 * all of them at once: the first to answer with messages wins and the others are cancelled. A lease granted at the
 * very moment its fetch is cancelled is not lost: it runs out and the message is delivered again.
 */
export async function fanOutFetch(broker: Broker, req: FastifyRequest, a: FetchArgs, toJson: (d: Awaited<ReturnType<Broker['queues']['service']['fetch']>>[number]) => string): Promise<string[]> {
  const path = `/v1/groups/${encodeURIComponent(a.group)}/fetch`;
  const local = async (max: number, waitMs: number, signal: AbortSignal): Promise<string[]> =>
    (await broker.queues.service.fetch(a.group, {consumer: a.consumer, maxMessages: max, waitMs, leaseMs: a.leaseMs, signal})).map(toJson);
  const remote = async (id: number, max: number, waitMs: number, signal: AbortSignal): Promise<string[]> => {
    const body = {max_messages: max, wait_ms: waitMs, ...(a.consumer ? {consumer: a.consumer} : {}), ...(a.leaseMs ? {lease_ms: a.leaseMs} : {})};
    return (await callPeer(broker, req, id, path, body, 'messages', signal)).map((b) => b.toString('utf8'));
  };
  const others = otherLeaders(broker, a.group);
  const out = await local(a.maxMessages, 0, a.signal).catch(() => [] as string[]);
  for (const id of others) {
    if (out.length >= a.maxMessages) break;
    out.push(...(await remote(id, a.maxMessages - out.length, 0, a.signal).catch(() => [] as string[])));
  }
  if (out.length > 0 || a.waitMs <= 0 || a.signal.aborted) return out;
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  a.signal.addEventListener('abort', onAbort, {once: true});
  try {
    const polls = [local(a.maxMessages, a.waitMs, ac.signal), ...others.map((id) => remote(id, a.maxMessages, a.waitMs, ac.signal))];
    return await new Promise<string[]>((resolve) => {
      let pending = polls.length;
      let done = false;
      for (const p of polls) {
        p.then(
          (r) => {
            if (!done && r.length > 0) {
              done = true;
              ac.abort();
              resolve(r);
            }
          },
          () => {},
        ).finally(() => {
          if (--pending === 0 && !done) resolve([]);
        });
      }
    });
  } finally {
    ac.abort();
    a.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Acks, progress and nacks on a cluster: each lease belongs to a partition, and its leader decides. Leases of
 * partitions led here are confirmed here, the rest go to their leaders in one call each; outcomes keep their order.
 */
export async function fanOutConfirm(
  broker: Broker,
  req: FastifyRequest,
  group: string,
  kind: 'ack' | 'progress' | 'nack',
  ids: readonly string[],
  extra: Record<string, unknown>,
  opts: {leaseMs?: number; delayMs?: number; error?: string},
): Promise<ConfirmOutcome[]> {
  const byLeader = new Map<number, number[]>();
  ids.forEach((id, i) => {
    const p = parseLeaseId(id);
    const leader = p ? leaderOfPid(broker, p.pid) : broker.nodeId;
    const key = leader === 0 ? broker.nodeId : leader;
    byLeader.set(key, [...(byLeader.get(key) ?? []), i]);
  });
  const outcomes: ConfirmOutcome[] = new Array(ids.length);
  await Promise.all(
    [...byLeader].map(async ([leader, indexes]) => {
      const sub = indexes.map((i) => ids[i]!);
      let results: ConfirmOutcome[];
      if (leader === broker.nodeId) {
        results = await broker.queues.service.confirm(group, kind, sub, opts);
      } else {
        try {
          const raw = await callPeer(broker, req, leader, `/v1/groups/${encodeURIComponent(group)}/${kind}`, {lease_ids: sub, ...extra}, 'results');
          results = raw.map((b) => {
            const r = JSON.parse(b.toString('utf8')) as {lease_id: string; status?: string; error?: {code: string}};
            return r.error ? {leaseId: r.lease_id, error: MqError.fromBody(500, {error: r.error})} : ({leaseId: r.lease_id, status: r.status} as ConfirmOutcome);
          });
        } catch (e) {
          const err = e instanceof MqError ? e : new MqError('UNAVAILABLE', String(e), undefined, 'unknown');
          results = sub.map((leaseId) => ({leaseId, error: err}));
        }
      }
      indexes.forEach((i, k) => (outcomes[i] = results[k] ?? {leaseId: ids[i]!, error: new MqError('INTERNAL', 'missing outcome', undefined, 'unknown')}));
    }),
  );
  return outcomes;
}
