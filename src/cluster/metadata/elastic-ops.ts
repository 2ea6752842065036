import {MqError} from '../../errors.js';
import type {AutoscaleEvent, TopicRecord} from '../../broker/topic-config.js';

/** Recent autoscaler events kept per topic record (the metadata stays small). */
export const AUTOSCALE_EVENTS_KEPT = 20;

/** The metadata commands of elastic partitions (DESIGN §3 "Autoscaling"). `at` is the proposer's wall clock. */
export type ElasticCommand =
  /** A partition outside the hashing list: only unkeyed traffic reaches it. Refused at max_partitions. */
  | {op: 'partition.add'; topic: string; reason: string; at: number}
  /** No new messages are routed to it; consumers still drain it. */
  | {op: 'partition.drain'; topic: string; partition: number; reason: string; at: number}
  /** Gone: its replicas drop their storage. Its number is never used again. */
  | {op: 'partition.remove'; topic: string; partition: number; reason: string; at: number};

type Partition = TopicRecord['partitions'][number];

function withEvent(t: TopicRecord, e: AutoscaleEvent): AutoscaleEvent[] {
  return [...(t.autoscaleEvents ?? []), e].slice(-AUTOSCALE_EVENTS_KEPT);
}

function autoscaled(t: TopicRecord, number: number): Partition {
  const p = t.partitions.find((x) => x.number === number);
  if (!p) throw new MqError('PARTITION_NOT_FOUND', `topic ${t.name} has no partition ${number}`, {topic: t.name, partition: number});
  // keyed data lives on the base partitions: they are never drained or removed
  if (!p.autoscaled || t.base.includes(number)) {
    throw new MqError('INVALID_CONFIG', `partition ${number} of ${t.name} is a base partition; only autoscaled partitions are removed`, {topic: t.name, partition: number});
  }
  return p;
}

/**
 * Applies one elastic-partition command to a topic record (deterministic: the same on every broker). `allocate`
 * hands out the new partition's pid and replicas. Refusals throw and change nothing.
 */
export function applyElastic(t: TopicRecord, cmd: ElasticCommand, allocate: (number: number) => Partition): TopicRecord {
  switch (cmd.op) {
    case 'partition.add': {
      const max = t.config.autoscale?.maxPartitions;
      if (max === undefined) throw new MqError('INVALID_CONFIG', `topic ${t.name} does not autoscale`, {topic: t.name});
      if (t.partitions.length >= max) throw new MqError('INVALID_CONFIG', `topic ${t.name} has its maximum of ${max} partitions`, {topic: t.name});
      const p = {...allocate(t.nextPartitionNumber), autoscaled: true};
      return {
        ...t,
        partitions: [...t.partitions, p],
        nextPartitionNumber: t.nextPartitionNumber + 1,
        autoscaleEvents: withEvent(t, {at: cmd.at, kind: 'added', partition: p.number, reason: cmd.reason}),
      };
    }
    case 'partition.drain': {
      autoscaled(t, cmd.partition);
      return {
        ...t,
        partitions: t.partitions.map((x) => (x.number === cmd.partition ? {...x, draining: true} : x)),
        autoscaleEvents: withEvent(t, {at: cmd.at, kind: 'draining', partition: cmd.partition, reason: cmd.reason}),
      };
    }
    case 'partition.remove': {
      const p = autoscaled(t, cmd.partition);
      if (!p.draining) throw new MqError('INVALID_CONFIG', `partition ${cmd.partition} of ${t.name} must be drained before it is removed`, {topic: t.name, partition: cmd.partition});
      return {
        ...t,
        partitions: t.partitions.filter((x) => x.number !== cmd.partition),
        autoscaleEvents: withEvent(t, {at: cmd.at, kind: 'removed', partition: cmd.partition, reason: cmd.reason}),
      };
    }
  }
}
