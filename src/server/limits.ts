import http, {type ServerOptions} from 'node:http';
import type {Server as NetServer, Socket} from 'node:net';
import tls from 'node:tls';
import type {FastifyRequest} from 'fastify';
import type {Limits} from '../config/limits.js';
import {MqError} from '../errors.js';

/**
 * Connection-level limits: what Node's HTTP server enforces before a request reaches a route (head size and count,
 * slow heads and bodies, idle keep-alive, open connections) and the answers a client gets for each, in the same JSON
 * shape as every other mq error.
 */
type HttpLimits = Pick<Limits, 'httpHeadersBytesMax' | 'httpHeadersCountMax' | 'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs'>;

/** Options for http.createServer (and https.createServer: TLS servers take the same ones). */
export function httpServerOptions(cfg: HttpLimits): ServerOptions {
  // Node refuses a headers timeout longer than the request timeout
  const headersTimeout = Math.min(cfg.headersTimeoutMs, cfg.requestTimeoutMs);
  return {
    maxHeaderSize: cfg.httpHeadersBytesMax,
    headersTimeout,
    requestTimeout: cfg.requestTimeoutMs,
    keepAliveTimeout: cfg.keepAliveTimeoutMs,
    // Node checks both timeouts on this interval (30 s by default, which would let a slow head live 30 s past a short
    // headersTimeout): a quarter of the timeout keeps the cut-off within 1.25 times the setting
    connectionsCheckingInterval: Math.min(Math.max(Math.floor(headersTimeout / 4), 50), 30_000),
  };
}

/** A whole HTTP/1.1 response for a socket no request object will answer (the head never parsed, or was refused). */
export function rawErrorResponse(e: MqError, status = e.status): string {
  const body = JSON.stringify(e.toBody());
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/** Writes the answer, then closes; a peer that never reads does not keep the socket open past the flush. */
function answerAndClose(socket: Socket, e: MqError): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(rawErrorResponse(e), () => socket.destroy());
}

/**
 * Fastify's clientErrorHandler: Node's parser refused the request (malformed or ambiguous framing, a head over
 * httpHeadersBytesMax, a head or body slower than its timeout). Nothing reached a route, so nothing was written.
 */
export function clientErrorHandler(err: Error & {code?: string}, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // a response already under way for this socket cannot be followed by another: just close
  const pending = (socket as Socket & {_httpMessage?: {headersSent?: boolean}})._httpMessage;
  if (pending?.headersSent) return void socket.destroy();
  const e =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new MqError('HEADERS_TOO_LARGE', 'the request head exceeds httpHeadersBytesMax')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new MqError('REQUEST_TIMEOUT', 'the request was not received in time (headersTimeoutMs / requestTimeoutMs)')
        : new MqError('BAD_REQUEST', `malformed HTTP request (${err.code ?? 'parse error'})`);
  answerAndClose(socket, e);
}

/**
 * Node keeps at most maxHeadersCount headers and silently drops the rest; keeping one more than the limit lets this
 * onRequest hook see that a request had too many and refuse it, rather than serve it with headers missing.
 */
export function headersCountHook(max: number): (req: FastifyRequest) => Promise<void> {
  return async (req) => {
    if (req.raw.rawHeaders.length / 2 > max) throw new MqError('HEADERS_TOO_LARGE', `the request has more than ${max} headers (httpHeadersCountMax)`);
  };
}

/** How many raw sockets past the limit may wait for their 503 before Node drops new ones unanswered. */
const REFUSING_MAX = 256;

/**
 * Caps open connections: one past `max` gets a 503 TOO_MANY_CONNECTIONS at once, unread, and is closed. A TLS server
 * answers after the handshake (a plain-text answer on a TLS socket would be noise).
 */
export function capConnections(server: NetServer, max: number): () => number {
  let open = 0;
  server.maxConnections = max + REFUSING_MAX;
  const event = server instanceof tls.Server ? 'secureConnection' : 'connection';
  server.on(event, (socket: Socket) => {
    if (open >= max) return answerAndClose(socket, new MqError('TOO_MANY_CONNECTIONS', `the broker holds its limit of ${max} connections (connectionsMax)`));
    open++;
    socket.once('close', () => open--);
  });
  return () => open;
}

/**
 * Waits until a response's buffered bytes drain. A reader that takes nothing for `stallMs` is cut off: the response
 * is destroyed (the caller sees 'close'), so a client that stops reading holds neither memory nor a stream forever.
 */
export function drained(res: http.ServerResponse, stallMs: number): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const stall = setTimeout(() => res.destroy(), stallMs);
    const done = (): void => {
      clearTimeout(stall);
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/**
 * `Expect: 100-continue`: Node would answer 100 at once, inviting the body before any route looked at its size. A
 * declared body larger than any route takes is refused 413 without the 100 (the client never sends it); anything
 * else gets its 100 and goes on as a normal request.
 */
export function refuseOversizedContinue(server: http.Server, bytesMax: number): void {
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > bytesMax) {
      const body = JSON.stringify(new MqError('REQUEST_TOO_LARGE', `the request body (${declared} bytes) is over the limit of ${bytesMax}`).toBody());
      res.writeHead(413, {'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close'});
      res.end(body);
      return;
    }
    res.writeContinue();
    server.emit('request', req, res);
  });
}
