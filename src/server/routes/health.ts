import type {FastifyInstance} from 'fastify';
import type {Broker} from '../../broker/broker.js';
import {buildStatus, type StatusExtras} from '../../observe/status.js';

export function healthRoutes(app: FastifyInstance, broker: Broker, extras: () => StatusExtras): void {
  /** Liveness: the process answers. */
  app.get('/health', async () => ({status: 'ok'}));

  /** Readiness: this broker accepts reads and writes (load balancers route by it). */
  app.get('/ready', async (_req, reply) => {
    if (broker.isClosing) return reply.code(503).send({ready: false, reason: 'stopping'});
    if (!broker.ready) return reply.code(503).send({ready: false, reason: broker.metadata.leader === 0 ? 'no metadata leader (the cluster is forming or has lost its majority)' : 'internal topics are being created'});
    return {ready: true, node_id: broker.nodeId};
  });

  app.get('/status', async () => buildStatus(broker, extras()));
}
