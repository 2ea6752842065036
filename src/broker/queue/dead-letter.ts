import {MqError} from '../../errors.js';
import type {QueueRow, StoredMessage} from '../../storage/index.js';
import type {Broker} from '../broker.js';
import type {PartitionLog} from '../partition.js';
import {DEDUP_WINDOW_MS_MAX} from '../topic-config.js';
import type {DeadLetterCopy} from './outbox.js';

export const dlqTopicName = (topic: string): string => `${topic}.dlq`;
export const dlqMessageId = (group: string, topic: string, partition: number, offset: number): string => `dlq/${group}/${topic}/${partition}/${offset}`;

/**
 * A dead letter's copy, taken when the message is recorded as dead (in the same queue entry): it keeps key, value,
 * headers and priority, and gains headers saying where it came from and why. Retention may delete the original
 * before the copy is written; the copy does not need it.
 */
export function deadLetterCopy(group: string, log: PartitionLog, row: QueueRow, message: StoredMessage, target: string): DeadLetterCopy {
  const headers: Record<string, string> = {
    ...(message.headers ? (JSON.parse(message.headers) as Record<string, string>) : {}),
    'mq-dlq-topic': log.topic,
    'mq-dlq-partition': String(log.number),
    'mq-dlq-offset': String(row.offset),
    'mq-dlq-group': group,
    'mq-dlq-deliveries': String(row.deliveries),
    'mq-dlq-error': row.error ?? 'lease expired',
    ...(message.id !== null ? {'mq-dlq-original-id': message.id} : {}),
  };
  return {
    group,
    topic: log.topic,
    partition: log.number,
    offset: row.offset,
    target,
    deliveries: row.deliveries,
    error: row.error ?? 'lease expired',
    id: message.id,
    key: message.key,
    producer: message.producer,
    priority: message.priority,
    headers: JSON.stringify(headers),
    valueType: message.valueType,
    value: message.value.toString('base64'),
  };
}

/**
 * Writes a dead letter's copy, exactly once: its id is derived from where the message came from
 * (`dlq/<group>/<topic>/<partition>/<offset>`), so the dead-letter topic's de-duplication absorbs a repeat (a relay
 * retried, or repeated by a new leader).
 */
export async function writeDeadLetterCopy(broker: Broker, c: DeadLetterCopy): Promise<void> {
  const source = broker.topics.get(c.topic)?.record;
  if (!source) {
    broker.logger.warn({topic: c.topic, offset: c.offset, group: c.group}, 'the topic of a dead letter is gone; its copy is not written');
    return;
  }
  await broker.ensureTopic({
    name: c.target,
    partitions: source.base.length,
    replicationFactor: source.config.replicationFactor,
    retention: {...source.config.retention, untilAcked: false},
    dedupWindowMs: DEDUP_WINDOW_MS_MAX,
  });
  const [r] = await broker.produce(c.target, [
    {id: dlqMessageId(c.group, c.topic, c.partition, c.offset), key: c.key, producer: c.producer, priority: c.priority, headers: c.headers, valueType: c.valueType, value: Buffer.from(c.value, 'base64'), notBefore: 0},
  ]);
  // ID_CONFLICT: written already, by a relay whose copy differed (an older broker's headers): it is moved, exactly once
  if (r && 'error' in r && r.error.code !== 'ID_CONFLICT') throw r.error;
}

/** The id a redriven message gets: `<id>:redrive:<n>`, counting earlier redrives of the same original. */
export function redriveId(originalId: string | undefined, fallback: string): string {
  if (!originalId) return `${fallback}:redrive:1`;
  const m = /^(.*):redrive:(\d+)$/.exec(originalId);
  return m ? `${m[1]}:redrive:${Number(m[2]) + 1}` : `${originalId}:redrive:1`;
}

export function requireQueueTopic(name: string): void {
  if (name.endsWith('.dlq')) throw new MqError('INVALID_CONFIG', `${name} is a dead-letter topic; redrive its source topic instead`);
}
