import type {IncomingMessage, ServerResponse} from 'node:http';
import type {Duplex} from 'node:stream';
import {setTimeout as sleep} from 'node:timers/promises';
import {errors as undiciErrors} from 'undici';
import {MqError} from '../errors.js';
import type {Logger} from '../observe/logger.js';
import type {Clock} from '../util/clock.js';
import {AttemptHandler, type AttemptOutcome} from './attempt.js';
import {rawHeader, upstreamRequestHeaders} from './headers.js';
import type {LbConfig} from './lb-config.js';
import type {LbStats} from './lb-stats.js';
import {classifyRequest} from './retry-policy.js';
import type {Upstream} from './upstream.js';
import type {UpstreamSet} from './upstream-set.js';

export interface ProxyContext {
  config: LbConfig;
  upstreams: UpstreamSet;
  stats: LbStats;
  clock: Clock;
  logger: Logger;
  /** Open attempts that a graceful stop may end (streams). */
  streams: Set<AttemptHandler>;
  /** Upgraded connections (WebSocket tunnels), client side. */
  tunnels: Set<Duplex>;
  draining(): boolean;
}

/** Sends one of the lb's own errors (the same JSON shape as a broker's). */
export function sendError(ctx: Pick<ProxyContext, 'stats'>, res: ServerResponse, e: MqError, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return void res.destroy();
  const body = JSON.stringify(e.toBody());
  ctx.stats.countResponse(e.status);
  res.writeHead(e.status, {'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...extraHeaders});
  res.end(body);
}

/** Reads the whole request body, refusing more than `max` bytes (declared or actual). */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer | MqError> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > max) return new MqError('REQUEST_TOO_LARGE', `the request body is ${declared} bytes; the lb's limit is ${max}`);
  if (declared === undefined && req.headers['transfer-encoding'] === undefined) return EMPTY;
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) return new MqError('REQUEST_TOO_LARGE', `the request body exceeds the lb's limit of ${max} bytes`);
    chunks.push(c);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, n);
}

const EMPTY = Buffer.alloc(0);

/** The client's connection (the request's socket: a pipelined response gets its socket only when its turn comes). */
const clientGone = (res: ServerResponse): boolean => res.destroyed || res.req.socket.destroyed;

/** Long-polls and streams answer late by design: their header latency says nothing about the upstream. */
const isLongRequest = (url: string): boolean => /[?&]wait_ms=[1-9]/.test(url) || /\/stream(?:\?|$)/.test(url);

function failureText(o: AttemptOutcome): string {
  if (o.kind === 'failed' || o.kind === 'broken') return `${o.error.name}: ${(o.error as {code?: string}).code ?? o.error.message}`;
  return `HTTP ${'status' in o ? o.status : '?'}`;
}

/** The lb's answer when every attempt it was allowed failed. */
function finalError(o: AttemptOutcome | undefined, retriable: boolean, isRead: boolean): MqError {
  if (!o || (o.kind === 'failed' && !o.sent)) return new MqError('NO_UPSTREAM', o ? `no upstream could be reached (${failureText(o)})` : 'no healthy upstream');
  const written = isRead ? false : 'unknown';
  if (o.kind === 'failed' && (o.error instanceof undiciErrors.HeadersTimeoutError || o.error instanceof undiciErrors.BodyTimeoutError)) {
    return new MqError('TIMEOUT', 'the broker did not answer in time', undefined, written);
  }
  const why = retriable ? 'on every attempt' : 'and the request is not safe to repeat on another broker';
  return new MqError('UPSTREAM_FAILED', `the broker failed after the request was sent (${failureText(o)}) ${why}`, undefined, written);
}

/**
 * Proxies one client request: reads its body (bounded), picks an upstream, streams the answer back, and tries
 * another upstream when that is safe (retry-policy.ts), with a short backoff once every upstream has been tried.
 */
export async function proxyRequest(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const {config, stats} = ctx;
  const url = req.url ?? '/';
  if (!url.startsWith('/')) return sendError(ctx, res, new MqError('BAD_REQUEST', 'the request target must be a path (origin-form); the lb is not a forward proxy'), {connection: 'close'});
  const body = await readBody(req, config.requestBytesMax).catch(() => undefined);
  if (body === undefined) return; // the client went away while sending
  if (body instanceof MqError) return sendError(ctx, res, body, {connection: 'close'});
  stats.bytesIn += body.length;
  const method = req.method ?? 'GET';
  const kind = classifyRequest(method, url, req.headers['content-type'], body);
  stats.messagesIn += kind.messages;
  const headers = upstreamRequestHeaders(req);
  const isRead = method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
  const attempts = 1 + config.retries;
  const tried = new Set<string>();
  let last: AttemptOutcome | undefined;

  for (let n = 0; n < attempts; n++) {
    if (clientGone(res)) return;
    const up = ctx.upstreams.pick(tried);
    if (!up) break;
    if (n > 0) {
      stats.retries++;
      // an election or a restart is in progress somewhere: wait a little before asking a broker a second time
      if (tried.has(up.url) || last?.kind === 'retry-status') await sleep(config.retryBackoffMs * n);
      if (clientGone(res)) return;
    }
    tried.add(up.url);
    const outcome = await attempt(ctx, up, res, {method, url, headers, body, retryStatus: kind.retriable && n < attempts - 1});
    if (outcome.kind === 'done' || outcome.kind === 'broken') return;
    last = outcome;
    // a request that never left may go anywhere; one that may have arrived only when repeating it is safe
    const again = outcome.kind === 'retry-status' || !outcome.sent || kind.retriable;
    if (!again) break;
    up.retriedAway++;
  }
  const e = finalError(last, kind.retriable, isRead);
  if (e.code === 'NO_UPSTREAM') stats.noUpstream++;
  stats.errors++;
  stats.lastError = {at: ctx.clock.now(), message: `${method} ${url.split('?')[0]}: ${e.code}: ${e.message}`};
  ctx.logger.warn({method, url, code: e.code, attempts: tried.size}, 'request failed at the lb');
  sendError(ctx, res, e, e.code === 'NO_UPSTREAM' ? {'retry-after': '1'} : {});
}

interface AttemptRequest {
  method: string;
  url: string;
  headers: string[];
  body: Buffer;
  retryStatus: boolean;
}

/** One attempt on one upstream, with its accounting (in-flight, latency, passive health). */
async function attempt(ctx: ProxyContext, up: Upstream, res: ServerResponse, r: AttemptRequest): Promise<AttemptOutcome> {
  const {config, stats} = ctx;
  const t0 = performance.now();
  let stream = false;
  const handler = new AttemptHandler(res, {
    retryStatus: r.retryStatus,
    onHeaders: (status, rawHeaders, relayed) => {
      if (!isLongRequest(r.url)) up.latency.add(performance.now() - t0);
      up.countResponse(status);
      if (relayed && rawHeader(rawHeaders, 'content-type')?.startsWith('text/event-stream')) {
        stream = true;
        up.openStreams++;
        ctx.streams.add(handler);
      }
      if (ctx.draining()) res.shouldKeepAlive = false;
    },
    onBodyBytes: (bytes) => (stats.bytesOut += bytes),
    onQueued: (bytes) => {
      if (stream && bytes > stats.streamQueuedBytesMax) stats.streamQueuedBytesMax = bytes;
    },
  });
  const onClose = (): void => {
    if (!res.writableFinished) handler.clientGone();
  };
  res.once('close', onClose);
  up.inFlight++;
  up.requests++;
  try {
    up.pool.dispatch(
      {
        method: r.method as 'GET',
        path: r.url,
        headers: r.headers,
        body: r.body.length > 0 || !['GET', 'HEAD'].includes(r.method) ? r.body : null,
        headersTimeout: config.upstreamHeadersTimeoutMs,
        bodyTimeout: config.streamIdleTimeoutMs,
        // the lb decides about retries itself (retry-policy.ts); undici must not repeat anything on its own
        idempotent: false,
      },
      handler,
    );
    const outcome = await handler.outcome;
    if (outcome.kind === 'done' && outcome.status < 499) {
      up.health.requestSucceeded();
      stats.countResponse(outcome.status);
    } else if (outcome.kind === 'failed' || outcome.kind === 'broken') {
      up.failures++;
      if (up.health.requestFailed(failureText(outcome))) ctx.logger.warn({upstream: up.url, error: failureText(outcome), forMs: config.failTimeoutMs}, 'upstream ejected');
      if (outcome.kind === 'broken') stats.countResponse(502);
    }
    return outcome;
  } finally {
    up.inFlight--;
    res.off('close', onClose);
    if (stream) {
      up.openStreams--;
      ctx.streams.delete(handler);
    }
  }
}
