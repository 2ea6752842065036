import {QueueStatus} from '../storage/types.js';
import type {GroupAdmin, GroupCoordinator} from './groups/index.js';
import type {PartitionLog} from './partition.js';
import type {QueueService} from './queue/queue-service.js';

/** One partition's load as the autoscaler sees it (from this broker's replica). */
export interface PartitionLoad {
  partition: number;
  /** The largest backlog over the topic's groups: unacked messages (queue groups) or lag (stream groups). */
  load: number;
  /** Leased messages, over every queue group. */
  inFlight: number;
  highWatermark: number;
  /**
   * Empty, or fully acked by every queue group and committed by every stream group, with no lease out and nothing
   * left in its outbox.
   */
  finished: boolean;
  /** Raft entries appended but not yet applied here (a produce or a lease still on its way). */
  pending: boolean;
}

export interface LoadSources {
  queues: QueueService;
  coordinator: GroupCoordinator;
  admin: GroupAdmin;
  /** The queue groups reading a topic. */
  queueGroupsOn(topic: string): string[];
  /** Receipts or dead-letter copies of this partition not yet relayed (its outbox): removing it would lose them. */
  relaysPending(log: PartitionLog): boolean;
}

function streamGroupsOn(src: LoadSources, topic: string): string[] {
  return src.admin
    .list()
    .filter((d) => d.mode === 'stream' && d.topics.includes(topic))
    .map((d) => d.name);
}

/** Precise load, for scaling decisions (once per check interval): acked-ahead rows do not count as backlog. */
export function partitionLoad(src: LoadSources, log: PartitionLog): PartitionLoad {
  const hwm = log.highWatermark;
  let load = 0;
  let inFlight = 0;
  let finished = true;
  for (const g of src.queueGroupsOn(log.topic)) {
    const v = src.queues.view(g, log);
    let leased = 0;
    let done = 0;
    for (const r of v.rows.values()) {
      if (r.status === QueueStatus.Leased) leased++;
      else if (r.status !== QueueStatus.Waiting) done++;
    }
    inFlight += leased;
    load = Math.max(load, Math.max(0, hwm - v.floor - done));
    if (v.floor < hwm || leased > 0) finished = false;
  }
  for (const g of streamGroupsOn(src, log.topic)) {
    const committed = src.coordinator.committed(g, {topic: log.topic, partition: log.number});
    const lag = Math.max(0, hwm - Math.max(committed ?? log.logStart, log.logStart));
    load = Math.max(load, lag);
    if (lag > 0) finished = false;
  }
  // no group reads the topic: only an empty partition is finished (nobody would ever ack the rest)
  if (hwm > log.logStart && src.queueGroupsOn(log.topic).length === 0 && streamGroupsOn(src, log.topic).length === 0) finished = false;
  if (finished && src.relaysPending(log)) finished = false;
  const st = log.group?.node.status();
  const pending = st === undefined || st.applied < st.lastIndex;
  return {partition: log.number, load, inFlight, highWatermark: hwm, finished, pending};
}

/**
 * Cheap load, for routing each unkeyed request at the limit: the distance from the slowest group's floor (queue) or
 * committed offset (stream) to the high watermark, read without scanning rows.
 */
export function quickLoad(src: LoadSources, log: PartitionLog): number {
  const hwm = log.highWatermark;
  let load = 0;
  for (const g of src.queueGroupsOn(log.topic)) load = Math.max(load, hwm - src.queues.floorOf(g, log));
  for (const g of streamGroupsOn(src, log.topic)) {
    const committed = src.coordinator.committed(g, {topic: log.topic, partition: log.number});
    load = Math.max(load, hwm - Math.max(committed ?? log.logStart, log.logStart));
  }
  return Math.max(0, load);
}
