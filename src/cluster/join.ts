import {createHmac, timingSafeEqual} from 'node:crypto';
import {Agent, request} from 'undici';
import {MqError} from '../errors.js';
import {peerConnectOptions, type PeerTls} from '../security/tls-settings.js';

/** The header that proves a join request comes from a broker holding the cluster secret. */
export const JOIN_AUTH = 'x-mq-join-auth';

export interface JoinRequest {
  node_id: number;
  /** host:port the others dial for this broker's peer listener. */
  peer: string;
  url: string;
  peer_url: string;
  version: string;
  /** Random per data directory: a known id with a new incarnation lost its data and re-syncs. */
  incarnation: string;
}

export interface JoinResponse {
  cluster_id: string;
  brokers: Array<{id: number; peer: string}>;
  rejoined: boolean;
}

export function joinMac(secret: Buffer, body: string | Buffer): string {
  return createHmac('sha256', secret).update('mq-join\0').update(body).digest('hex');
}

export function verifyJoinMac(secret: Buffer, body: Buffer, mac: unknown): boolean {
  if (typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)) return false;
  return timingSafeEqual(Buffer.from(joinMac(secret, body), 'hex'), Buffer.from(mac, 'hex'));
}

/**
 * Asks a running cluster (through any member's client URL; it forwards to the metadata leader) to admit this broker.
 * Retries while the cluster cannot answer (an election, a member starting); gives up on a refusal.
 */
export async function requestJoin(url: string, secret: Buffer, req: JoinRequest, opts: {timeoutMs: number; signal?: AbortSignal; tls?: PeerTls}): Promise<JoinResponse> {
  const body = JSON.stringify(req);
  const deadline = Date.now() + opts.timeoutMs;
  // a cluster with peer TLS answers on https signed by its CA
  const connect = peerConnectOptions(opts.tls);
  const dispatcher = connect ? new Agent({connect}) : undefined;
  try {
    return await joinLoop(url, secret, body, deadline, dispatcher, opts.signal);
  } finally {
    void dispatcher?.close();
  }
}

async function joinLoop(url: string, secret: Buffer, body: string, deadline: number, dispatcher: Agent | undefined, signal: AbortSignal | undefined): Promise<JoinResponse> {
  let last: unknown;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      const res = await request(`${url.replace(/\/+$/, '')}/v1/cluster/join`, {
        method: 'POST',
        headers: {'content-type': 'application/json', [JOIN_AUTH]: joinMac(secret, body)},
        body,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
        dispatcher,
      });
      const doc = (await res.body.json().catch(() => undefined)) as unknown;
      if (res.statusCode === 200) return doc as JoinResponse;
      const err = MqError.fromBody(res.statusCode, doc);
      if (!err.retriable) throw err;
      last = err;
    } catch (error) {
      if (error instanceof MqError && !error.retriable) throw error;
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new MqError('UNAVAILABLE', `could not join the cluster through ${url}: ${last instanceof Error ? last.message : String(last)}`, {url}, false);
}
