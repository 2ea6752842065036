import type {FastifyInstance, FastifyRequest} from 'fastify';
import type {Broker} from '../broker/broker.js';
import {GROUPS_TOPIC} from '../broker/groups/index.js';
import {MqError} from '../errors.js';
import {partitionTarget, serveOrForward, metadataTarget, type Target} from './route-to-leader.js';

/** The group's coordinator is the leader of its partition of __groups: every call about the group goes there. */
function coordinatorTarget(broker: Broker, group: string): Target {
  if (!broker.topics.get(GROUPS_TOPIC)) throw new MqError('UNAVAILABLE', 'the cluster is still starting (no __groups topic yet)', undefined, false);
  return partitionTarget(broker, GROUPS_TOPIC, broker.groups.coordinator.store.partitionFor(group));
}

function isQueueGroup(broker: Broker, group: string): boolean {
  return broker.groups.coordinator.store.groups.get(group)?.def.mode === 'queue';
}

function groupNameInBody(req: FastifyRequest): string | undefined {
  if (!Buffer.isBuffer(req.body)) return undefined;
  try {
    const name = (JSON.parse(req.body.toString('utf8')) as {name?: unknown}).name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined; // the handler reports the bad body
  }
}

type Router = (broker: Broker, req: FastifyRequest & {params: Record<string, string>}) => Target | undefined;

/**
 * Which requests must run on which Raft group's leader. Reads of replicated state (topic lists, partition reads up
 * to the local high watermark, SSE streams, receipts) are served by any replica and are not listed; produce splits
 * its batch by partition leader itself (produce-routed.ts).
 */
const ROUTES: Record<string, Router> = {
  'POST /v1/cluster/join': () => metadataTarget(),
  'DELETE /v1/cluster/brokers/:id': () => metadataTarget(),
  'POST /v1/cluster/rebalance': () => metadataTarget(),
  'POST /v1/topics': () => metadataTarget(),
  'PATCH /v1/topics/:topic': () => metadataTarget(),
  'DELETE /v1/topics/:topic': () => metadataTarget(),
  'POST /v1/groups': (b, req) => {
    const name = groupNameInBody(req);
    return name === undefined ? undefined : coordinatorTarget(b, name);
  },
  'GET /v1/groups/:group': (b, req) => coordinatorTarget(b, req.params.group!),
  'DELETE /v1/groups/:group': (b, req) => coordinatorTarget(b, req.params.group!),
  'POST /v1/groups/:group/join': (b, req) => coordinatorTarget(b, req.params.group!),
  'POST /v1/groups/:group/heartbeat': (b, req) => coordinatorTarget(b, req.params.group!),
  'POST /v1/groups/:group/leave': (b, req) => coordinatorTarget(b, req.params.group!),
  // a queue group's fetch runs anywhere (it leases from every partition leader); a stream group's needs its coordinator
  'POST /v1/groups/:group/fetch': (b, req) => (isQueueGroup(b, req.params.group!) ? undefined : coordinatorTarget(b, req.params.group!)),
  'POST /v1/groups/:group/commit': (b, req) => coordinatorTarget(b, req.params.group!),
  'POST /v1/groups/:group/reset': (b, req) => coordinatorTarget(b, req.params.group!),
};

/** In a cluster, sends each request that needs a particular leader there (or answers 421 when asked to). */
export function clusterRouting(app: FastifyInstance, broker: Broker): void {
  // a single broker leads everything (and a cluster's membership routes answer it themselves)
  if (!broker.clustered) return;
  app.addHook('preHandler', async (req, reply) => {
    const route = ROUTES[`${req.method} ${req.routeOptions.url}`];
    if (!route) return;
    const target = route(broker, req as FastifyRequest & {params: Record<string, string>});
    if (!target) return;
    if (await serveOrForward(broker, req, reply, target)) return reply;
  });
}
