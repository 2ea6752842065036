import {MqError} from '../errors.js';
import type {Limits} from '../config/limits.js';
import type {LogStore} from '../storage/index.js';
import {PartitionLog} from './partition.js';
import {applyTopicPatch, resolveTopicConfig, validateTopicName, type TopicPatch, type TopicRecord, type TopicSpec} from './topic-config.js';

const TOPIC_KEY = 'topic/';
const NEXT_PID_KEY = 'seq/pid';

export interface Topic {
  record: TopicRecord;
  /** By partition number. */
  partitions: Map<number, PartitionLog>;
  roundRobin: number;
}

export interface RegistryOptions {
  limits: Limits;
  dedupWindowMs: number;
  brokers: number;
  now: () => number;
}

/**
 * Topics and their partitions on this broker, persisted in the store's metadata. Single-node today: each change is
 * one local transaction. (With Raft, the same records travel through the metadata group.)
 */
export class TopicRegistry {
  private readonly topics = new Map<string, Topic>();
  /** Every partition on this broker by its storage id (work-queue lease ids carry it). */
  readonly byPid = new Map<number, PartitionLog>();

  constructor(
    private readonly store: LogStore,
    private readonly opts: RegistryOptions,
  ) {}

  load(): void {
    for (const [, json] of this.store.listMeta(TOPIC_KEY)) {
      const record = JSON.parse(json) as TopicRecord;
      this.topics.set(record.name, this.materialize(record));
    }
  }

  private materialize(record: TopicRecord): Topic {
    const partitions = new Map<number, PartitionLog>();
    for (const {number, pid} of record.partitions) {
      const state = this.store.partitionState(pid);
      if (!state) throw new Error(`topic ${record.name}: partition ${number} (pid ${pid}) is missing from storage`);
      const log = new PartitionLog(this.store, record.name, number, pid, state, this.opts.limits.dedupEntriesPerPartitionMax);
      log.rebuildDedup(this.opts.now(), record.config.dedupWindowMs);
      partitions.set(number, log);
      this.byPid.set(pid, log);
    }
    return {record, partitions, roundRobin: 0};
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  mustGet(name: string): Topic {
    const t = this.topics.get(name);
    if (!t) throw new MqError('TOPIC_NOT_FOUND', `topic ${name} does not exist`, {topic: name});
    return t;
  }

  list(): Topic[] {
    return [...this.topics.values()].sort((a, b) => (a.record.name < b.record.name ? -1 : 1));
  }

  get size(): number {
    return this.topics.size;
  }

  private allocatePids(n: number): number[] {
    const next = Number(this.store.getMeta(NEXT_PID_KEY) ?? '1');
    this.store.putMeta(NEXT_PID_KEY, String(next + n));
    return Array.from({length: n}, (_, i) => next + i);
  }

  private save(record: TopicRecord): void {
    this.store.putMeta(TOPIC_KEY + record.name, JSON.stringify(record));
  }

  create(spec: TopicSpec, opts: {allowInternal?: boolean} = {}): Topic {
    const name = validateTopicName(spec.name, opts);
    if (this.topics.has(name)) throw new MqError('TOPIC_EXISTS', `topic ${name} already exists`, {topic: name});
    if (this.topics.size >= this.opts.limits.topicsMax) throw new MqError('INVALID_CONFIG', `this broker holds its maximum of ${this.opts.limits.topicsMax} topics`);
    const config = resolveTopicConfig(spec, this.opts, this.opts.limits);
    const record = this.store.transaction(() => {
      const pids = this.allocatePids(config.partitions);
      const rec: TopicRecord = {
        name,
        config,
        createdAt: this.opts.now(),
        partitions: pids.map((pid, number) => ({number, pid})),
        base: pids.map((_, number) => number),
        nextPartitionNumber: config.partitions,
      };
      for (const pid of pids) this.store.createPartition(pid);
      this.save(rec);
      return rec;
    });
    const topic = this.materialize(record);
    this.topics.set(name, topic);
    return topic;
  }

  update(name: string, patch: TopicPatch): Topic {
    const topic = this.mustGet(name);
    const old = topic.record;
    const config = applyTopicPatch(old.config, patch, this.opts.limits);
    const grow = config.partitions - old.config.partitions;
    const record = this.store.transaction(() => {
      const pids = this.allocatePids(grow);
      const added = pids.map((pid, i) => ({number: old.nextPartitionNumber + i, pid}));
      for (const pid of pids) this.store.createPartition(pid);
      const rec: TopicRecord = {
        ...old,
        config,
        partitions: [...old.partitions, ...added],
        base: [...old.base, ...added.map((p) => p.number)],
        nextPartitionNumber: old.nextPartitionNumber + grow,
      };
      this.save(rec);
      return rec;
    });
    for (const p of record.partitions.slice(old.partitions.length)) {
      const log = new PartitionLog(this.store, name, p.number, p.pid, this.store.partitionState(p.pid)!, this.opts.limits.dedupEntriesPerPartitionMax);
      topic.partitions.set(p.number, log);
      this.byPid.set(p.pid, log);
    }
    if (config.dedupWindowMs !== old.config.dedupWindowMs) {
      for (const log of topic.partitions.values()) log.rebuildDedup(this.opts.now(), config.dedupWindowMs);
    }
    topic.record = record;
    return topic;
  }

  delete(name: string): void {
    const topic = this.mustGet(name);
    this.store.transaction(() => {
      for (const {pid} of topic.record.partitions) this.store.dropPartition(pid);
      this.store.deleteMeta(TOPIC_KEY + name);
    });
    this.topics.delete(name);
    for (const log of topic.partitions.values()) {
      this.byPid.delete(log.pid);
      log.waiters.wake();
    }
  }
}
