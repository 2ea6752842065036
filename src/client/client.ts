import {MqError} from '../errors.js';
import type {
  WireAccepted,
  WireConfirm,
  WireDelivery,
  WireProcessedResult,
  WireProduceFailed,
  WireReceipt,
  WireGroup,
  WireGroupCreate,
  WireGroupDescription,
  WireGroupFetch,
  WireJoin,
  WireOffsets,
  WireTopicPartition,
  WireFetchResponse,
  WireProduceOk,
  WireProduceResponse,
  WireProduceResult,
  WireTopic,
  WireTopicCreate,
  WireTopicDescription,
  WireTopicPatch,
} from '../protocol/wire.js';
import {DirectRouter, type ClusterPartition} from './direct-router.js';
import {HttpTransport} from './http.js';

export const DEFAULT_URL = 'http://127.0.0.1:7070';

/** GET /v1/cluster (docs/api.md). */
export interface WireCluster {
  cluster_id: string;
  mode: 'single' | 'cluster';
  node_id: number;
  version: string;
  cluster_version: number;
  metadata: {leader: number | null; leader_url: string | null; term: number; commit_index: number; voters: number[]; learners: number[]};
  brokers: Array<{id: number; url: string | null; peer: string; peer_url: string | null; version: string | null; status: string; leaving: boolean; last_seen_ms_ago: number | null}>;
  partitions: ClusterPartition[];
}

export interface ClientOptions {
  /** Broker or lb URL; default MQ_URL's default, http://127.0.0.1:7070. */
  url?: string;
  token?: string;
  /** PEM CA certificate(s) to trust for an https URL (a private or development CA; `mq cert dev` makes one). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Per-request timeout on top of any long-poll wait (default 30 s). */
  timeoutMs?: number;
  connections?: number;
  /**
   * `forward` (default): send everything to `url`; in a cluster that broker forwards to partition leaders (works
   * through any load balancer). `direct`: cache the leaders (GET /v1/cluster) and send each its share directly.
   */
  routing?: 'forward' | 'direct';
}

/** What a producer sends; `value` is any JSON value, or `valueBase64` for bytes. */
export interface MessageInput {
  value?: unknown;
  valueBase64?: string;
  key?: string;
  id?: string;
  producer?: string;
  priority?: number;
  headers?: Record<string, string>;
  partition?: number;
  /** Work queues deliver it no sooner than this many ms after it is written... */
  delayMs?: number;
  /** ...or no sooner than this wall-clock time (epoch ms). */
  notBefore?: number;
}

export type Acks = 'all' | 'leader' | '0';

export interface FetchOptions {
  offset?: number;
  maxMessages?: number;
  maxBytes?: number;
  waitMs?: number;
  signal?: AbortSignal;
}

/** Serialises one message envelope. JSON.stringify of `value` is what the broker stores, byte for byte. */
export function envelope(m: MessageInput): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  if (m.valueBase64 !== undefined) e.value_base64 = m.valueBase64;
  else e.value = m.value === undefined ? null : m.value;
  if (m.key !== undefined) e.key = m.key;
  if (m.id !== undefined) e.id = m.id;
  if (m.producer !== undefined) e.producer = m.producer;
  if (m.priority !== undefined) e.priority = m.priority;
  if (m.headers !== undefined) e.headers = m.headers;
  if (m.partition !== undefined) e.partition = m.partition;
  if (m.delayMs !== undefined) e.delay_ms = m.delayMs;
  if (m.notBefore !== undefined) e.not_before = m.notBefore;
  return e;
}

/** The typed HTTP client for one broker or lb: used by the CLI, bench, lb, top and tests. */
export class MqClient {
  readonly http: HttpTransport;
  readonly url: string;
  private readonly router: DirectRouter | undefined;

  constructor(opts: ClientOptions = {}) {
    this.url = (opts.url ?? DEFAULT_URL).replace(/\/+$/, '');
    const http = {timeoutMs: opts.timeoutMs ?? 30_000, token: opts.token, connections: opts.connections, ca: opts.ca};
    this.http = new HttpTransport(this.url, http);
    if (opts.routing === 'direct') {
      const source = {cluster: () => this.cluster(), basePartitions: async (t: string) => (await this.describeTopic(t)).base_partitions};
      this.router = new DirectRouter(source, http, this.http);
    }
  }

  /** GET /v1/cluster: brokers, the metadata leader, and each partition's replicas and leader. */
  async cluster(): Promise<WireCluster> {
    return (await this.http.request<WireCluster>({method: 'GET', path: '/v1/cluster', idempotent: true})).body;
  }

  /** Starts removing a broker: its replicas move to the others, then it leaves the membership. */
  async removeBroker(id: number): Promise<void> {
    await this.http.request({method: 'DELETE', path: `/v1/cluster/brokers/${id}`});
  }

  async rebalance(): Promise<{moves: Array<{topic: string; partition: number; replicas: number[]}>}> {
    return (await this.http.request<{moves: Array<{topic: string; partition: number; replicas: number[]}>}>({method: 'POST', path: '/v1/cluster/rebalance', body: '{}'})).body;
  }

  private topicPath(topic: string): string {
    return `/v1/topics/${encodeURIComponent(topic)}`;
  }

  async health(): Promise<{status: string}> {
    return (await this.http.request<{status: string}>({method: 'GET', path: '/health', idempotent: true})).body;
  }

  async ready(): Promise<{ready: boolean}> {
    return (await this.http.request<{ready: boolean}>({method: 'GET', path: '/ready', idempotent: true})).body;
  }

  async status<T = Record<string, unknown>>(): Promise<T> {
    return (await this.http.request<T>({method: 'GET', path: '/status', idempotent: true})).body;
  }

  async createTopic(spec: WireTopicCreate): Promise<WireTopicDescription> {
    return (await this.http.request<WireTopicDescription>({method: 'POST', path: '/v1/topics', body: JSON.stringify(spec)})).body;
  }

  /** Creates the topic unless it exists already; returns whether it created it. */
  async ensureTopic(spec: WireTopicCreate): Promise<boolean> {
    try {
      await this.createTopic(spec);
      return true;
    } catch (error) {
      if (error instanceof MqError && error.code === 'TOPIC_EXISTS') return false;
      throw error;
    }
  }

  async listTopics(): Promise<WireTopic[]> {
    return (await this.http.request<{topics: WireTopic[]}>({method: 'GET', path: '/v1/topics', idempotent: true})).body.topics;
  }

  async describeTopic(topic: string): Promise<WireTopicDescription> {
    return (await this.http.request<WireTopicDescription>({method: 'GET', path: this.topicPath(topic), idempotent: true})).body;
  }

  async updateTopic(topic: string, patch: WireTopicPatch): Promise<WireTopicDescription> {
    return (await this.http.request<WireTopicDescription>({method: 'PATCH', path: this.topicPath(topic), body: JSON.stringify(patch)})).body;
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.http.request({method: 'DELETE', path: this.topicPath(topic)});
  }

  /** Produces one message; throws its error (ID_CONFLICT, ...) as an MqError. */
  async produceOne(topic: string, message: MessageInput, opts: {acks?: Acks} = {}): Promise<WireProduceOk> {
    const res = await this.http.request<WireProduceOk | WireAccepted>({
      method: 'POST',
      path: `${this.topicPath(topic)}/messages`,
      query: {acks: opts.acks},
      body: JSON.stringify(envelope(message)),
    });
    return res.body as WireProduceOk;
  }

  /** Produces a batch; the result holds one entry per message, in order (an error entry for a failed one). */
  async produce(topic: string, messages: readonly MessageInput[], opts: {acks?: Acks} = {}): Promise<WireProduceResult[]> {
    if (this.router && opts.acks !== '0') {
      try {
        const routed = messages.map((m) => ({envelope: envelope(m), key: m.key, id: m.id, producer: m.producer, partition: m.partition}));
        return await this.router.produce(topic, routed, opts.acks);
      } catch (error) {
        // a topic not there yet: the plain path lets the broker auto-create it
        if (!(error instanceof MqError && error.code === 'TOPIC_NOT_FOUND')) throw error;
      }
    }
    const res = await this.http.request<WireProduceResponse | WireAccepted>({
      method: 'POST',
      path: `${this.topicPath(topic)}/messages`,
      query: {acks: opts.acks},
      body: JSON.stringify({messages: messages.map(envelope)}),
    });
    return 'results' in res.body ? res.body.results : [];
  }

  /** Sends pre-serialised NDJSON or a JSON batch as is (the CLI's stdin path and the benchmarks). */
  async produceRaw(topic: string, body: string | Buffer, opts: {acks?: Acks; ndjson?: boolean} = {}): Promise<WireProduceResponse | WireAccepted | WireProduceOk> {
    const res = await this.http.request<WireProduceResponse | WireAccepted | WireProduceOk>({
      method: 'POST',
      path: `${this.topicPath(topic)}/messages`,
      query: {acks: opts.acks},
      body,
      contentType: opts.ndjson ? 'application/x-ndjson' : 'application/json',
    });
    return res.body;
  }

  async fetch(topic: string, partition: number, opts: FetchOptions = {}): Promise<WireFetchResponse> {
    const res = await this.http.request<WireFetchResponse>({
      method: 'GET',
      path: `${this.topicPath(topic)}/partitions/${partition}/messages`,
      query: {offset: opts.offset, max_messages: opts.maxMessages, max_bytes: opts.maxBytes, wait_ms: opts.waitMs},
      waitMs: opts.waitMs,
      signal: opts.signal,
      idempotent: true,
    });
    return res.body;
  }

  // ---- consumer groups ----------------------------------------------------------------------------------------

  private groupPath(group: string, op?: string): string {
    return `/v1/groups/${encodeURIComponent(group)}${op ? `/${op}` : ''}`;
  }

  private async post<T>(path: string, body: unknown, opts: {waitMs?: number; signal?: AbortSignal; idempotent?: boolean} = {}): Promise<T> {
    return (await this.http.request<T>({method: 'POST', path, body: JSON.stringify(body), ...opts})).body;
  }

  async createGroup(spec: WireGroupCreate): Promise<WireGroup> {
    return this.post<WireGroup>('/v1/groups', spec);
  }

  async listGroups(): Promise<Array<WireGroup & {generation: number; members: number}>> {
    return (await this.http.request<{groups: Array<WireGroup & {generation: number; members: number}>}>({method: 'GET', path: '/v1/groups', idempotent: true})).body.groups;
  }

  async describeGroup(group: string): Promise<WireGroupDescription> {
    return (await this.http.request<WireGroupDescription>({method: 'GET', path: this.groupPath(group), idempotent: true})).body;
  }

  async deleteGroup(group: string): Promise<void> {
    await this.http.request({method: 'DELETE', path: this.groupPath(group)});
  }

  /** Moves the group's committed offsets: 'earliest', 'latest', an offset, or a time (Date, ISO string or epoch ms). */
  async resetGroup(group: string, to: 'earliest' | 'latest' | number | Date | string, only: {topic?: string; partition?: number} = {}): Promise<WireOffsets['offsets']> {
    const target = to instanceof Date ? to.toISOString() : to;
    return (await this.post<WireOffsets>(this.groupPath(group, 'reset'), {to: target, ...only})).offsets;
  }

  async join(group: string, opts: {memberId?: string; clientId?: string; topics?: string[]; from?: 'earliest' | 'latest'; sessionTimeoutMs?: number} = {}): Promise<WireJoin> {
    return this.post<WireJoin>(this.groupPath(group, 'join'), {
      member_id: opts.memberId,
      client_id: opts.clientId,
      topics: opts.topics,
      from: opts.from,
      session_timeout_ms: opts.sessionTimeoutMs,
    });
  }

  async heartbeat(group: string, memberId: string): Promise<{generation: number; assignment: WireTopicPartition[]}> {
    return this.post(this.groupPath(group, 'heartbeat'), {member_id: memberId}, {idempotent: true});
  }

  async leave(group: string, memberId: string, opts: {commit?: boolean} = {}): Promise<{left: boolean; committed: WireOffsets['offsets']}> {
    return this.post(this.groupPath(group, 'leave'), {member_id: memberId, commit: opts.commit});
  }

  async groupFetch(
    group: string,
    memberId: string,
    opts: {maxMessages?: number; maxBytes?: number; waitMs?: number; autoCommit?: boolean; positions?: WireOffsets['offsets']; signal?: AbortSignal} = {},
  ): Promise<WireGroupFetch> {
    return this.post<WireGroupFetch>(
      this.groupPath(group, 'fetch'),
      {member_id: memberId, max_messages: opts.maxMessages, max_bytes: opts.maxBytes, wait_ms: opts.waitMs, auto_commit: opts.autoCommit, positions: opts.positions},
      {waitMs: opts.waitMs, signal: opts.signal},
    );
  }

  async commit(group: string, memberId: string, generation: number, offsets: WireOffsets['offsets']): Promise<WireOffsets['offsets']> {
    return (await this.post<WireOffsets>(this.groupPath(group, 'commit'), {member_id: memberId, generation, offsets})).offsets;
  }

  // ---- work queues and receipts --------------------------------------------------------------------------------

  /** Leases up to maxMessages from a queue group (priority first, then offset); long-polls up to waitMs. */
  async lease(group: string, opts: {consumer?: string; maxMessages?: number; waitMs?: number; leaseMs?: number; signal?: AbortSignal} = {}): Promise<WireDelivery[]> {
    const body = {consumer: opts.consumer, max_messages: opts.maxMessages, wait_ms: opts.waitMs, lease_ms: opts.leaseMs};
    return (await this.post<{messages: WireDelivery[]}>(this.groupPath(group, 'fetch'), body, {waitMs: opts.waitMs, signal: opts.signal})).messages;
  }

  /**
   * Acks `ack` (the previous batch) and leases the next batch in one request: one round trip, and on the broker the
   * acks and the new leases share a commit. A failed ack is one of `acked`'s results; the leases come all the same.
   */
  async ackAndLease(group: string, ack: readonly string[], opts: {consumer?: string; maxMessages?: number; waitMs?: number; leaseMs?: number; signal?: AbortSignal} = {}): Promise<{messages: WireDelivery[]; acked: WireConfirm[]}> {
    const body = {consumer: opts.consumer, max_messages: opts.maxMessages, wait_ms: opts.waitMs, lease_ms: opts.leaseMs, ...(ack.length > 0 ? {ack} : {})};
    const r = await this.post<{messages: WireDelivery[]; acked?: {results: WireConfirm[]}}>(this.groupPath(group, 'fetch'), body, {waitMs: opts.waitMs, signal: opts.signal});
    return {messages: r.messages, acked: r.acked?.results ?? []};
  }

  private async confirm(group: string, op: 'ack' | 'progress' | 'nack', leaseIds: string | string[], extra: Record<string, unknown>): Promise<WireConfirm[]> {
    if (typeof leaseIds === 'string') {
      const r = await this.post<{lease_id: string; status: 'acked'}>(this.groupPath(group, op), {lease_id: leaseIds, ...extra});
      return [r];
    }
    return (await this.post<{results: WireConfirm[]}>(this.groupPath(group, op), {lease_ids: leaseIds, ...extra})).results;
  }

  /** Final confirm. One id: throws LEASE_EXPIRED if the lease is not current; several: one result each. */
  ack(group: string, leaseIds: string | string[]): Promise<WireConfirm[]> {
    return this.confirm(group, 'ack', leaseIds, {});
  }

  /** Temporary confirm: still working on it; extends the lease (by leaseMs, default the group's). */
  progress(group: string, leaseIds: string | string[], opts: {leaseMs?: number} = {}): Promise<WireConfirm[]> {
    return this.confirm(group, 'progress', leaseIds, {lease_ms: opts.leaseMs});
  }

  /** Give it back: redelivered (after delayMs), counting as a delivery; dead-lettered after the group's max. */
  nack(group: string, leaseIds: string | string[], opts: {delayMs?: number; error?: string} = {}): Promise<WireConfirm[]> {
    return this.confirm(group, 'nack', leaseIds, {delay_ms: opts.delayMs, error: opts.error});
  }

  /** Produces and waits until every queue group on the topic has processed each message (or timeoutMs passes). */
  async produceProcessed(topic: string, messages: readonly MessageInput[], opts: {timeoutMs?: number} = {}): Promise<Array<WireProcessedResult | WireProduceFailed>> {
    const res = await this.http.request<{results: Array<WireProcessedResult | WireProduceFailed>}>({
      method: 'POST',
      path: `${this.topicPath(topic)}/messages`,
      query: {await: 'processed', timeout_ms: opts.timeoutMs},
      body: JSON.stringify({messages: messages.map(envelope)}),
      waitMs: opts.timeoutMs ?? 30_000,
    });
    return res.body.results;
  }

  /** Sends dead letters of `topic` (from `<topic>.dlq`) back to work. */
  async redrive(topic: string, opts: {max?: number; deadLetterTopic?: string} = {}): Promise<{redriven: number; remaining: number}> {
    return this.post(`${this.topicPath(topic)}/redrive`, {max: opts.max, dead_letter_topic: opts.deadLetterTopic});
  }

  /** Has the broker POST each of this producer's receipts to `url` (retrying a failed POST up to 5 times). */
  async registerCallback(producer: string, url: string, opts: {from?: 'latest' | 'earliest'} = {}): Promise<{url: string; cursor: number}> {
    return (await this.http.request<{url: string; cursor: number}>({method: 'PUT', path: `/v1/receipts/${encodeURIComponent(producer)}/callback`, body: JSON.stringify({url, from: opts.from})})).body;
  }

  async unregisterCallback(producer: string): Promise<void> {
    await this.http.request({method: 'DELETE', path: `/v1/receipts/${encodeURIComponent(producer)}/callback`});
  }

  /** A producer's processing receipts from a cursor ('latest': only new ones); long-polls up to waitMs. */
  async receipts(producer: string, opts: {cursor?: number | 'latest'; max?: number; waitMs?: number; signal?: AbortSignal} = {}): Promise<{receipts: WireReceipt[]; next_cursor: number}> {
    const res = await this.http.request<{receipts: WireReceipt[]; next_cursor: number}>({
      method: 'GET',
      path: `/v1/receipts/${encodeURIComponent(producer)}`,
      query: {cursor: opts.cursor, max: opts.max, wait_ms: opts.waitMs},
      waitMs: opts.waitMs,
      signal: opts.signal,
      idempotent: true,
    });
    return res.body;
  }

  async close(): Promise<void> {
    await this.router?.close();
    await this.http.close();
  }
}
