import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify';
import {z} from 'zod';
import type {Broker} from '../../broker/broker.js';
import type {ConfirmOutcome, Delivery} from '../../broker/queue/index.js';
import {redrive} from '../../broker/queue/redrive.js';
import {validateTopicName} from '../../broker/topic-config.js';
import {MqError} from '../../errors.js';
import {clientGone, jsonObjectBody, onlyParams, sendJson} from '../http-util.js';
import {placedMessageJson} from '../wire-format.js';
import {fanOutConfirm, fanOutFetch, localOnly, otherLeaders} from '../queue-fanout.js';
import {parseBody} from './body.js';

const leases = z.array(z.string().max(128)).min(1).max(10_000);
const nonNeg = z.number().int().nonnegative();
export const queueFetchSchema = z.strictObject({
  consumer: z.string().min(1).max(128).optional(),
  max_messages: z.number().int().positive().optional(),
  wait_ms: nonNeg.optional(),
  lease_ms: z.number().int().min(100).max(12 * 3600_000).optional(),
  /** Leases to ack first: a worker confirms its last batch and asks for the next in one round trip. */
  ack: leases.optional(),
});
const ackSchema = z.strictObject({lease_id: z.string().max(128).optional(), lease_ids: leases.optional()});
const progressSchema = z.strictObject({lease_id: z.string().max(128).optional(), lease_ids: leases.optional(), lease_ms: z.number().int().min(100).max(12 * 3600_000).optional()});
const nackSchema = z.strictObject({
  lease_id: z.string().max(128).optional(),
  lease_ids: leases.optional(),
  delay_ms: nonNeg.max(30 * 24 * 3600_000).optional(),
  error: z.string().max(64 * 1024).optional(),
});

export function deliveryJson(d: Delivery): string {
  const base = placedMessageJson(d, d.topic, d.partition);
  return `${base.slice(0, -1)},"lease_id":${JSON.stringify(d.leaseId)},"delivery_count":${d.deliveryCount},"lease_expires_at":${d.leaseExpiresAt}}`;
}

function idsOf(b: {lease_id?: string; lease_ids?: string[]}): {ids: string[]; single: boolean} {
  if ((b.lease_id === undefined) === (b.lease_ids === undefined)) throw new MqError('MISSING_FIELD', 'give lease_id or lease_ids', {field: 'lease_ids'});
  return b.lease_id !== undefined ? {ids: [b.lease_id], single: true} : {ids: b.lease_ids!, single: false};
}

function resultsJson(outcomes: ConfirmOutcome[]): string {
  const results = outcomes.map((o) => ('error' in o ? {lease_id: o.leaseId, error: o.error.toBody().error} : {lease_id: o.leaseId, status: o.status}));
  return JSON.stringify({results, errors: results.filter((r) => 'error' in r).length});
}

function answer(reply: FastifyReply, outcomes: ConfirmOutcome[], single: boolean): FastifyReply {
  if (single) {
    const o = outcomes[0]!;
    if ('error' in o) throw o.error;
    return sendJson(reply, 200, JSON.stringify({lease_id: o.leaseId, status: o.status}));
  }
  return sendJson(reply, 200, resultsJson(outcomes));
}

/** In a cluster each lease's partition leader decides (queue-fanout.ts); a peer's call is for its own partitions. */
function confirmVia(broker: Broker, req: FastifyRequest, group: string, kind: 'ack' | 'progress' | 'nack', ids: string[], extra: Record<string, unknown>, opts: {leaseMs?: number; delayMs?: number; error?: string} = {}): Promise<ConfirmOutcome[]> {
  return broker.clustered && !localOnly(req) ? fanOutConfirm(broker, req, group, kind, ids, extra, opts) : broker.queues.service.confirm(group, kind, ids, opts);
}

/** Queue groups: fetch (leases), ack (final confirm), progress (temporary confirm), nack (redeliver, optionally later). */
export function queueRoutes(app: FastifyInstance, broker: Broker): void {
  redriveRoute(app, broker);
  const body = <T>(schema: z.ZodType<T>, req: {body: unknown; headers: Record<string, unknown>; query: unknown}): T => {
    onlyParams(req.query as Record<string, unknown>, []);
    return parseBody(schema, jsonObjectBody(req as never));
  };


  app.post<{Params: {group: string}}>('/v1/groups/:group/ack', async (req, reply) => {
    const {ids, single} = idsOf(body(ackSchema, req));
    return answer(reply, await confirmVia(broker, req, req.params.group, 'ack', ids, {}), single);
  });

  app.post<{Params: {group: string}}>('/v1/groups/:group/progress', async (req, reply) => {
    const b = body(progressSchema, req);
    const {ids, single} = idsOf(b);
    return answer(reply, await confirmVia(broker, req, req.params.group, 'progress', ids, b.lease_ms === undefined ? {} : {lease_ms: b.lease_ms}, {leaseMs: b.lease_ms}), single);
  });

  app.post<{Params: {group: string}}>('/v1/groups/:group/nack', async (req, reply) => {
    const b = body(nackSchema, req);
    const {ids, single} = idsOf(b);
    const extra = {...(b.delay_ms === undefined ? {} : {delay_ms: b.delay_ms}), ...(b.error === undefined ? {} : {error: b.error})};
    return answer(reply, await confirmVia(broker, req, req.params.group, 'nack', ids, extra, {delayMs: b.delay_ms, error: b.error}), single);
  });
}

const redriveSchema = z.strictObject({max: z.number().int().positive().optional(), dead_letter_topic: z.string().optional()});

/** POST /v1/topics/{t}/redrive: dead letters back to their topic (see broker/queue/redrive.ts). */
export function redriveRoute(app: FastifyInstance, broker: Broker): void {
  app.post<{Params: {topic: string}}>('/v1/topics/:topic/redrive', async (req) => {
    onlyParams(req.query as Record<string, unknown>, []);
    const raw = req.body === undefined || (Buffer.isBuffer(req.body) && req.body.length === 0) ? {} : jsonObjectBody(req);
    const b = parseBody(redriveSchema, raw);
    return redrive(broker, validateTopicName(req.params.topic), {max: b.max, deadLetterTopic: b.dead_letter_topic});
  });
}

/** The queue side of POST /v1/groups/{g}/fetch (the route dispatches by the group's mode). */
export async function queueFetch(broker: Broker, group: string, raw: unknown, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const b = parseBody(queueFetchSchema, raw);
  const cfg = broker.config;
  const args = {
    group,
    consumer: b.consumer ?? null,
    maxMessages: Math.min(b.max_messages ?? 10, cfg.fetchMessagesMax),
    waitMs: Math.min(b.wait_ms ?? 0, cfg.waitMsMax),
    leaseMs: b.lease_ms,
    signal: clientGone(reply),
  };
  // the acks start first and the leases in the same turn, so both go into one group commit (one fsync); the acked
  // messages are leased, so the fetch cannot hand them out again whichever applies first
  const acking = b.ack ? confirmVia(broker, req, group, 'ack', b.ack, {}) : undefined;
  // in a cluster the group's partitions may be led by several brokers: lease from all of them
  const leasing =
    broker.clustered && !localOnly(req) && otherLeaders(broker, group).length > 0
      ? fanOutFetch(broker, req, args, deliveryJson)
      : broker.queues.service.fetch(group, args).then((ds) => ds.map(deliveryJson));
  const [acked, items] = await Promise.all([acking, leasing]);
  return sendJson(reply, 200, `{"messages":[${items.join(',')}]${acked ? `,"acked":${resultsJson(acked)}` : ''}}`);
}
