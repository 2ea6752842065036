import type {MetadataGroup} from '../cluster/metadata/metadata-group.js';
import type {MetadataChange} from '../cluster/metadata/metadata-state.js';
import type {ApplyScope} from '../cluster/raft-group.js';
import type {RaftHost} from '../cluster/raft-host.js';
import {StoreRaftStorage} from '../cluster/store-raft-storage.js';
import {MqError} from '../errors.js';
import type {Limits} from '../config/limits.js';
import type {LogStore} from '../storage/index.js';
import type {Clock} from '../util/clock.js';
import {PartitionLog, type PartitionHooks} from './partition.js';
import {applyTopicPatch, resolveTopicConfig, validateTopicName, type TopicPatch, type TopicRecord, type TopicSpec} from './topic-config.js';

export interface Topic {
  record: TopicRecord;
  /** The partitions this broker holds a replica of, by partition number. */
  partitions: Map<number, PartitionLog>;
  roundRobin: number;
}

export interface RegistryOptions {
  limits: Limits;
  dedupWindowMs: number;
  nodeId: number;
  clock: Clock;
  unsafeNoDedup?: boolean;
  /** In a cluster: a replica whose tail fails its CRC check is emptied and re-synced from the others. */
  repairDamaged?: boolean;
}

/**
 * Topics as the metadata group says they are, and the partition replicas this broker holds. Changes go through the
 * metadata leader (create/update/delete propose a command and resolve once it is applied here); every broker opens
 * the replicas placed on it as the command applies, and a new partition's preferred leader campaigns right away.
 */
export class TopicRegistry {
  private readonly topics = new Map<string, Topic>();
  /** Every partition replica on this broker by its id (work-queue lease ids carry it). */
  readonly byPid = new Map<number, PartitionLog>();
  /** What other services do when partitions commit, change leader or restore: shared by every partition. */
  readonly hooks: PartitionHooks = {};
  /** Topic changes applied here (after their transaction): services that cache per-topic state listen. */
  onTopicChanged: ((name: string, record: TopicRecord | undefined) => void) | undefined;

  constructor(
    private readonly store: LogStore,
    private readonly host: RaftHost,
    readonly metadata: MetadataGroup,
    private readonly opts: RegistryOptions,
  ) {}

  /** Partitions whose stored tail failed its CRC check at start-up and were emptied to re-sync (cluster only). */
  readonly repaired: number[] = [];

  /**
   * Reads back the last entries and messages of a partition, which checks their CRCs: a torn or flipped tail (a
   * damaged disk, a truncated WAL) is found before the replica votes or serves. Returns whether it is intact.
   */
  private tailIntact(pid: number): boolean {
    const st = this.store.partitionState(pid);
    if (!st) return true;
    try {
      this.store.readEntries(pid, Math.max(st.firstIndex, st.lastIndex - 1000), 1001);
      this.store.readMessages(pid, Math.max(st.logStart, st.nextOffset - 1000), {maxMessages: 1000, maxBytes: Number.MAX_SAFE_INTEGER, endOffset: st.nextOffset});
      return true;
    } catch (error) {
      if ((error as MqError).code !== 'DATA_CORRUPTED') throw error;
      return false;
    }
  }

  /** Opens the replicas the stored metadata places here (at start-up). */
  load(): void {
    // a replica whose storage is missing here (a lost data directory) starts empty and re-syncs
    for (const record of this.metadata.state.topics.values()) this.topics.set(record.name, this.materialize(record, () => false));
  }

  /**
   * A committed metadata change: open new replicas here now, close removed ones once the transaction is done. A
   * partition that the change creates is founded by its replicas (all start from the same configuration); one this
   * broker is added to later, or learns of from a metadata snapshot, starts empty and re-syncs from its leader.
   */
  changed(change: MetadataChange, scope: ApplyScope, opts: {restored?: boolean} = {}): void {
    if (change.kind !== 'topic') return;
    const {name, before, after} = change;
    const topic = this.topics.get(name);
    // a broker catching up on the metadata (it joined, or lost its data) founds nothing: the partitions it replays
    // exist already, and it must learn them from their leaders
    const founded = (pid: number): boolean => !opts.restored && !this.metadata.group.recovering && !before?.partitions.some((x) => x.pid === pid);
    if (!after) {
      if (topic) {
        this.topics.delete(name);
        scope.after(() => this.close(topic));
      }
    } else if (!topic) {
      this.topics.set(name, this.materialize(after, founded));
    } else {
      for (const p of after.partitions) {
        const mine = p.replicas.includes(this.opts.nodeId);
        const log = topic.partitions.get(p.number);
        if (mine && !log) topic.partitions.set(p.number, this.open(after, p, founded(p.pid)));
        if (log) {
          log.group.preferredLeader = p.replicas[0];
          // no longer placed here: kept until the partition's leader has taken this replica out of the group
          log.retiringSince = mine ? undefined : (log.retiringSince ?? this.opts.clock.monotonic());
        }
      }
      const dedupChanged = before && before.config.dedupWindowMs !== after.config.dedupWindowMs;
      topic.record = after;
      if (dedupChanged) for (const log of topic.partitions.values()) log.rebuildDedup(this.opts.clock.now(), this.dedupWindow(after));
    }
    scope.after(() => this.onTopicChanged?.(name, after));
  }

  /**
   * Drops replicas that are no longer placed here once their group no longer counts this broker (or, if the removal
   * never reaches it, a while after the metadata moved them and while it does not lead).
   */
  sweepRetired(graceMs = 30_000): void {
    const now = this.opts.clock.monotonic();
    for (const topic of this.topics.values()) {
      for (const [number, log] of topic.partitions) {
        if (log.retiringSince === undefined) continue;
        const conf = log.group.confState();
        const member = conf.voters.includes(this.opts.nodeId) || conf.learners.includes(this.opts.nodeId);
        if (member && (log.isLeader || now - log.retiringSince < graceMs)) continue;
        topic.partitions.delete(number);
        this.closeLogs([log]);
      }
    }
  }

  private close(topic: Topic): void {
    this.closeLogs([...topic.partitions.values()]);
  }

  private closeLogs(logs: PartitionLog[]): void {
    for (const log of logs) {
      this.host.removeGroup(log.pid);
      this.byPid.delete(log.pid);
    }
    this.store.transaction(() => {
      for (const log of logs) this.store.dropPartition(log.pid);
    });
    for (const log of logs) log.waiters.wake();
  }

  /** One partition replica: its Raft group over the partition's replicas (bootstrapped on first use), its log. */
  private open(record: TopicRecord, p: TopicRecord['partitions'][number], fresh: boolean): PartitionLog {
    let existed = this.store.getRaftSnapshot(p.pid) !== undefined;
    if (existed && this.opts.repairDamaged && !this.tailIntact(p.pid)) {
      // a damaged replica neither votes nor serves: it starts over empty and re-syncs from its leader
      this.store.dropPartition(p.pid);
      this.repaired.push(p.pid);
      existed = false;
    }
    if (fresh) StoreRaftStorage.bootstrap(this.store, p.pid, {voters: p.replicas, learners: []});
    else StoreRaftStorage.bootstrapEmpty(this.store, p.pid);
    const state = this.store.partitionState(p.pid);
    if (!state) throw new Error(`topic ${record.name}: partition ${p.number} (pid ${p.pid}) is missing from storage`);
    const log = new PartitionLog(this.store, record.name, p.number, p.pid, state, this.opts.limits.dedupEntriesPerPartitionMax, this.opts.clock);
    log.hooks = this.hooks;
    log.rebuildDedup(this.opts.clock.now(), this.dedupWindow(record));
    log.group = this.host.addGroup(p.pid, log);
    log.group.preferredLeader = p.replicas[0];
    if (!fresh && !existed) this.host.markRecovering(log.group);
    // the preferred leader of a new partition (or the only voter, always) need not wait out an election timeout
    const only = p.replicas.length === 1 && p.replicas[0] === this.opts.nodeId;
    if (only) log.group.node.campaign();
    else if (fresh && p.replicas[0] === this.opts.nodeId) {
      // the other replicas open the group when they apply the same metadata entry, a moment later: a vote request
      // that reached them first would be dropped, and the partition would wait out a whole election timeout
      setTimeout(() => {
        if (log.group.leader === 0 && this.host.groups.get(p.pid) === log.group) {
          log.group.node.campaign();
          this.host.schedule();
        }
      }, 2 * this.host.timings.tickMs).unref();
    }
    this.byPid.set(p.pid, log);
    return log;
  }

  /** `unsafeNoDedup` (tests that prove duplicates are detected) turns every window off. */
  private dedupWindow(record: TopicRecord): number {
    return this.opts.unsafeNoDedup ? 0 : record.config.dedupWindowMs;
  }

  private materialize(record: TopicRecord, founded: (pid: number) => boolean): Topic {
    const partitions = new Map<number, PartitionLog>();
    for (const p of record.partitions) if (p.replicas.includes(this.opts.nodeId)) partitions.set(p.number, this.open(record, p, founded(p.pid)));
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

  /** Creates a topic through the metadata leader (NOT_LEADER on any other broker); resolves once applied here. */
  async create(spec: TopicSpec, opts: {allowInternal?: boolean} = {}): Promise<Topic> {
    const name = validateTopicName(spec.name, opts);
    if (this.topics.has(name)) throw new MqError('TOPIC_EXISTS', `topic ${name} already exists`, {topic: name});
    const brokers = this.metadata.state.brokers.size;
    const config = resolveTopicConfig(spec, {dedupWindowMs: this.opts.dedupWindowMs, brokers}, this.opts.limits);
    await this.metadata.propose({
      op: 'topic.create',
      name,
      config,
      createdAt: this.opts.clock.now(),
      topicsMax: this.opts.limits.topicsMax,
      defaultReplication: spec.replicationFactor === undefined,
    });
    return this.mustGet(name);
  }

  async update(name: string, patch: TopicPatch): Promise<Topic> {
    const config = applyTopicPatch(this.mustGet(name).record.config, patch, this.opts.limits);
    await this.metadata.propose({op: 'topic.update', name, config});
    return this.mustGet(name);
  }

  async delete(name: string): Promise<void> {
    this.mustGet(name);
    await this.metadata.propose({op: 'topic.delete', name});
  }
}
