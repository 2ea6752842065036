import type {FastifyInstance} from 'fastify';
import {z} from 'zod';
import type {Broker} from '../../broker/broker.js';
import {autoscaleFromWire} from '../../broker/autoscale-config.js';
import type {RetentionConfig} from '../../broker/topic-config.js';
import {jsonObjectBody, onlyParams} from '../http-util.js';
import {parseBody as parse} from './body.js';
import {unknownTopicAtLeader} from '../route-to-leader.js';
import {wireTopic, wireTopicDescription} from '../wire-format.js';

const count = z.number().int();
const retention = z.strictObject({
  max_messages: count.nullable().optional(),
  max_bytes: count.nullable().optional(),
  max_age_ms: count.nullable().optional(),
  until_acked: z.boolean().optional(),
});
const autoscale = z.strictObject({
  max_partitions: count.optional(),
  high_water: z.number().optional(),
  max_load: count.optional(),
  idle_after_ms: count.optional(),
  check_interval_ms: count.optional(),
  partition_budget: z.strictObject({memory_bytes: count.optional(), cpu: z.number().optional()}).optional(),
});
const createSchema = z.strictObject({
  name: z.string(),
  partitions: count.optional(),
  replication_factor: count.optional(),
  retention: retention.optional(),
  dedup_window_ms: count.optional(),
  autoscale: autoscale.optional(),
});
const patchSchema = z.strictObject({
  partitions: count.optional(),
  retention: retention.optional(),
  dedup_window_ms: count.optional(),
  /** null turns autoscaling off. */
  autoscale: autoscale.nullable().optional(),
});

function toRetention(r: z.infer<typeof retention> | undefined): Partial<RetentionConfig> | undefined {
  if (!r) return undefined;
  const out: Partial<RetentionConfig> = {};
  if ('max_messages' in r) out.maxMessages = r.max_messages ?? null;
  if ('max_bytes' in r) out.maxBytes = r.max_bytes ?? null;
  if ('max_age_ms' in r) out.maxAgeMs = r.max_age_ms ?? null;
  if (r.until_acked !== undefined) out.untilAcked = r.until_acked;
  return out;
}

export function topicRoutes(app: FastifyInstance, broker: Broker): void {
  app.post('/v1/topics', async (req, reply) => {
    onlyParams(req.query as Record<string, unknown>, []);
    const b = parse(createSchema, jsonObjectBody(req));
    const record = await broker.createTopic({
      name: b.name,
      partitions: b.partitions,
      replicationFactor: b.replication_factor,
      retention: toRetention(b.retention),
      dedupWindowMs: b.dedup_window_ms,
      autoscale: b.autoscale && autoscaleFromWire(b.autoscale),
    });
    const d = broker.describeTopic(record.name);
    return reply.code(201).send(wireTopicDescription(d.record, d.partitions));
  });

  app.get('/v1/topics', async (req) => {
    onlyParams(req.query as Record<string, unknown>, []);
    return {topics: broker.listTopics().map(wireTopic)};
  });

  app.get<{Params: {topic: string}}>('/v1/topics/:topic', async (req, reply) => {
    onlyParams(req.query as Record<string, unknown>, []);
    if (await unknownTopicAtLeader(broker, req, reply, req.params.topic)) return reply;
    const d = broker.describeTopic(req.params.topic);
    return wireTopicDescription(d.record, d.partitions);
  });

  app.patch<{Params: {topic: string}}>('/v1/topics/:topic', async (req) => {
    onlyParams(req.query as Record<string, unknown>, []);
    const b = parse(patchSchema, jsonObjectBody(req));
    const scaling = b.autoscale === null ? {autoscale: null} : b.autoscale ? {autoscale: autoscaleFromWire(b.autoscale)} : {};
    await broker.updateTopic(req.params.topic, {partitions: b.partitions, retention: toRetention(b.retention), dedupWindowMs: b.dedup_window_ms, ...scaling});
    const d = broker.describeTopic(req.params.topic);
    return wireTopicDescription(d.record, d.partitions);
  });

  app.delete<{Params: {topic: string}}>('/v1/topics/:topic', async (req, reply) => {
    onlyParams(req.query as Record<string, unknown>, []);
    await broker.deleteTopic(req.params.topic);
    return reply.code(204).send();
  });
}
