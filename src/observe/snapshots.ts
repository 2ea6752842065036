import {MqClient} from '../client/index.js';
import {MqError} from '../errors.js';
import type {StatusModel} from './status-model.js';

/** One poll of one URL: its /status, or why it could not be had. */
/** `restarts`: set when a supervisor (`mq up`) runs the node: how often it restarted it. */
export type BrokerSnapshot =
  | {url: string; ok: true; status: StatusModel; fetchedAt: number; latencyMs: number; restarts?: number}
  | {url: string; ok: false; error: {code: string; message: string}; fetchedAt: number; restarts?: number};

export interface Health {
  healthy: boolean;
  /** Why it is unhealthy (empty when healthy). */
  problems: string[];
  /** Worth a look, but serving: under-replicated partitions, unsafe durability. */
  warnings: string[];
}

/**
 * `--url a --url b,c` → [a, b, c], without duplicates or trailing slashes. oclif hands a multiple flag set from its
 * environment variable (MQ_URL) over as one string, not an array: both are accepted.
 */
export function splitUrls(values: string | readonly string[]): string[] {
  const out: string[] = [];
  for (const v of typeof values === 'string' ? [values] : values) {
    for (const u of v.split(',')) {
      const url = u.trim().replace(/\/+$/, '');
      if (url && !out.includes(url)) out.push(url);
    }
  }
  return out;
}

/**
 * Polls /status of several brokers (or lbs) at once, keeping one connection pool per URL across polls. Used by
 * `mq status` and `mq top`; an unreachable URL is a snapshot with an error, never an exception.
 */
export class StatusPoller {
  private readonly clients: Map<string, MqClient>;

  constructor(
    readonly urls: readonly string[],
    opts: {token?: string; ca?: string; timeoutMs?: number} = {},
  ) {
    this.clients = new Map(urls.map((url) => [url, new MqClient({url, token: opts.token, ca: opts.ca, timeoutMs: opts.timeoutMs ?? 5000})]));
  }

  async poll(): Promise<BrokerSnapshot[]> {
    return Promise.all(
      [...this.clients].map(async ([url, client]): Promise<BrokerSnapshot> => {
        const t0 = performance.now();
        try {
          const status = await client.status<StatusModel>();
          if (typeof status !== 'object' || status === null || typeof status.node !== 'object') throw new MqError('INTERNAL', `${url}/status did not answer with an mq status document`);
          return {url, ok: true, status, fetchedAt: Date.now(), latencyMs: Math.round(performance.now() - t0)};
        } catch (error) {
          const e = error instanceof MqError ? error : new MqError('INTERNAL', (error as Error).message);
          return {url, ok: false, error: {code: e.code, message: e.message}, fetchedAt: Date.now()};
        }
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.clients.values()].map((c) => c.close()));
  }
}

/** Healthy: answers, is serving (what /ready says), and every partition it knows of has a leader. */
export function healthOf(s: BrokerSnapshot): Health {
  if (!s.ok) return {healthy: false, problems: [`unreachable (${s.error.code}: ${s.error.message})`], warnings: []};
  const st = s.status;
  if (st.node.role === 'lb') return lbHealth(st);
  const problems: string[] = [];
  const warnings: string[] = [];
  if (st.node.state !== 'serving') problems.push(`node ${st.node.id} is ${st.node.state}`);
  const parts = st.cluster?.partitions;
  if (parts && parts.leaderless > 0) problems.push(`${parts.leaderless} partition(s) without a leader`);
  if (st.cluster && st.cluster.metadata_leader === null) problems.push('no metadata leader (the cluster is forming, or has lost its majority)');
  if (parts && parts.under_replicated > 0) warnings.push(`${parts.under_replicated} partition(s) under-replicated`);
  for (const b of st.cluster?.brokers ?? []) if (b.status === 'unreachable') warnings.push(`broker ${b.id} (${b.url}) unreachable from node ${st.node.id}`);
  if (st.storage && st.storage.synchronous !== 'FULL') warnings.push(`UNSAFE durability: synchronous=${st.storage.synchronous}`);
  return {healthy: problems.length === 0, problems, warnings};
}

/** An lb is healthy while it serves and at least one of its upstreams takes requests; each one out is a warning. */
function lbHealth(st: StatusModel): Health {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (st.node.state !== 'serving') problems.push(`lb is ${st.node.state}`);
  const ups = st.lb?.upstreams ?? [];
  if (!ups.some((u) => u.state === 'up' || u.state === 'unknown')) problems.push('no healthy upstream');
  for (const u of ups) if (u.state === 'down' || u.state === 'ejected') warnings.push(`upstream ${u.url} is ${u.state}${u.last_error ? ` (${u.last_error})` : ''}`);
  return {healthy: problems.length === 0, problems, warnings};
}

export const allHealthy = (snapshots: readonly BrokerSnapshot[]): boolean => snapshots.every((s) => healthOf(s).healthy);
