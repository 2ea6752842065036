import type {FastifyInstance} from 'fastify';
import {z} from 'zod';
import type {Broker} from '../../broker/broker.js';
import type {GroupDefinition, ResetTarget, TopicPartition} from '../../broker/groups/index.js';
import {MqError} from '../../errors.js';
import {clientGone, jsonObjectBody, onlyParams, sendJson} from '../http-util.js';
import {placedMessageJson} from '../wire-format.js';
import {parseBody} from './body.js';
import {queueFetch} from './queue.js';
import {outboxStore} from '../../broker/queue/outbox.js';

const int = z.number().int();
const nonNeg = int.nonnegative();
const createSchema = z.strictObject({
  name: z.string(),
  topics: z.array(z.string()).min(1).max(100),
  mode: z.enum(['stream', 'queue']).optional(),
  from: z.enum(['earliest', 'latest']).optional(),
  session_timeout_ms: int.optional(),
  lease_ms: int.optional(),
  max_deliveries: int.optional(),
  dead_letter_topic: z.string().nullable().optional(),
});
const joinSchema = z.strictObject({
  member_id: z.string().max(256).optional(),
  client_id: z.string().min(1).max(128).regex(/^[A-Za-z0-9._-]+$/).optional(),
  topics: z.array(z.string()).min(1).max(100).optional(),
  from: z.enum(['earliest', 'latest']).optional(),
  session_timeout_ms: int.optional(),
});
const memberSchema = z.strictObject({member_id: z.string()});
const leaveSchema = z.strictObject({member_id: z.string(), commit: z.boolean().optional()});
const fetchSchema = z.strictObject({
  member_id: z.string(),
  max_messages: int.positive().optional(),
  max_bytes: int.positive().optional(),
  wait_ms: nonNeg.optional(),
  auto_commit: z.boolean().optional(),
  positions: z.array(z.strictObject({topic: z.string(), partition: nonNeg, offset: nonNeg})).max(10_000).optional(),
});
const commitSchema = z.strictObject({
  member_id: z.string(),
  generation: nonNeg,
  offsets: z.array(z.strictObject({topic: z.string(), partition: nonNeg, offset: nonNeg})).max(10_000),
});
const resetSchema = z.strictObject({
  to: z.union([z.enum(['earliest', 'latest']), nonNeg, z.string()]),
  topic: z.string().optional(),
  partition: nonNeg.optional(),
});

const wireTp = (tps: TopicPartition[]) => tps.map((tp) => ({topic: tp.topic, partition: tp.partition}));

function wireGroup(def: GroupDefinition) {
  const base = {name: def.name, mode: def.mode, topics: def.topics, from: def.from, session_timeout_ms: def.sessionTimeoutMs, created_at: def.createdAt};
  if (!def.queue) return base;
  return {...base, lease_ms: def.queue.leaseMs, max_deliveries: def.queue.maxDeliveries, dead_letter_topic: def.queue.deadLetterTopic};
}

export function resetTarget(to: string | number): ResetTarget {
  if (to === 'earliest' || to === 'latest') return {to};
  if (typeof to === 'number') return {to: 'offset', offset: to};
  const ts = /^\d+$/.test(to) ? Number(to) : Date.parse(to);
  if (!Number.isFinite(ts)) throw new MqError('INVALID_FIELD', `to must be earliest, latest, an offset, or a time (ISO 8601 or epoch ms), got ${JSON.stringify(to)}`, {field: 'to'});
  return {to: 'time', timestamp: ts};
}

export function groupRoutes(app: FastifyInstance, broker: Broker): void {
  const {coordinator: co, admin} = broker.groups;
  const body = <T>(schema: z.ZodType<T>, req: {body: unknown; headers: Record<string, unknown>; query: unknown}): T => {
    onlyParams(req.query as Record<string, unknown>, []);
    return parseBody(schema, jsonObjectBody(req as never));
  };

  app.post('/v1/groups', async (req, reply) => {
    const b = body(createSchema, req);
    const {def, created} = await admin.create({
      name: b.name,
      topics: b.topics,
      mode: b.mode,
      from: b.from,
      sessionTimeoutMs: b.session_timeout_ms,
      leaseMs: b.lease_ms,
      maxDeliveries: b.max_deliveries,
      deadLetterTopic: b.dead_letter_topic,
    });
    return reply.code(created ? 201 : 200).send(wireGroup(def));
  });

  app.get('/v1/groups', async (req) => {
    onlyParams(req.query as Record<string, unknown>, []);
    return {
      groups: admin.list().map((d) => ({...wireGroup(d), generation: co.runtimes.get(d.name)?.generation ?? 0, members: co.runtimes.get(d.name)?.members.size ?? 0})),
    };
  });

  app.get<{Params: {group: string}}>('/v1/groups/:group', async (req) => {
    onlyParams(req.query as Record<string, unknown>, []);
    const name = req.params.group;
    const def = co.definition(name);
    if (def.mode === 'queue') return describeQueue(broker, def);
    // committed offsets as of now: a coordinator cut off from its majority cannot answer with older ones
    await co.store.barrier(name);
    const rt = co.runtimes.get(name);
    const now = broker.clock.monotonic();
    const partitions = (await admin.lag(name)).map((l) => ({
      topic: l.topic,
      partition: l.partition,
      committed: l.committed,
      log_start_offset: l.logStart,
      high_watermark: l.highWatermark,
      lag: l.lag,
      owner: l.owner,
    }));
    return {
      ...wireGroup(def),
      generation: rt?.generation ?? 0,
      members: [...(rt?.members.values() ?? [])].map((m) => ({
        member_id: m.id,
        client_id: m.clientId,
        assignment: wireTp(co.assignment(name, m.id)),
        last_seen_ms_ago: Math.round(now - m.lastSeen),
      })),
      partitions,
      lag: partitions.reduce((n, p) => n + p.lag, 0),
    };
  });

  app.delete<{Params: {group: string}}>('/v1/groups/:group', async (req, reply) => {
    onlyParams(req.query as Record<string, unknown>, []);
    await admin.delete(req.params.group);
    return reply.code(204).send();
  });

  app.post<{Params: {group: string}}>('/v1/groups/:group/join', async (req) => {
    const b = body(joinSchema, req);
    const name = req.params.group;
    if (b.topics && !broker.groups.coordinator.store.groups.has(name)) {
      await admin.create({name, topics: b.topics, from: b.from, sessionTimeoutMs: b.session_timeout_ms});
    }
    await co.store.settledCoordinator(name);
    const m = co.join(name, {memberId: b.member_id, clientId: b.client_id});
    const def = co.definition(name);
    return {
      member_id: m.id,
      generation: co.runtime(name).generation,
      assignment: wireTp(co.assignment(name, m.id)),
      session_timeout_ms: def.sessionTimeoutMs,
      heartbeat_interval_ms: Math.min(co.opts.heartbeatIntervalMs, Math.floor(def.sessionTimeoutMs / 3)),
    };
  });

  app.post<{Params: {group: string}}>('/v1/groups/:group/heartbeat', async (req) => {
    const b = body(memberSchema, req);
    const name = req.params.group;
    await co.store.settledCoordinator(name);
    co.touch(name, co.member(name, b.member_id));
    return {generation: co.runtime(name).generation, assignment: wireTp(co.assignment(name, b.member_id))};
  });

  app.post<{Params: {group: string}}>('/v1/groups/:group/leave', async (req) => {
    const b = body(leaveSchema, req);
    const name = req.params.group;
    await co.store.settledCoordinator(name);
    const m = co.member(name, b.member_id);
    let committed: unknown[] = [];
    if (b.commit !== false) {
      const pending = co.uncommitted(name, m);
      if (pending.length > 0) await co.store.append([{t: 'commit', group: name, generation: co.runtime(name).generation, member: m.id, offsets: pending}]);
      committed = pending.map(([topic, partition, offset]) => ({topic, partition, offset}));
    }
    co.leave(name, m.id);
    return {left: true, committed};
  });

  app.post<{Params: {group: string}}>('/v1/groups/:group/fetch', async (req, reply) => {
    if (co.definition(req.params.group).mode === 'queue') {
      onlyParams(req.query as Record<string, unknown>, []);
      return queueFetch(broker, req.params.group, jsonObjectBody(req), req, reply);
    }
    const b = body(fetchSchema, req);
    const cfg = broker.config;
    await co.store.settledCoordinator(req.params.group);
    const r = await co.fetch(req.params.group, b.member_id, {
      positions: b.positions,
      maxMessages: Math.min(b.max_messages ?? 1000, cfg.fetchMessagesMax),
      maxBytes: Math.min(b.max_bytes ?? 1024 * 1024, cfg.fetchBytesMax),
      waitMs: Math.min(b.wait_ms ?? 0, cfg.waitMsMax),
      autoCommit: b.auto_commit ?? false,
      signal: clientGone(reply),
    });
    const msgs = r.messages.map((m) => placedMessageJson(m, m.topic, m.partition)).join(',');
    return sendJson(reply, 200, `{"generation":${r.generation},"assignment":${JSON.stringify(wireTp(r.assignment))},"messages":[${msgs}]}`);
  });

  app.post<{Params: {group: string}}>('/v1/groups/:group/commit', async (req) => {
    const b = body(commitSchema, req);
    await co.store.settledCoordinator(req.params.group);
    const offsets = await co.commit(req.params.group, b.member_id, b.generation, b.offsets);
    return {offsets: offsets.map(([topic, partition, offset]) => ({topic, partition, offset}))};
  });

  app.post<{Params: {group: string}}>('/v1/groups/:group/reset', async (req) => {
    const b = body(resetSchema, req);
    const offsets = await admin.reset(req.params.group, resetTarget(b.to), {topic: b.topic, partition: b.partition});
    return {offsets: offsets.map(([topic, partition, offset]) => ({topic, partition, offset}))};
  });
}

function describeQueue(broker: Broker, def: GroupDefinition) {
  const q = broker.queues.service;
  const partitions = q.partitionsOf(def.name).map((log) => {
    const v = q.view(def.name, log);
    const c = v.counts();
    return {
      topic: log.topic,
      partition: log.number,
      acked_below: v.floor,
      high_watermark: log.highWatermark,
      backlog: Math.max(0, log.highWatermark - v.floor - c.doneAhead),
      in_flight: c.inFlight,
      waiting_redelivery: c.waiting,
      dead_letter_pending: outboxStore.pendingDeadLetters(broker.store, log.pid, def.name),
      dead_lettered_since_start: v.deadLettered,
    };
  });
  return {
    ...wireGroup(def),
    partitions,
    backlog: partitions.reduce((n, p) => n + p.backlog, 0),
    in_flight: partitions.reduce((n, p) => n + p.in_flight, 0),
  };
}
