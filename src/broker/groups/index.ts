import type {Broker} from '../broker.js';
import type {PartitionLog} from '../partition.js';
import {cutLog} from '../partition-retention.js';
import {awaitSettledLeader, readBarrier} from '../settled-leader.js';
import {GroupAdmin} from './group-admin.js';
import {GROUPS_TOPIC, GroupStore, type InternalLog} from './group-store.js';
import {GroupCoordinator} from './coordinator.js';
import {groupTopicView} from './topic-view.js';

export {GROUPS_TOPIC} from './group-store.js';
export {waitAny} from './wait-any.js';
export type {GroupCoordinator, GroupMessage} from './coordinator.js';
export type {GroupAdmin, PartitionLag, ResetTarget, GroupSpec} from './group-admin.js';
export type {TopicPartition} from './assignment.js';
export type {GroupDefinition, GroupMode, StartFrom} from './records.js';

export interface Groups {
  coordinator: GroupCoordinator;
  admin: GroupAdmin;
  stop(): void;
}

/** Wires consumer groups into a broker: the durable store over the internal topic, the coordinator and its session sweeper. */
export function createGroups(broker: Broker): Groups {
  const cfg = broker.config;
  const log = (topic: string, p: number): PartitionLog => broker.partitionLog(topic, p);
  const internal: InternalLog = {
    append: (topic, p, messages) => broker.appendInternal(topic, p, messages),
    read: (topic, p, from, max) => log(topic, p).read(from, {maxMessages: max, maxBytes: 16 * 1024 * 1024}),
    bounds: (topic, p) => ({logStart: log(topic, p).logStart, highWatermark: log(topic, p).highWatermark}),
    truncateBefore: (topic, p, offset) => void cutLog(broker.store, log(topic, p), offset, broker.clock.now()),
    // a leader elected a moment ago applies its first entry within a few ticks
    settled: (topic, p) => awaitSettledLeader(log(topic, p), cfg.raftTickMs * cfg.raftElectionTicks, broker.clock),
    barrier: (topic, p) => readBarrier(log(topic, p), cfg.raftTickMs * cfg.raftElectionTicks, broker.clock),
  };
  // the metadata leader creates __groups with groupsPartitions (which must be the same on every broker); a data
  // directory that has it already keeps its count
  const store = new GroupStore(internal, broker.topics.get(GROUPS_TOPIC)?.record.partitions.length ?? cfg.groupsPartitions, cfg.groupsCompactAfter);
  // a new broker's __groups appears later (the metadata leader creates it); its records then arrive as they commit
  if (broker.topics.get(GROUPS_TOPIC)) store.load();
  broker.topics.hooks.committed = (log, batches) => {
    if (log.topic === GROUPS_TOPIC) for (const b of batches) store.applyCommitted(log.number, b);
  };
  const view = groupTopicView(broker);
  const coordinator = new GroupCoordinator(store, view, broker.clock, {
    defaultSessionTimeoutMs: cfg.groupSessionTimeoutMs,
    heartbeatIntervalMs: cfg.groupHeartbeatIntervalMs,
  });
  const admin = new GroupAdmin(coordinator, view, broker.clock);
  const sweeper = setInterval(() => {
    for (const m of coordinator.expireSessions()) broker.logger.info({member: m}, 'group member session expired');
  }, Math.min(1000, Math.max(100, Math.floor(cfg.groupSessionTimeoutMs / 4))));
  sweeper.unref();
  return {coordinator, admin, stop: () => clearInterval(sweeper)};
}
