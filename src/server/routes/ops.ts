import type {FastifyInstance} from 'fastify';
import type {Broker} from '../../broker/broker.js';
import {upkeepFor} from '../../ops/upkeep.js';

/**
 * Operations: the data directory's upkeep (low-space warnings, the reserve file, giving freed pages back) starts
 * with the server. Backups need no endpoint: `mq backup` reads the database file itself (docs/operations.md).
 */
export function opsRoutes(app: FastifyInstance, broker: Broker): void {
  app.addHook('onReady', async () => void upkeepFor(broker));
}
