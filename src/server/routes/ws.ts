import type {FastifyInstance} from 'fastify';
import {WebSocketServer} from 'ws';
import type {Broker} from '../../broker/broker.js';
import {MqError} from '../../errors.js';
import {intParam, onlyParams} from '../http-util.js';
import {routeUpgrades, upgradeOf} from '../ws/upgrade-routing.js';
import {authorizeTopic} from '../../security/auth-hook.js';
import {connectionToken} from '../ws/ws-auth.js';
import {WsConnection} from '../ws/ws-connection.js';
import {produceFrame} from '../ws/ws-produce.js';

type Query = Record<string, string | undefined>;

/**
 * GET /v1/ws: the WebSocket endpoint (docs/api.md, WebSocket). Produce frames run through the HTTP produce route,
 * subscriptions through the SSE stream loop, so both behave exactly as their HTTP counterparts, in a cluster too.
 */
export function wsRoutes(app: FastifyInstance, broker: Broker): void {
  // a frame over requestBytesMax is refused by ws before it is buffered: close 1009
  const wss = new WebSocketServer({noServer: true, maxPayload: broker.config.requestBytesMax, perMessageDeflate: false, clientTracking: false});
  const open = new Set<WsConnection>();
  routeUpgrades(app);

  app.get<{Querystring: Query}>('/v1/ws', async (req, reply) => {
    onlyParams(req.query, ['heartbeat_ms', 'access_token']);
    const heartbeatMs = Math.min(Math.max(intParam(req.query, 'heartbeat_ms', broker.config.streamHeartbeatMs), 100), 120_000);
    const up = upgradeOf(req.raw);
    if (!up || String(req.headers.upgrade).toLowerCase() !== 'websocket') throw new MqError('BAD_REQUEST', 'GET /v1/ws opens a WebSocket: send Upgrade: websocket');
    const token = connectionToken(req.raw);
    const caller = {...(token ? {authorization: `Bearer ${token}`} : {}), ...(req.raw.socket.remoteAddress ? {remoteAddress: req.raw.socket.remoteAddress} : {})};
    up.taken = true;
    reply.hijack();
    wss.handleUpgrade(req.raw, up.socket, up.head, (ws) => {
      const conn = new WsConnection(ws, broker, {
        produce: (f) => produceFrame(app, f.id, f.topic, f.acks, f.body, caller),
        // checked at every subscribe, with the token verified again: a revoke or an expiry applies to later frames
        authorizeSubscribe: (topic, key) => authorizeTopic(broker, req, 'consume', topic, key),
        heartbeatMs,
        stallMs: broker.config.streamStallTimeoutMs,
      });
      open.add(conn);
      ws.once('close', () => open.delete(conn));
    });
  });

  // upgraded sockets are not the HTTP server's to close: say goodbye (1001), then cut what does not answer
  app.addHook('preClose', async () => {
    for (const c of open) c.close(1001, 'broker stopping');
    if (open.size === 0) return;
    const cut = setTimeout(() => {
      for (const c of open) c.terminate();
    }, Math.min(broker.config.shutdownTimeoutMs, 2000));
    cut.unref();
  });
}
