import {ServerResponse, type IncomingMessage} from 'node:http';
import type {Duplex} from 'node:stream';
import type {FastifyInstance} from 'fastify';

export interface PendingUpgrade {
  socket: Duplex;
  head: Buffer;
  /** Set by the route that takes the connection over; otherwise the socket is closed after the HTTP answer. */
  taken: boolean;
}

const pending = new WeakMap<IncomingMessage, PendingUpgrade>();

/** The upgrade under way for this request, if it came in as one. */
export function upgradeOf(req: IncomingMessage): PendingUpgrade | undefined {
  return pending.get(req);
}

/**
 * Node hands `Upgrade:` requests to the server's 'upgrade' event, outside fastify. This routes them through fastify
 * like any request, so every hook applies (auth, limits, CORS, 503 while stopping) and a refusal is the usual JSON
 * error; the route that accepts one (GET /v1/ws) takes the socket over. Any other path gets its normal answer (404,
 * 405) and the socket is closed after it.
 */
export function routeUpgrades(app: FastifyInstance): void {
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const up: PendingUpgrade = {socket, head, taken: false};
    pending.set(req, up);
    socket.on('error', () => socket.destroy());
    const res = new ServerResponse(req);
    res.assignSocket(socket as never);
    res.once('finish', () => {
      if (!up.taken) socket.end();
    });
    try {
      app.routing(req, res);
    } catch {
      socket.destroy();
    }
  });
}
