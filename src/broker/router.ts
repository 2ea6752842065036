import {MqError} from '../errors.js';
import type {NewMessage} from '../storage/index.js';
import {partitionForKey} from '../protocol/murmur2.js';
import type {TopicRecord} from './topic-config.js';

export interface ProduceMessage extends NewMessage {
  /** An explicit partition number, checked against the topic's active partitions. */
  partition?: number;
}

/**
 * DESIGN §3's partitioning rules, in order: explicit partition; key; id (so a retry lands where the first attempt
 * did); producer (the seed's "partition by producer"); otherwise the request's round-robin choice. Hashes index the
 * topic's ordered list of base partitions.
 */
export function routeMessage(topic: TopicRecord, m: ProduceMessage, roundRobin: number): number {
  if (m.partition !== undefined) {
    if (!topic.partitions.some((p) => p.number === m.partition)) {
      throw new MqError('PARTITION_NOT_FOUND', `topic ${topic.name} has no partition ${m.partition}`, {partition: m.partition});
    }
    return m.partition;
  }
  const hashed = m.key ?? m.id ?? m.producer;
  if (hashed !== null) return topic.base[partitionForKey(hashed, topic.base.length)]!;
  return roundRobin;
}

/** The partition an unkeyed request goes to: the next one in turn over the active partitions. */
export function nextRoundRobin(topic: TopicRecord, counter: number): number {
  return topic.partitions[counter % topic.partitions.length]!.number;
}
