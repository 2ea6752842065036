import {MqError} from '../../errors.js';
import type {TopicRecord} from '../../broker/topic-config.js';
import type {Logger} from '../../observe/logger.js';
import type {LogStore} from '../../storage/index.js';
import {Payload, decodeJson, encodeJson, payloadKind} from '../codec.js';
import type {Entry, Snapshot, SoftState} from '../raft/index.js';
import type {RaftHost} from '../raft-host.js';
import type {ApplyScope, GroupStateMachine, RaftGroup} from '../raft-group.js';
import {StoreRaftStorage} from '../store-raft-storage.js';
import {MetadataState, type BrokerRecord, type MetadataChange, type MetadataCommand, type MetadataSnapshot, type TokenRecord} from './metadata-state.js';

/** The metadata Raft group's id; partitions' ids start at 1. */
export const METADATA_GID = 0;

const TOPIC_KEY = 'topic/';
const BROKER_KEY = 'broker/';
const TOKEN_KEY = 'token/';
const CLUSTER_ID_KEY = 'cluster/id';
const NEXT_PID_KEY = 'seq/pid';
const VERSION_KEY = 'cluster/version';
/** Applied commands between snapshots of the metadata log (each snapshot is the whole state, small). */
const COMPACT_EVERY = 1000;

export interface MetadataListener {
  /**
   * A committed change, inside the Ready's transaction: open replicas here; destructive work goes in scope.after.
   * `restored`: it came from a snapshot (this broker missed the commands).
   */
  changed(change: MetadataChange, scope: ApplyScope, opts?: {restored?: boolean}): void;
  /** This broker became (or stopped being) the metadata leader. */
  leadership(isLeader: boolean): void;
}

/**
 * The metadata group's state machine (DESIGN §5: the seed's coordinator). Its state is mirrored into the store's
 * metadata table in the same transaction as the entries that change it, with the applied index, so a restart loads
 * it instead of replaying the log.
 */
export class MetadataGroup implements GroupStateMachine {
  state: MetadataState;
  group!: RaftGroup;
  listener: MetadataListener | undefined;
  /** Outcomes of this broker's own proposals, by log index, until the proposer reads them. */
  private readonly outcomes = new Map<number, {change?: MetadataChange; error?: MqError}>();
  private sinceCompaction = 0;
  private applied: number;

  private constructor(
    private readonly store: LogStore,
    private readonly logger: Logger,
  ) {
    this.state = new MetadataState(loadState(store));
    this.applied = store.partitionState(METADATA_GID)?.applied ?? 0;
  }

  /**
   * Opens the metadata group, creating it on first start: a founding member starts from a snapshot at index 1 that
   * every founder computes identically (cluster id and brokers from the bootstrap list). A data directory from before
   * the metadata group existed keeps its topics: they become the first snapshot's (single node only).
   */
  static open(store: LogStore, host: RaftHost, logger: Logger, founding: () => MetadataSnapshot & {voters: number[]}): MetadataGroup {
    let joining = false;
    if (!store.getRaftSnapshot(METADATA_GID)) {
      const init = founding();
      // no founders: this broker joins a running cluster and learns the metadata from its leader
      joining = init.voters.length === 0;
      store.transaction(() => {
        if (joining) StoreRaftStorage.bootstrapEmpty(store, METADATA_GID);
        else StoreRaftStorage.bootstrap(store, METADATA_GID, {voters: init.voters, learners: []}, encodeSnapshot(init));
        writeState(store, init);
        store.setApplied(METADATA_GID, joining ? 0 : 1, 0);
      });
    }
    const md = new MetadataGroup(store, logger);
    md.group = host.addGroup(METADATA_GID, md);
    if (joining) host.markRecovering(md.group);
    return md;
  }

  /** Topics and the next pid as stored before the metadata group existed (or as a single node's first snapshot). */
  static legacyTopics(store: LogStore, nodeId: number): {topics: TopicRecord[]; nextPid: number} {
    const topics = store.listMeta(TOPIC_KEY).map(([, json]) => {
      const t = JSON.parse(json) as TopicRecord;
      return {...t, partitions: t.partitions.map((p) => ({...p, replicas: p.replicas ?? [nodeId]}))};
    });
    return {topics, nextPid: Number(store.getMeta(NEXT_PID_KEY) ?? '1')};
  }

  get isLeader(): boolean {
    return this.group.isLeader;
  }

  get leader(): number {
    return this.group.leader;
  }

  /**
   * Proposes a command through the metadata leader; resolves with what it changed once committed and applied here,
   * or rejects with the error applying it raised (TOPIC_EXISTS, ...). Throws NOT_LEADER at once on a follower.
   */
  async propose(cmd: MetadataCommand): Promise<MetadataChange> {
    const {index} = await this.group.propose(encodeJson(Payload.Metadata, cmd));
    const outcome = this.outcomes.get(index);
    this.outcomes.delete(index);
    if (!outcome) throw new MqError('UNAVAILABLE', 'the metadata change was committed but its outcome is unknown here', undefined, 'unknown');
    if (outcome.error) throw outcome.error;
    return outcome.change!;
  }

  persisted(): void {}

  apply(entries: readonly Entry[], scope: ApplyScope): void {
    for (const e of entries) {
      this.applied = e.index;
      if (e.type !== 'normal' || payloadKind(e.data) !== Payload.Metadata) continue;
      const cmd = decodeJson<MetadataCommand>(e.data);
      try {
        const change = this.state.apply(cmd);
        persistChange(this.store, this.state, change);
        this.listener?.changed(change, scope);
        if (this.group.hasWaiter(e.index)) this.outcomes.set(e.index, {change});
      } catch (error) {
        // refusals are part of the log's meaning (every replica refuses the same command); anything else is a bug
        if (!(error instanceof MqError)) throw error;
        if (this.group.hasWaiter(e.index)) this.outcomes.set(e.index, {error});
      }
      this.sinceCompaction++;
    }
    const last = entries[entries.length - 1];
    if (last) this.store.setApplied(METADATA_GID, last.index, 0);
    if (this.sinceCompaction >= COMPACT_EVERY && last) {
      this.group.storage.compact(last.index, this.group.confState(), this.snapshotData());
      this.sinceCompaction = 0;
    }
  }

  resetFor(): {nextOffset: number; lastTimestamp: number} {
    return {nextOffset: 0, lastTimestamp: 0};
  }

  restore(snapshot: Snapshot, scope: ApplyScope): void {
    const before = this.state;
    const next = JSON.parse(Buffer.from(snapshot.data).toString('utf8')) as MetadataSnapshot;
    clearState(this.store);
    writeState(this.store, next);
    this.state = new MetadataState(next);
    this.applied = snapshot.metadata.index;
    this.store.setApplied(METADATA_GID, snapshot.metadata.index, 0);
    this.logger.info({index: snapshot.metadata.index, topics: next.topics.length}, 'metadata restored from a snapshot');
    const names = new Set([...before.topics.keys(), ...this.state.topics.keys()]);
    for (const name of names) {
      const a = before.topics.get(name);
      const b = this.state.topics.get(name);
      if (JSON.stringify(a) !== JSON.stringify(b)) this.listener?.changed({kind: 'topic', name, before: a, after: b}, scope, {restored: true});
    }
    for (const id of this.state.brokers.keys()) this.listener?.changed({kind: 'broker', id}, scope, {restored: true});
  }

  snapshotData(): Uint8Array {
    return encodeSnapshot(this.state.snapshot());
  }

  roleChanged(soft: SoftState, previous: SoftState | undefined): void {
    const was = previous?.role === 'leader';
    const is = soft.role === 'leader';
    if (was !== is) this.listener?.leadership(is);
  }

  get appliedIndex(): number {
    return this.applied;
  }

  brokers(): BrokerRecord[] {
    return [...this.state.brokers.values()].sort((a, b) => a.id - b.id);
  }
}

function encodeSnapshot(s: MetadataSnapshot): Uint8Array {
  const {clusterId, brokers, topics, nextPid, version, tokens} = s;
  return Buffer.from(JSON.stringify({clusterId, brokers, topics, nextPid, version: version ?? 0, tokens: tokens ?? []}));
}

function loadState(store: LogStore): MetadataSnapshot {
  return {
    clusterId: store.getMeta(CLUSTER_ID_KEY) ?? '',
    brokers: store.listMeta(BROKER_KEY).map(([, json]) => JSON.parse(json) as BrokerRecord),
    topics: store.listMeta(TOPIC_KEY).map(([, json]) => JSON.parse(json) as TopicRecord),
    nextPid: Number(store.getMeta(NEXT_PID_KEY) ?? '1'),
    version: Number(store.getMeta(VERSION_KEY) ?? '0'),
    tokens: store.listMeta(TOKEN_KEY).map(([, json]) => JSON.parse(json) as TokenRecord),
  };
}

function clearState(store: LogStore): void {
  for (const [k] of store.listMeta(TOPIC_KEY)) store.deleteMeta(k);
  for (const [k] of store.listMeta(BROKER_KEY)) store.deleteMeta(k);
  for (const [k] of store.listMeta(TOKEN_KEY)) store.deleteMeta(k);
}

function writeState(store: LogStore, s: MetadataSnapshot): void {
  store.putMeta(CLUSTER_ID_KEY, s.clusterId);
  store.putMeta(NEXT_PID_KEY, String(s.nextPid));
  store.putMeta(VERSION_KEY, String(s.version ?? 0));
  for (const b of s.brokers) store.putMeta(BROKER_KEY + b.id, JSON.stringify(b));
  for (const t of s.topics) store.putMeta(TOPIC_KEY + t.name, JSON.stringify(t));
  for (const t of s.tokens ?? []) store.putMeta(TOKEN_KEY + t.name, JSON.stringify(t));
}

function persistChange(store: LogStore, state: MetadataState, change: MetadataChange): void {
  store.putMeta(VERSION_KEY, String(state.version));
  if (change.kind === 'token') {
    if (change.removed) store.deleteMeta(TOKEN_KEY + change.name);
    else store.putMeta(TOKEN_KEY + change.name, JSON.stringify(state.tokens.get(change.name)));
    return;
  }
  if (change.kind === 'broker') {
    if (change.removed) store.deleteMeta(BROKER_KEY + change.id);
    else store.putMeta(BROKER_KEY + change.id, JSON.stringify(state.brokers.get(change.id)));
    return;
  }
  if (change.after) store.putMeta(TOPIC_KEY + change.name, JSON.stringify(change.after));
  else store.deleteMeta(TOPIC_KEY + change.name);
  store.putMeta(NEXT_PID_KEY, String(state.nextPid));
}
