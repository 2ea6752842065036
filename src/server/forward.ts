import {errors as undiciErrors, type Dispatcher} from 'undici';
import type {PeerHttp} from '../cluster/peer-http.js';
import type {FastifyReply, FastifyRequest} from 'fastify';
import {MqError} from '../errors.js';
import {clientGone} from './http-util.js';

/** Set by a client that routes by itself: answer 421 NOT_LEADER with the leader's address instead of forwarding. */
export const NO_FORWARD = 'x-mq-no-forward';
/** How many brokers a request has passed through; a forwarded request may be forwarded once more (non-replicas). */
export const HOPS = 'x-mq-hops';
const HOPS_MAX = 2;

const PASS_REQUEST = ['content-type', 'accept', 'authorization', 'last-event-id', 'origin', 'user-agent', 'x-mq-join-auth'];
const PASS_RESPONSE = ['content-type', 'retry-after', 'cache-control', 'allow', 'location'];

export function hopsOf(req: FastifyRequest): number {
  const n = Number(req.headers[HOPS] ?? 0);
  return Number.isSafeInteger(n) && n >= 0 ? n : HOPS_MAX;
}

export function forwardingAllowed(req: FastifyRequest): boolean {
  return req.headers[NO_FORWARD] !== '1' && req.headers[NO_FORWARD] !== 'true';
}

/** Whether a failed forward could have reached the other broker (and so maybe written). */
function forwardError(error: unknown, url: string, method: string): MqError {
  const code = (error as {code?: string}).code ?? '';
  const before = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'].includes(code);
  const written = method === 'GET' || before ? false : 'unknown';
  if (error instanceof undiciErrors.HeadersTimeoutError) return new MqError('TIMEOUT', `the leader at ${url} did not answer in time`, {leader_url: url}, written);
  return new MqError('UNAVAILABLE', `cannot reach the leader at ${url}: ${(error as Error).message}`, {leader_url: url, cause: code}, written);
}

/**
 * Proxies this request to another broker and relays its answer (streaming, so SSE and long-polls pass through). The
 * other broker sees the hop count and this broker's id; it answers with its own errors, which pass through as-is.
 */
export async function forwardRequest(
  peers: PeerHttp,
  req: FastifyRequest,
  reply: FastifyReply,
  url: string,
  self: number,
  timeoutMs: number,
  sign: (method: string, path: string, body?: Buffer) => Record<string, string> = () => ({}),
): Promise<true> {
  const headers: Record<string, string> = {[HOPS]: String(hopsOf(req) + 1), 'x-mq-forwarded-by': String(self)};
  for (const h of PASS_REQUEST) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const body = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body : undefined;
  // the client's Authorization travels on; the signature says this broker already authorized the request
  Object.assign(headers, sign(req.method, req.url, body));
  let res: Dispatcher.ResponseData;
  try {
    res = await peers.pool(url).request({
      method: req.method as Dispatcher.HttpMethod,
      path: req.url,
      headers,
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: 0,
      signal: clientGone(reply),
    });
  } catch (error) {
    throw forwardError(error, url, req.method);
  }
  void reply.code(res.statusCode);
  for (const h of PASS_RESPONSE) {
    const v = res.headers[h];
    if (typeof v === 'string') void reply.header(h, v);
  }
  void reply.header('x-mq-served-by-url', url);
  void reply.send(res.body);
  // not the reply itself: a FastifyReply is thenable, and awaiting it yields undefined once sent
  return true;
}

/** The 421 a routing-aware client gets: who leads, and where. */
export function notLeader(what: string, leader: number, leaderUrl: string | null, extra: Record<string, unknown> = {}): MqError {
  return new MqError('NOT_LEADER', `this broker does not lead ${what}${leader ? `; broker ${leader} does` : ' (no leader is known yet)'}`, {...extra, leader, leader_url: leaderUrl}, false);
}

export function tooManyHops(req: FastifyRequest): boolean {
  return hopsOf(req) >= HOPS_MAX;
}
