import type {Broker} from '../broker/broker.js';
import type {GroupDefinition} from '../broker/groups/index.js';
import type {GroupPartitionStatus, GroupStatus} from './status-model.js';

/** Stream groups: lag is what lies after the committed offset (or `from`, before the first commit). */
function streamGroup(broker: Broker, def: GroupDefinition): GroupStatus {
  const rt = broker.groups.coordinator.runtimes.get(def.name);
  const partitions: GroupPartitionStatus[] = broker.groups.admin.lagNow(def.name).map((l) => ({
    topic: l.topic,
    partition: l.partition,
    lag: l.lag,
    committed: l.committed,
    high_watermark: l.highWatermark,
    in_flight: 0,
    owner: l.owner,
  }));
  return {
    name: def.name,
    mode: 'stream',
    topics: def.topics,
    generation: rt?.generation ?? 0,
    members: rt?.members.size ?? 0,
    lag: partitions.reduce((n, p) => n + p.lag, 0),
    in_flight: 0,
    waiting_redelivery: 0,
    dead_lettered: 0,
    partitions,
  };
}

/** Queue groups: the same figures as `GET /v1/groups/{g}` (routes/groups.ts, describeQueue): the backlog is the lag. */
function queueGroup(broker: Broker, def: GroupDefinition): GroupStatus {
  const q = broker.queues.service;
  const rt = broker.groups.coordinator.runtimes.get(def.name);
  let waiting = 0;
  let dead = 0;
  const partitions: GroupPartitionStatus[] = q.partitionsOf(def.name).map((log) => {
    const v = q.view(def.name, log);
    const c = v.counts();
    waiting += c.waiting;
    dead += v.deadLettered;
    return {
      topic: log.topic,
      partition: log.number,
      lag: Math.max(0, log.highWatermark - v.floor - c.doneAhead),
      committed: v.floor,
      high_watermark: log.highWatermark,
      in_flight: c.inFlight,
      owner: null,
    };
  });
  return {
    name: def.name,
    mode: 'queue',
    topics: def.topics,
    generation: rt?.generation ?? 0,
    members: rt?.members.size ?? 0,
    lag: partitions.reduce((n, p) => n + p.lag, 0),
    in_flight: partitions.reduce((n, p) => n + p.in_flight, 0),
    waiting_redelivery: waiting,
    dead_lettered: dead,
    partitions,
  };
}

export function groupsStatus(broker: Broker): GroupStatus[] {
  return broker.groups.admin.list().map((def) => (def.mode === 'queue' ? queueGroup(broker, def) : streamGroup(broker, def)));
}
