import http, {type IncomingMessage, type ServerResponse} from 'node:http';
import https from 'node:https';
import type {Socket} from 'node:net';
import type {Duplex} from 'node:stream';
import {parseHostPort} from '../config/index.js';
import {MqError} from '../errors.js';
import {LoopDelayMonitor} from '../observe/loop-delay.js';
import {silentLogger, type Logger} from '../observe/logger.js';
import type {StatusModel} from '../observe/status-model.js';
import {systemClock, type Clock} from '../util/clock.js';
import type {AttemptHandler} from './attempt.js';
import {Discovery} from './discovery.js';
import {HealthChecker} from './health-checker.js';
import type {LbConfig} from './lb-config.js';
import {LbStats} from './lb-stats.js';
import {lbServerTls} from './lb-tls.js';
import {buildLbStatus, LbRates} from './lb-status.js';
import {proxyRequest, sendError, type ProxyContext} from './proxy.js';
import {proxyUpgrade} from './upgrade.js';
import {UpstreamSet} from './upstream-set.js';

export interface RunningLb {
  url: string;
  port: number;
  upstreams: UpstreamSet;
  stats: LbStats;
  status(): StatusModel;
  /** Graceful: stop accepting, end streams (they resume elsewhere), let requests finish up to drainTimeoutMs. */
  close(): Promise<void>;
}

const OWN = new Set(['/health', '/ready', '/status']);

function urlFor(host: string, port: number, scheme: 'http' | 'https'): string {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${h}:${port}`;
}

/** Node's parser refused the request (malformed, ambiguous framing, headers too large, too slow): a JSON answer, then close. */
function clientError(err: Error & {code?: string}, socket: Socket): void {
  // a request whose body turned out malformed may already have a response object: answer unless it has begun
  const pending = (socket as Socket & {_httpMessage?: {headersSent?: boolean}})._httpMessage;
  if (!socket.writable || pending?.headersSent) return void socket.destroy();
  const e =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new MqError('HEADERS_TOO_LARGE', 'the request headers exceed the lb\'s limit')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new MqError('TIMEOUT', 'the request was not received in time', undefined, false)
        : new MqError('BAD_REQUEST', `malformed HTTP request (${err.code ?? err.message})`);
  const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : e.status;
  const body = JSON.stringify(e.toBody());
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/**
 * `mq lb`: a plain node:http server (not fastify: the lb routes nothing but three paths of its own, and passes
 * everything else through byte for byte, streaming, which a raw request/response pair does with the least in
 * between) in front of undici pools, one per upstream.
 */
export async function startLb(config: LbConfig, opts: {logger?: Logger; clock?: Clock} = {}): Promise<RunningLb> {
  const logger = opts.logger ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const stats = new LbStats();
  const upstreams = new UpstreamSet(config, clock, logger);
  const streams = new Set<AttemptHandler>();
  const tunnels = new Set<Duplex>();
  let draining = false;
  let url = '';
  const ctx: ProxyContext = {config, upstreams, stats, clock, logger, streams, tunnels, draining: () => draining};
  const health = new HealthChecker(upstreams, config, logger);
  upstreams.onAdded = (u) => void health.check(u);
  const discovery = config.discover.length > 0 ? new Discovery(upstreams, config, logger) : undefined;
  const loopDelay = new LoopDelayMonitor(config.statusRateWindowMs);
  const sources = {config, clock, stats, upstreams, discovery, loopDelay, url: () => url, startedAt: clock.now(), draining: () => draining, openStreams: () => streams.size};
  const rates = new LbRates(sources, config.statusRateWindowMs);
  const status = (): StatusModel => buildLbStatus(sources, rates);

  const inOrder = new WeakMap<Socket, Promise<void>>();
  const own = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(ctx, res, new MqError('METHOD_NOT_ALLOWED', `${req.method} is not supported on ${path} (allowed: GET)`), {allow: 'GET'});
    let code = 200;
    let doc: unknown;
    if (path === '/health') doc = {status: 'ok', role: 'lb'};
    else if (path === '/ready') {
      const ready = !draining && upstreams.anyEligible;
      code = ready ? 200 : 503;
      doc = ready ? {ready: true, role: 'lb'} : {ready: false, reason: draining ? 'stopping' : 'no healthy upstream'};
    } else doc = status();
    const body = JSON.stringify(doc);
    stats.countResponse(code);
    res.writeHead(code, {'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store'});
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const serverTls = lbServerTls(config);
  const create = serverTls ? (o: http.ServerOptions, h: http.RequestListener) => https.createServer({...o, ...serverTls, minVersion: 'TLSv1.2'}, h) : http.createServer;
  const server = create(
    {
      maxHeaderSize: config.headerBytesMax,
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: Math.min(config.requestTimeoutMs, config.headersTimeoutMs),
      keepAliveTimeout: config.keepAliveTimeoutMs,
      // Node checks both timeouts on this interval (30 s by default): a quarter keeps a slow head's cut-off near the setting
      connectionsCheckingInterval: Math.min(Math.max(Math.floor(Math.min(config.requestTimeoutMs, config.headersTimeoutMs) / 4), 50), 30_000),
      // never the lenient parser: ambiguous framing is refused here, before anything goes upstream
      insecureHTTPParser: false,
      // checked in the handler instead, so that the answer is a JSON error like every other
      requireHostHeader: false,
      noDelay: true,
    },
    (req, res) => {
      stats.requests++;
      stats.inFlight++;
      res.once('close', () => stats.inFlight--);
      if (draining) res.shouldKeepAlive = false;
      if (!req.headers.host && req.httpVersionMinor >= 1) return sendError(ctx, res, new MqError('BAD_REQUEST', 'an HTTP/1.1 request needs a Host header'), {connection: 'close'});
      const path = (req.url ?? '/').split('?')[0]!;
      if (OWN.has(path)) return own(req, res, path);
      // requests pipelined on one connection go upstream one after the other, in the order they came (as nginx does)
      const before = inOrder.get(req.socket);
      const run = (): Promise<void> =>
        proxyRequest(ctx, req, res).catch((err: unknown) => {
          logger.error({err, url: req.url}, 'proxy failed');
          sendError(ctx, res, new MqError('INTERNAL', 'internal error in the lb'));
        });
      const mine = before ? before.then(run) : run();
      inOrder.set(req.socket, mine);
      void mine.then(() => {
        if (inOrder.get(req.socket) === mine) inOrder.delete(req.socket);
      });
    },
  );
  server.maxConnections = config.connectionsMax;
  server.on('connection', (socket: Socket) => {
    stats.connections++;
    socket.once('close', () => stats.connections--);
  });
  server.on('clientError', clientError);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => proxyUpgrade(ctx, req, socket, head));

  if (discovery) await discovery.start();
  else upstreams.sync(config.upstreams);
  health.start();

  const {host, port} = parseHostPort(config.listen);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => (server.off('error', reject), resolve()));
    });
  } catch (error) {
    health.stop();
    discovery?.stop();
    rates.stop();
    loopDelay.stop();
    upstreams.destroy();
    throw error;
  }
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  url = config.advertise ?? urlFor(host, actualPort, serverTls ? 'https' : 'http');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // streams never end by themselves and resume anywhere with Last-Event-ID: end them now
      for (const s of streams) s.endForDrain();
      for (const t of tunnels) t.destroy();
      // a keep-alive connection whose answer was already under way when the drain began goes idle later: close it then
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => server.closeAllConnections(), config.drainTimeoutMs);
      server.closeIdleConnections();
      await closed;
      clearInterval(idle);
      clearTimeout(deadline);
      health.stop();
      discovery?.stop();
      rates.stop();
      loopDelay.stop();
      await upstreams.close();
    })());

  return {url, port: actualPort, upstreams, stats, status, close};
}
