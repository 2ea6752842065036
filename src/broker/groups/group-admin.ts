import {MqError} from '../../errors.js';
import type {Clock} from '../../util/clock.js';
import {validateTopicName} from '../topic-config.js';
import type {TopicPartition} from './assignment.js';
import type {Bounds, GroupCoordinator, TopicView} from './coordinator.js';
import type {GroupDefinition, GroupMode, OffsetTriple, QueueSettings, StartFrom} from './records.js';

const NAME = /^[A-Za-z0-9._-]{1,196}$/;

export interface GroupSpec {
  name: string;
  topics: string[];
  mode?: GroupMode;
  from?: StartFrom;
  sessionTimeoutMs?: number;
  /** Queue groups: how long a lease lasts (default 30 s), deliveries before a dead letter (default 4), where dead letters go. */
  leaseMs?: number;
  maxDeliveries?: number;
  deadLetterTopic?: string | null;
}

export const QUEUE_DEFAULTS = {leaseMs: 30_000, maxDeliveries: 4};
const LEASE_MS_MIN = 100;
const LEASE_MS_MAX = 12 * 3600_000;

export type ResetTarget = {to: 'earliest'} | {to: 'latest'} | {to: 'offset'; offset: number} | {to: 'time'; timestamp: number};

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: number | null;
  logStart: number;
  highWatermark: number;
  lag: number;
  owner: string | null;
}

export function validateGroupName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name) || /^\.+$/.test(name) || name.startsWith('__')) {
    throw new MqError('INVALID_FIELD', `invalid group name ${JSON.stringify(name)}: use 1-196 of [A-Za-z0-9._-], not starting with __`, {field: 'name'});
  }
  return name;
}

const SESSION_MS_MIN = 1000;
const SESSION_MS_MAX = 30 * 60_000;

/** Creating, describing, resetting and deleting groups: the admin side, all of it through the group log. */
export class GroupAdmin {
  constructor(
    private readonly coordinator: GroupCoordinator,
    private readonly topics: TopicView,
    private readonly clock: Clock,
  ) {}

  private checkSpec(spec: GroupSpec): GroupDefinition {
    const name = validateGroupName(spec.name);
    if (!Array.isArray(spec.topics) || spec.topics.length === 0) throw new MqError('MISSING_FIELD', 'a group needs at least one topic', {field: 'topics'});
    for (const t of spec.topics) {
      validateTopicName(t);
      if (!this.topics.partitions(t)) throw new MqError('TOPIC_NOT_FOUND', `topic ${t} does not exist`, {topic: t});
    }
    const session = spec.sessionTimeoutMs ?? this.coordinator.opts.defaultSessionTimeoutMs;
    if (!Number.isInteger(session) || session < SESSION_MS_MIN || session > SESSION_MS_MAX) {
      throw new MqError('INVALID_CONFIG', `session_timeout_ms must be an integer in [${SESSION_MS_MIN}, ${SESSION_MS_MAX}]`);
    }
    const mode = spec.mode ?? 'stream';
    const def: GroupDefinition = {name, mode, topics: [...new Set(spec.topics)].sort(), from: spec.from ?? 'earliest', sessionTimeoutMs: session, createdAt: this.clock.now()};
    if (mode === 'queue') def.queue = this.checkQueue(spec, def.topics);
    else if (spec.leaseMs !== undefined || spec.maxDeliveries !== undefined || spec.deadLetterTopic !== undefined) {
      throw new MqError('INVALID_CONFIG', 'lease_ms, max_deliveries and dead_letter_topic are settings of queue groups (mode "queue")');
    }
    return def;
  }

  private checkQueue(spec: GroupSpec, topics: string[]): QueueSettings {
    const leaseMs = spec.leaseMs ?? QUEUE_DEFAULTS.leaseMs;
    const maxDeliveries = spec.maxDeliveries ?? QUEUE_DEFAULTS.maxDeliveries;
    if (!Number.isInteger(leaseMs) || leaseMs < LEASE_MS_MIN || leaseMs > LEASE_MS_MAX) throw new MqError('INVALID_CONFIG', `lease_ms must be an integer in [${LEASE_MS_MIN}, ${LEASE_MS_MAX}]`);
    if (!Number.isInteger(maxDeliveries) || maxDeliveries < 1 || maxDeliveries > 1000) throw new MqError('INVALID_CONFIG', 'max_deliveries must be an integer in [1, 1000]');
    const dlq = spec.deadLetterTopic ?? null;
    if (dlq !== null) {
      validateTopicName(dlq);
      if (topics.includes(dlq)) throw new MqError('INVALID_CONFIG', 'the dead-letter topic cannot be one of the topics the group reads');
    } else {
      for (const t of topics) validateTopicName(`${t}.dlq`);
    }
    return {leaseMs, maxDeliveries, deadLetterTopic: dlq};
  }

  /** Creates a group; creating it again with the same settings is a no-op (so an implicit join can create it). */
  async create(spec: GroupSpec): Promise<{def: GroupDefinition; created: boolean}> {
    const def = this.checkSpec(spec);
    const existing = this.coordinator.store.groups.get(def.name)?.def;
    if (existing) {
      const same = existing.mode === def.mode && existing.topics.join() === def.topics.join() && JSON.stringify(existing.queue ?? null) === JSON.stringify(def.queue ?? null);
      if (!same) throw new MqError('GROUP_EXISTS', `group ${def.name} exists with ${existing.mode} mode on ${existing.topics.join(', ')}`, {group: def.name});
      return {def: existing, created: false};
    }
    await this.coordinator.store.append([{t: 'define', def}]);
    return {def, created: true};
  }

  list(): GroupDefinition[] {
    return [...this.coordinator.store.groups.values()].map((g) => g.def).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Lag per partition, reading the bounds of partitions held elsewhere. */
  async lag(name: string): Promise<PartitionLag[]> {
    const def = this.coordinator.definition(name);
    const bounds = new Map<string, Bounds>();
    for (const topic of def.topics) {
      for (const partition of this.topics.partitions(topic) ?? []) bounds.set(`${topic}/${partition}`, await this.topics.bounds(topic, partition));
    }
    return this.lagWith(name, (topic, partition) => bounds.get(`${topic}/${partition}`));
  }

  /** Lag as known now, for /status (a partition held elsewhere: as of its last read; left out if never read). */
  lagNow(name: string): PartitionLag[] {
    return this.lagWith(name, (topic, partition) => this.topics.boundsNow(topic, partition));
  }

  private lagWith(name: string, boundsOf: (topic: string, partition: number) => Bounds | undefined): PartitionLag[] {
    const def = this.coordinator.definition(name);
    const rt = this.coordinator.runtimes.get(name);
    const out: PartitionLag[] = [];
    for (const topic of def.topics) {
      for (const partition of this.topics.partitions(topic) ?? []) {
        const b = boundsOf(topic, partition);
        if (!b) continue;
        const committed = this.coordinator.committed(name, {topic, partition}) ?? null;
        const from = committed ?? (def.from === 'earliest' ? b.logStart : b.highWatermark);
        out.push({topic, partition, committed, logStart: b.logStart, highWatermark: b.highWatermark, lag: Math.max(0, b.highWatermark - Math.max(from, b.logStart)), owner: rt?.owners.get(`${topic}/${partition}`) ?? null});
      }
    }
    return out;
  }

  private requireIdle(name: string, what: string): void {
    if (this.coordinator.definition(name).mode === 'queue' && what === 'reset') {
      throw new MqError('WRONG_GROUP_MODE', `group ${name} is a queue group: it has no offsets to reset (use mq dlq redrive for dead letters)`);
    }
    const members = this.coordinator.runtimes.get(name)?.members.size ?? 0;
    if (members > 0) throw new MqError('GROUP_ACTIVE', `cannot ${what} group ${name} while it has ${members} active member(s)`, {group: name, members});
  }

  /** Moves committed offsets, backwards too (the only way to): to earliest, latest, an offset, or the first message at or after a time. */
  async reset(name: string, target: ResetTarget, only?: {topic?: string; partition?: number}): Promise<OffsetTriple[]> {
    const def = this.coordinator.definition(name);
    this.requireIdle(name, 'reset');
    const parts: TopicPartition[] = [];
    for (const topic of def.topics) {
      if (only?.topic !== undefined && only.topic !== topic) continue;
      for (const partition of this.topics.partitions(topic) ?? []) if (only?.partition === undefined || only.partition === partition) parts.push({topic, partition});
    }
    if (parts.length === 0) throw new MqError('PARTITION_NOT_FOUND', `group ${name} reads no such topic/partition`);
    const offsets: OffsetTriple[] = [];
    for (const tp of parts) {
      const b = await this.topics.bounds(tp.topic, tp.partition);
      let o: number;
      if (target.to === 'earliest') o = b.logStart;
      else if (target.to === 'latest') o = b.highWatermark;
      else if (target.to === 'offset') o = target.offset;
      else o = await this.topics.offsetForTimestamp(tp.topic, tp.partition, target.timestamp);
      offsets.push([tp.topic, tp.partition, Math.min(Math.max(o, b.logStart), b.highWatermark)]);
    }
    await this.coordinator.store.append([{t: 'reset', group: name, offsets}]);
    return offsets;
  }

  async delete(name: string): Promise<void> {
    const def = this.coordinator.definition(name);
    this.requireIdle(name, 'delete');
    await this.coordinator.store.append([{t: 'delete', group: name}]);
    this.coordinator.runtimes.delete(name);
    if (def.mode === 'queue') this.onQueueDeleted(name, def.topics);
  }

  /** Set by the broker: drops a deleted queue group's state. */
  onQueueDeleted: (group: string, topics: string[]) => void = () => {};
}
