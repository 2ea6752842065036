import type {FastifyReply} from 'fastify';
import type {Broker, ProduceItem} from '../../broker/broker.js';
import type {ProcessedState} from '../../broker/queue/processed.js';
import {MqError} from '../../errors.js';
import type {ParsedProduce} from '../../protocol/produce-body.js';
import {sendJson} from '../http-util.js';
import {produceResult} from '../wire-format.js';

/**
 * POST .../messages?await=processed: write, then hold the answer until every queue group that exists on the topic
 * now has acked (or dead-lettered) each message, or the timeout passes (then the answer says which are pending).
 * Without a queue group there is nobody to process anything: 409 NO_QUEUE_GROUP, nothing written.
 */
export async function produceAndAwait(
  broker: Broker,
  produce: (messages: ParsedProduce['messages']) => Promise<ProduceItem[]>,
  topic: string,
  parsed: ParsedProduce,
  timeoutMs: number,
  signal: AbortSignal,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const groups = broker.topics.get(topic) ? broker.queues.groupsOn(topic) : [];
  if (groups.length === 0) throw new MqError('NO_QUEUE_GROUP', `topic ${topic} has no queue group to process the messages; nothing was written`, {topic});
  const items = await produce(parsed.messages);
  const q = broker.queues.service;
  const results = await Promise.all(
    items.map(async (item) => {
      const base = produceResult(item);
      if ('error' in item) return base;
      const log = broker.partitionLog(topic, item.partition);
      const states = await broker.queues.service.processed.wait(log.pid, item.offset, groups, (g) => q.stateOf(g, log, item.offset), timeoutMs, signal);
      return {...base, state: overall(Object.values(states)), groups: states};
    }),
  );
  if (parsed.single) {
    const only = results[0]!;
    if ('error' in only) throw items[0] && 'error' in items[0] ? items[0].error : new MqError('INTERNAL', 'produce failed');
    return sendJson(reply, 200, JSON.stringify(only));
  }
  const pending = results.filter((r) => 'state' in r && r.state === 'pending').length;
  return sendJson(reply, 200, JSON.stringify({results, errors: results.filter((r) => 'error' in r).length, pending}));
}

function overall(states: ProcessedState[]): ProcessedState {
  if (states.some((s) => s === 'pending')) return 'pending';
  if (states.some((s) => s === 'dead_lettered')) return 'dead_lettered';
  return 'processed';
}
