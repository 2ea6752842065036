import type {FastifyInstance, FastifyRequest} from 'fastify';
import type {Acks, Broker} from '../../broker/broker.js';
import {validateTopicName} from '../../broker/topic-config.js';
import {MqError} from '../../errors.js';
import {parseProduceBody} from '../../protocol/produce-body.js';
import {bodyBuffer, bodyFormat, clientGone, intParam, onlyParams, sendJson} from '../http-util.js';
import {fetchJson, produceResult} from '../wire-format.js';
import {forwardingAllowed, hopsOf} from '../forward.js';
import {metadataTarget, partitionTarget, serveOrForward, unknownTopicAtLeader} from '../route-to-leader.js';
import {produceAndAwait} from './await-processed.js';
import {INTERNAL_AUTH} from '../../cluster/internal-auth.js';

type Query = Record<string, string | undefined>;

function parseAcks(v: string | undefined): Acks {
  if (v === undefined || v === 'all' || v === '-1') return 'all';
  if (v === 'leader' || v === '1') return 'leader';
  if (v === '0' || v === 'none') return 'none';
  throw new MqError('BAD_REQUEST', `acks must be all, leader or 0 (got ${JSON.stringify(v)})`, {param: 'acks'});
}

/** How a produce that reached this broker may travel on: the client's forwarding choice and the hops so far. */
function route(req: FastifyRequest): {hops: number; forward: boolean; authorization?: string} {
  const auth = req.headers.authorization;
  return {hops: hopsOf(req), forward: forwardingAllowed(req), ...(typeof auth === 'string' ? {authorization: auth} : {})};
}

export function messageRoutes(app: FastifyInstance, broker: Broker): void {
  const limits = broker.config;

  app.post<{Params: {topic: string}; Querystring: Query}>('/v1/topics/:topic/messages', {bodyLimit: limits.requestBytesMax}, async (req, reply) => {
    onlyParams(req.query, ['acks', 'await', 'timeout_ms']);
    const acks = parseAcks(req.query.acks);
    const internal = req.headers[INTERNAL_AUTH] !== undefined && broker.membership.internalAuthorized(req.params.topic, bodyBuffer(req), req.headers[INTERNAL_AUTH]);
    const topic = validateTopicName(req.params.topic, {allowInternal: internal});
    const parsed = parseProduceBody(bodyBuffer(req), bodyFormat(req, true), limits);
    // a topic unknown here may be brand new, or to be auto-created: the metadata leader decides
    if (!broker.topics.get(topic) && broker.clustered) {
      if (await serveOrForward(broker, req, reply, metadataTarget())) return reply;
    }
    if (req.query.await !== undefined) {
      if (req.query.await !== 'processed') throw new MqError('BAD_REQUEST', `await must be processed (got ${JSON.stringify(req.query.await)})`, {param: 'await'});
      if (acks === 'none') throw new MqError('BAD_REQUEST', 'await=processed needs acks=all or leader');
      const timeoutMs = Math.min(intParam(req.query, 'timeout_ms', 30_000), 10 * 60_000);
      return produceAndAwait(broker, (msgs) => broker.produce(topic, msgs, {acks, route: route(req)}), topic, parsed, timeoutMs, clientGone(reply), reply);
    }
    if (acks === 'none') {
      broker.produce(topic, parsed.messages, {acks}).catch((err: unknown) => broker.logger.warn({err, topic}, 'acks=0 produce failed'));
      return sendJson(reply, 202, `{"accepted":${parsed.messages.length}}`);
    }
    const items = await broker.produce(topic, parsed.messages, {acks, route: route(req)});
    if (parsed.single) {
      const only = items[0]!;
      if ('error' in only) throw only.error;
      return sendJson(reply, 200, JSON.stringify(produceResult(only)));
    }
    const results = items.map(produceResult);
    const errors = results.filter((r) => 'error' in r).length;
    return sendJson(reply, 200, JSON.stringify({results, errors}));
  });

  app.get<{Params: {topic: string; partition: string}; Querystring: Query}>('/v1/topics/:topic/partitions/:partition/messages', async (req, reply) => {
    onlyParams(req.query, ['offset', 'max_messages', 'max_bytes', 'wait_ms', 'value_encoding']);
    const encoding = req.query.value_encoding ?? 'json';
    if (encoding !== 'json' && encoding !== 'base64') throw new MqError('BAD_REQUEST', `value_encoding must be json or base64, got ${JSON.stringify(encoding)}`);
    const partition = intParam({partition: req.params.partition}, 'partition', 0);
    if (await unknownTopicAtLeader(broker, req, reply, req.params.topic)) return reply;
    const local = broker.topics.mustGet(req.params.topic).partitions.get(partition);
    // any replica serves its committed prefix; a read past it (or on a broker without a replica) goes to the leader
    if (broker.clustered && (!local || (!local.isLeader && intParam(req.query, 'offset', local.logStart, 'INVALID_OFFSET') >= local.highWatermark))) {
      if (await serveOrForward(broker, req, reply, partitionTarget(broker, req.params.topic, partition))) return reply;
    }
    const log = broker.partitionLog(req.params.topic, partition);
    const result = await broker.fetch(req.params.topic, partition, {
      offset: intParam(req.query, 'offset', log.logStart, 'INVALID_OFFSET'),
      maxMessages: Math.min(Math.max(intParam(req.query, 'max_messages', 1000), 1), limits.fetchMessagesMax),
      maxBytes: Math.min(Math.max(intParam(req.query, 'max_bytes', 1024 * 1024), 1), limits.fetchBytesMax),
      waitMs: Math.min(intParam(req.query, 'wait_ms', 0), limits.waitMsMax),
      signal: clientGone(reply),
    });
    return sendJson(reply, 200, fetchJson(result, {base64: encoding === 'base64'}));
  });
}
