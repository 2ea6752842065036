import type {FastifyInstance} from 'fastify';
import type {Broker} from '../broker/broker.js';
import {parseHostPort} from '../config/index.js';
import {serverTlsOf, type ServerTls} from '../security/tls-settings.js';
import {buildApp} from './app.js';
import {capConnections} from './limits.js';

export interface RunningServer {
  url: string;
  port: number;
  app: FastifyInstance;
  /** Graceful: stop accepting, let in-flight requests finish (long-polls answer at once), then close the broker. */
  close(): Promise<void>;
}

function urlFor(host: string, port: number, scheme: 'http' | 'https'): string {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${h}:${port}`;
}

/** `tls`: serve https (the advertised URL is then https://); default: the broker's tlsCert/tlsKey settings. */
export async function startServer(broker: Broker, opts: {listen: string; advertise?: string; tls?: ServerTls}): Promise<RunningServer> {
  let connections = 0;
  let inflight = 0;
  let url = '';
  const tls = opts.tls ?? serverTlsOf(broker.config);
  const app = buildApp(broker, {extras: () => ({url, connections, inflightRequests: inflight}), https: tls});
  app.addHook('onRequest', async (_req, reply) => {
    inflight++;
    reply.raw.once('close', () => inflight--);
  });
  // past connectionsMax a connection gets 503 TOO_MANY_CONNECTIONS and is closed (limits.ts)
  capConnections(app.server, broker.config.connectionsMax);
  app.server.on('connection', (socket) => {
    connections++;
    socket.once('close', () => connections--);
  });
  const {host, port} = parseHostPort(opts.listen);
  await app.listen({host, port});
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  url = opts.advertise ?? urlFor(host, actualPort, tls ? 'https' : 'http');
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await broker.prepareStop();
      broker.beginShutdown();
      const force = setTimeout(() => app.server.closeAllConnections(), broker.config.shutdownTimeoutMs);
      try {
        await app.close();
      } finally {
        clearTimeout(force);
        await broker.close();
      }
    })());
  return {url, port: actualPort, app, close};
}
