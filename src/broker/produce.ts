import {MqError} from '../errors.js';
import type {Broker} from './broker.js';
import type {AppendOutcome, PartitionLog} from './partition.js';
import {nextRoundRobin, routeMessage, type ProduceMessage} from './router.js';
import type {Topic} from './topics.js';

export type Acks = 'all' | 'leader' | 'none';

export type ProduceItem =
  | {partition: number; offset: number; duplicate: boolean; term: number; leader: number}
  | {partition: number; error: MqError};

async function topicForProduce(b: Broker, name: string): Promise<Topic> {
  const existing = b.topics.get(name);
  if (existing) return existing;
  if (!b.config.autoCreateTopics) throw new MqError('TOPIC_NOT_FOUND', `topic ${name} does not exist and auto-creation is off`, {topic: name});
  try {
    const t = await b.topics.create({name});
    b.logger.info({topic: name}, 'topic auto-created');
    return t;
  } catch (error) {
    // another request created it first
    if ((error as MqError).code === 'TOPIC_EXISTS' && b.topics.get(name)) return b.topics.get(name)!;
    throw error;
  }
}

/** An until_acked topic holds unprocessed work: at its limit it refuses producers rather than dropping any. */
function checkCapacity(b: Broker, topic: Topic, messages: readonly ProduceMessage[], byPartition: Map<number, number[]>): void {
  const {maxMessages, maxBytes} = topic.record.config.retention;
  for (const [number, indexes] of byPartition) {
    const log = topic.partitions.get(number);
    if (!log) continue; // not a replica here: the partition's leader checks
    const bytes = indexes.reduce((n, i) => n + messages[i]!.value.length, 0);
    if ((maxMessages !== null && log.highWatermark - log.logStart + indexes.length > maxMessages) || (maxBytes !== null && log.bytes + bytes > maxBytes)) {
      b.retention.soon();
      throw new MqError('TOPIC_FULL', `partition ${number} of ${topic.record.name} holds its limit of unprocessed messages; nothing was written`, {
        partition: number,
        messages: log.highWatermark - log.logStart,
        max_messages: maxMessages,
        max_bytes: maxBytes,
      });
    }
  }
}

/**
 * Validates routing for the whole batch first (nothing is written if any message cannot be placed), then proposes
 * each partition's share to its Raft group; the proposals of one turn share one Ready, one transaction and one fsync.
 */
export async function produce(b: Broker, topicName: string, messages: readonly ProduceMessage[], opts: {acks?: Acks}): Promise<ProduceItem[]> {
  const topic = await topicForProduce(b, topicName);
  const rr = nextRoundRobin(topic.record, topic.roundRobin++, b.queues.autoscaler.leastLoaded(topic));
  const byPartition = new Map<number, number[]>();
  messages.forEach((m, i) => {
    const p = routeMessage(topic.record, m, rr);
    const list = byPartition.get(p);
    if (list) list.push(i);
    else byPartition.set(p, [i]);
  });
  if (topic.record.config.retention.untilAcked) checkCapacity(b, topic, messages, byPartition);
  const items: ProduceItem[] = new Array(messages.length);
  await Promise.all(
    [...byPartition].map(async ([number, indexes]) => {
      const log = topic.partitions.get(number);
      if (!log) {
        // no replica here: name one that has it (the preferred leader), which knows the leader
        const replicas = topic.record.partitions.find((p) => p.number === number)?.replicas ?? [];
        const e = new MqError('NOT_LEADER', `this broker holds no replica of ${topicName}/${number}`, {topic: topicName, partition: number, leader: replicas[0] ?? 0, replica: false}, false);
        for (const i of indexes) items[i] = {partition: number, error: e};
        return;
      }
      const batch = indexes.map((i) => messages[i]!);
      let outcomes: AppendOutcome[];
      try {
        await log.awaitLeader(b.electionWaitMs());
        outcomes = await log.produce(batch, opts.acks === 'leader' || b.config.unsafeAckLeaderOnly ? 'leader' : 'all');
      } catch (error) {
        const e = error instanceof MqError ? error : new MqError('INTERNAL', (error as Error).message, undefined, 'unknown');
        if (!(error instanceof MqError)) b.logger.error({err: error, topic: topicName, partition: number}, 'produce failed');
        outcomes = batch.map(() => ({error: e}));
      }
      outcomes.forEach((o, k) => {
        items[indexes[k]!] = 'error' in o ? {partition: number, error: o.error} : {partition: number, offset: o.offset, duplicate: o.duplicate, term: o.term ?? log.term, leader: b.nodeId};
      });
      b.retention.check(topic, log);
    }),
  );
  return items;
}

export type {PartitionLog};
