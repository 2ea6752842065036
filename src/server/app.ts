import Fastify, {type FastifyError, type FastifyInstance, type FastifyReply} from 'fastify';
import type {Broker} from '../broker/broker.js';
import {MqError} from '../errors.js';
import type {StatusExtras} from '../observe/status.js';
import {groupRoutes} from './routes/groups.js';
import {healthRoutes} from './routes/health.js';
import {queueRoutes} from './routes/queue.js';
import {receiptRoutes} from './routes/receipts.js';
import {streamRoutes} from './routes/stream.js';
import {wsRoutes} from './routes/ws.js';
import {clusterRouting} from './cluster-routing.js';
import {clusterRoutes} from './routes/cluster.js';
import {corsHeaders} from './cors.js';
import {messageRoutes} from './routes/messages.js';
import {observeRoutes} from './routes/observe.js';
import {opsRoutes} from './routes/ops.js';
import {topicRoutes} from './routes/topics.js';
import {tokenRoutes} from './routes/tokens.js';
import {installAuth} from '../security/auth-hook.js';
import {clientErrorHandler, headersCountHook, httpServerOptions, refuseOversizedContinue} from './limits.js';

/** Routes by path pattern, so that a known path with the wrong method answers 405 with Allow, not 404. */
const KNOWN: Array<[RegExp, string]> = [
  [/^\/(health|ready|status)$/, 'GET'],
  [/^\/v1\/cluster$/, 'GET'],
  [/^\/v1\/cluster\/(join|rebalance)$/, 'POST'],
  [/^\/v1\/cluster\/brokers\/[^/]+$/, 'DELETE'],
  [/^\/v1\/debug\/replica\/[^/]+\/[^/]+$/, 'GET'],
  [/^\/v1\/topics$/, 'GET, POST'],
  [/^\/v1\/topics\/[^/]+$/, 'GET, PATCH, DELETE'],
  [/^\/v1\/topics\/[^/]+\/messages$/, 'POST'],
  [/^\/v1\/topics\/[^/]+\/redrive$/, 'POST'],
  [/^\/v1\/topics\/[^/]+\/partitions\/[^/]+\/messages$/, 'GET'],
  [/^\/v1\/topics\/[^/]+\/stream$/, 'GET, OPTIONS'],
  [/^\/v1\/ws$/, 'GET'],
  [/^\/v1\/receipts\/[^/]+(\/stream)?$/, 'GET'],
  [/^\/v1\/receipts\/[^/]+\/callback$/, 'GET, PUT, DELETE'],
  [/^\/v1\/groups$/, 'GET, POST'],
  [/^\/v1\/groups\/[^/]+$/, 'GET, DELETE'],
  [/^\/v1\/groups\/[^/]+\/(join|heartbeat|leave|fetch|commit|reset|ack|progress|nack)$/, 'POST'],
  [/^\/v1\/tokens$/, 'GET, POST'],
  [/^\/v1\/tokens\/ephemeral$/, 'POST, DELETE'],
  [/^\/v1\/tokens\/[^/]+$/, 'DELETE'],
];

/** Fastify's own errors, mapped to mq's stable codes. */
function fromFastify(err: FastifyError): MqError {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new MqError('REQUEST_TOO_LARGE', err.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new MqError('UNSUPPORTED_MEDIA_TYPE', err.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new MqError('BAD_REQUEST', err.message);
    default:
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new MqError('BAD_REQUEST', err.message);
      return new MqError('INTERNAL', 'internal error');
  }
}

function sendMqError(reply: FastifyReply, e: MqError): FastifyReply {
  return reply.code(e.status).type('application/json; charset=utf-8').send(JSON.stringify(e.toBody()));
}

export interface AppOptions {
  extras: () => StatusExtras;
  /** Serve https with this certificate and key (PEM). */
  https?: {cert: Buffer; key: Buffer};
}

export function buildApp(broker: Broker, opts: AppOptions): FastifyInstance {
  const cfg = broker.config;
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    requestTimeout: cfg.requestTimeoutMs,
    keepAliveTimeout: cfg.keepAliveTimeoutMs,
    routerOptions: {maxParamLength: 512},
    // head size, slow heads and bodies (limits.ts); the answers to what Node's parser refuses are mq JSON errors
    http: httpServerOptions(cfg),
    clientErrorHandler,
    // a path that is not valid percent-encoded UTF-8 never reaches the router: answer it like any other bad request
    frameworkErrors: (err, _req, reply) => sendMqError(reply, new MqError('BAD_REQUEST', err.message)),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // fastify's types set http and https servers apart; the server is the same to every route
    ...(opts.https ? ({https: {...httpServerOptions(cfg), ...opts.https, minVersion: 'TLSv1.2'}} as object) : {}),
  });
  app.server.maxHeadersCount = cfg.httpHeadersCountMax + 1;
  refuseOversizedContinue(app.server, Math.max(cfg.requestBytesMax, 1024 * 1024));
  app.addHook('onRequest', headersCountHook(cfg.httpHeadersCountMax));
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', {parseAs: 'buffer'}, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req, reply) => {
    const headers = corsHeaders(cfg.corsOrigins, req.headers.origin);
    for (const [k, v] of Object.entries(headers)) void reply.header(k, v);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) return reply.code(204).send();
  });

  app.setErrorHandler((error: FastifyError | MqError, req, reply) => {
    const e = error instanceof MqError ? error : fromFastify(error as FastifyError);
    if (e.code === 'INTERNAL') broker.logger.error({err: error, url: req.url, method: req.method}, 'request failed');
    if (e.status === 429 && e.details?.retry_after_s) void reply.header('retry-after', String(e.details.retry_after_s));
    // the rest of an oversized body is not worth reading (Node would drain it to keep the connection): close instead
    if (e.code === 'REQUEST_TOO_LARGE') void reply.header('connection', 'close');
    return reply.code(e.status).type('application/json; charset=utf-8').send(JSON.stringify(e.toBody()));
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const known = KNOWN.find(([re]) => re.test(path));
    const e = known
      ? new MqError('METHOD_NOT_ALLOWED', `${req.method} is not supported on ${path} (allowed: ${known[1]})`)
      : new MqError('NOT_FOUND', `no endpoint ${req.method} ${path}`);
    if (known) void reply.header('allow', known[1]);
    return reply.code(e.status).type('application/json; charset=utf-8').send(JSON.stringify(e.toBody()));
  });

  // before cluster routing: nothing is forwarded (or served) unauthenticated
  installAuth(app, broker);
  clusterRouting(app, broker);
  healthRoutes(app, broker, opts.extras);
  clusterRoutes(app, broker);
  topicRoutes(app, broker);
  messageRoutes(app, broker);
  groupRoutes(app, broker);
  streamRoutes(app, broker);
  wsRoutes(app, broker);
  queueRoutes(app, broker);
  receiptRoutes(app, broker);
  tokenRoutes(app, broker);
  observeRoutes(app, broker, opts.extras);
  opsRoutes(app, broker);
  return app;
}
