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
    const p = topic.partitions.find((x) => x.number === m.partition);
    if (!p) throw new MqError('PARTITION_NOT_FOUND', `topic ${topic.name} has no partition ${m.partition}`, {partition: m.partition});
    // a drained partition takes nothing new, so that it can be removed once its consumers have finished it
    if (p.draining) throw new MqError('PARTITION_DRAINING', `partition ${m.partition} of ${topic.name} is being drained; send without a partition`, {partition: m.partition});
    return m.partition;
  }
  const hashed = m.key ?? m.id ?? m.producer;
  if (hashed !== null) return topic.base[partitionForKey(hashed, topic.base.length)]!;
  return roundRobin;
}

/**
 * The partition an unkeyed request goes to: the next one in turn over the active (not draining) partitions. `load`
 * is given for an autoscaled topic at its limit (no partition can be added): the least-loaded one then gets it.
 */
export function nextRoundRobin(topic: TopicRecord, counter: number, load?: (partition: number) => number | undefined): number {
  const active = topic.partitions.filter((p) => !p.draining);
  // base partitions are never drained, so `active` is never empty; the fallback only keeps routing total
  const pool = active.length > 0 ? active : topic.partitions;
  if (load) {
    let best: number | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (let k = 0; k < pool.length; k++) {
      // ties go round robin, so equal partitions still share the traffic
      const p = pool[(counter + k) % pool.length]!.number;
      const l = load(p);
      if (l !== undefined && l < bestLoad) [best, bestLoad] = [p, l];
    }
    if (best !== undefined) return best;
  }
  return pool[counter % pool.length]!.number;
}
