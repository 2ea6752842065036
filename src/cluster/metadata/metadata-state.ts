import {MqError} from '../../errors.js';
import type {TopicConfig, TopicRecord} from '../../broker/topic-config.js';
import {applyElastic, type ElasticCommand} from './elastic-ops.js';
import {placeReplicas} from './placement.js';

/** A broker as the metadata group knows it: its peer address (from the bootstrap list) and its advertised URLs. */
export interface BrokerRecord {
  id: number;
  /** host:port of its peer listener. */
  peer: string;
  /** Its client URL, once it has told the cluster (forwarding and 421 answers point here). */
  url: string | null;
  peerUrl: string | null;
  version: string | null;
  /** Random per data directory: a broker that comes back with another one lost its data (it re-syncs). */
  incarnation?: string | null;
  /** Being removed (`mq cluster remove`): its replicas move to other brokers, then it leaves the metadata. */
  leaving?: boolean;
}

/**
 * An access token (issue 10): only the SHA-256 of its secret is kept. Grants are `action:resource` strings
 * (src/security/grants.ts); rates are produce limits enforced by each broker on its own (0 or absent: none).
 */
export interface TokenRecord {
  name: string;
  /** Hex SHA-256 of the secret the client presents. */
  hash: string;
  grants: string[];
  createdAt: number;
  messagesPerS?: number;
  bytesPerS?: number;
}

/** Tokens the cluster holds at most (every request compares against all of them in constant time). */
export const TOKENS_MAX = 10_000;

/**
 * The seed's coordinator state: cluster id, brokers, topics and where each partition lives. Every broker holds the
 * same copy, built by applying the metadata group's committed commands in order; apply is deterministic (nothing
 * here reads a clock or this broker's configuration).
 */
export interface MetadataSnapshot {
  clusterId: string;
  brokers: BrokerRecord[];
  topics: TopicRecord[];
  nextPid: number;
  /** The seed's cluster_version: bumped by every applied membership or placement change. */
  version?: number;
  /** Absent in snapshots written before tokens existed: none. */
  tokens?: TokenRecord[];
}

export type MetadataCommand =
  | {op: 'topic.create'; name: string; config: TopicConfig; createdAt: number; topicsMax: number; defaultReplication: boolean}
  | {op: 'topic.update'; name: string; config: TopicConfig}
  | {op: 'topic.delete'; name: string}
  | {op: 'broker.upsert'; broker: BrokerRecord}
  /** A broker joins (or an existing one comes back with an empty data directory: same id, new incarnation). */
  | {op: 'broker.join'; broker: BrokerRecord}
  /** A broker leaves: it must hold no replica any more (the controller moves them first). */
  | {op: 'broker.remove'; id: number}
  /** New target replicas for a partition (the preferred leader first); its leader changes the Raft group to match. */
  | {op: 'partition.reassign'; topic: string; partition: number; replicas: number[]}
  /** Elastic partitions (elastic-ops.ts): added under load outside the hashing list, drained and removed when idle. */
  | ElasticCommand
  /** Access tokens (issue 10): created with their hash, revoked by name. */
  | {op: 'token.create'; token: TokenRecord}
  | {op: 'token.revoke'; name: string};

/** What applying one command changed, so that the broker can open or close partition replicas. */
export type MetadataChange =
  | {kind: 'topic'; name: string; before: TopicRecord | undefined; after: TopicRecord | undefined}
  | {kind: 'broker'; id: number; removed?: boolean}
  | {kind: 'token'; name: string; removed?: boolean};

export class MetadataState {
  clusterId: string;
  readonly brokers = new Map<number, BrokerRecord>();
  readonly topics = new Map<string, TopicRecord>();
  readonly tokens = new Map<string, TokenRecord>();
  /** The same tokens by hash (hex), so a request finds its token in one lookup however many there are. */
  readonly tokensByHash = new Map<string, TokenRecord>();
  nextPid: number;
  version: number;

  constructor(snap: MetadataSnapshot) {
    this.clusterId = snap.clusterId;
    for (const b of snap.brokers) this.brokers.set(b.id, b);
    for (const t of snap.topics) this.topics.set(t.name, t);
    for (const t of snap.tokens ?? []) {
      this.tokens.set(t.name, t);
      this.tokensByHash.set(t.hash, t);
    }
    this.nextPid = snap.nextPid;
    this.version = snap.version ?? 0;
  }

  snapshot(): MetadataSnapshot {
    return {
      clusterId: this.clusterId,
      brokers: [...this.brokers.values()].sort((a, b) => a.id - b.id),
      topics: [...this.topics.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
      nextPid: this.nextPid,
      version: this.version,
      tokens: [...this.tokens.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    };
  }

  brokerIds(): number[] {
    return [...this.brokers.keys()].sort((a, b) => a - b);
  }

  /** Applies one command; a refused command changes nothing and throws the error its proposer gets. */
  apply(cmd: MetadataCommand): MetadataChange {
    switch (cmd.op) {
      case 'topic.create':
        return this.createTopic(cmd);
      case 'topic.update':
        return this.updateTopic(cmd.name, cmd.config);
      case 'topic.delete': {
        const before = this.mustGet(cmd.name);
        this.topics.delete(cmd.name);
        return {kind: 'topic', name: cmd.name, before, after: undefined};
      }
      case 'broker.upsert':
        this.brokers.set(cmd.broker.id, cmd.broker);
        return {kind: 'broker', id: cmd.broker.id};
      case 'broker.join':
        this.brokers.set(cmd.broker.id, cmd.broker);
        this.version++;
        return {kind: 'broker', id: cmd.broker.id};
      case 'broker.remove': {
        if (!this.brokers.has(cmd.id)) throw new MqError('BROKER_NOT_FOUND', `broker ${cmd.id} is not a member`, {broker: cmd.id});
        const holding = [...this.topics.values()].flatMap((t) => t.partitions.filter((p) => p.replicas.includes(cmd.id)).map((p) => `${t.name}/${p.number}`));
        if (holding.length > 0) throw new MqError('BROKER_IN_USE', `broker ${cmd.id} still holds replicas (${holding.slice(0, 5).join(', ')}); move them first`, {broker: cmd.id});
        if (this.brokers.size === 1) throw new MqError('BROKER_IN_USE', 'the last broker cannot be removed', {broker: cmd.id});
        this.brokers.delete(cmd.id);
        this.version++;
        return {kind: 'broker', id: cmd.id, removed: true};
      }
      case 'partition.reassign':
        return this.reassign(cmd.topic, cmd.partition, cmd.replicas);
      case 'partition.add':
      case 'partition.drain':
      case 'partition.remove':
        return this.elastic(cmd);
      case 'token.create':
        if (this.tokens.has(cmd.token.name)) throw new MqError('TOKEN_EXISTS', `a token named ${cmd.token.name} already exists`, {name: cmd.token.name});
        if (this.tokens.size >= TOKENS_MAX) throw new MqError('INVALID_CONFIG', `the cluster holds its maximum of ${TOKENS_MAX} tokens`);
        this.tokens.set(cmd.token.name, cmd.token);
        this.tokensByHash.set(cmd.token.hash, cmd.token);
        return {kind: 'token', name: cmd.token.name};
      case 'token.revoke': {
        const t = this.tokens.get(cmd.name);
        if (!t) throw new MqError('TOKEN_NOT_FOUND', `no token named ${cmd.name}`, {name: cmd.name});
        this.tokens.delete(cmd.name);
        if (this.tokensByHash.get(t.hash) === t) this.tokensByHash.delete(t.hash);
        return {kind: 'token', name: cmd.name, removed: true};
      }
    }
  }

  private elastic(cmd: ElasticCommand): MetadataChange {
    const before = this.mustGet(cmd.topic);
    const after = applyElastic(before, cmd, (number) => this.allocate(1, number, before.config.replicationFactor)[0]!);
    this.topics.set(cmd.topic, after);
    this.version++;
    return {kind: 'topic', name: cmd.topic, before, after};
  }

  private reassign(name: string, partition: number, replicas: number[]): MetadataChange {
    const before = this.mustGet(name);
    const p = before.partitions.find((x) => x.number === partition);
    if (!p) throw new MqError('PARTITION_NOT_FOUND', `topic ${name} has no partition ${partition}`, {topic: name, partition});
    const unknown = replicas.filter((id) => !this.brokers.has(id));
    if (replicas.length === 0 || unknown.length > 0 || new Set(replicas).size !== replicas.length) {
      throw new MqError('INVALID_CONFIG', `invalid replicas [${replicas.join(', ')}] for ${name}/${partition}`, {unknown});
    }
    const after: TopicRecord = {...before, partitions: before.partitions.map((x) => (x.number === partition ? {...x, replicas: [...replicas]} : x))};
    this.topics.set(name, after);
    this.version++;
    return {kind: 'topic', name, before, after};
  }

  private mustGet(name: string): TopicRecord {
    const t = this.topics.get(name);
    if (!t) throw new MqError('TOPIC_NOT_FOUND', `topic ${name} does not exist`, {topic: name});
    return t;
  }

  private replicationFactor(config: TopicConfig, byDefault: boolean): number {
    const n = this.brokers.size;
    if (byDefault) return Math.min(3, n);
    if (config.replicationFactor > n) {
      throw new MqError('INVALID_CONFIG', `replication_factor ${config.replicationFactor} is more than the ${n} broker(s) in the cluster`);
    }
    return config.replicationFactor;
  }

  private allocate(count: number, firstNumber: number, rf: number): TopicRecord['partitions'] {
    const ids = this.brokerIds();
    const out: TopicRecord['partitions'] = [];
    for (let i = 0; i < count; i++) {
      const pid = this.nextPid++;
      out.push({number: firstNumber + i, pid, replicas: placeReplicas(ids, pid, rf)});
    }
    return out;
  }

  private createTopic(cmd: Extract<MetadataCommand, {op: 'topic.create'}>): MetadataChange {
    if (this.topics.has(cmd.name)) throw new MqError('TOPIC_EXISTS', `topic ${cmd.name} already exists`, {topic: cmd.name});
    if (!cmd.name.startsWith('__') && [...this.topics.keys()].filter((n) => !n.startsWith('__')).length >= cmd.topicsMax) {
      throw new MqError('INVALID_CONFIG', `the cluster holds its maximum of ${cmd.topicsMax} topics`);
    }
    // internal topics (group state, receipts) are small and every broker serves them: a replica on each
    const rf = cmd.name.startsWith('__') ? this.brokers.size : this.replicationFactor(cmd.config, cmd.defaultReplication);
    const partitions = this.allocate(cmd.config.partitions, 0, rf);
    this.version++;
    const record: TopicRecord = {
      name: cmd.name,
      config: {...cmd.config, replicationFactor: rf, replicationDefault: cmd.defaultReplication},
      createdAt: cmd.createdAt,
      partitions,
      base: partitions.map((p) => p.number),
      nextPartitionNumber: partitions.length,
    };
    this.topics.set(cmd.name, record);
    return {kind: 'topic', name: cmd.name, before: undefined, after: record};
  }

  private updateTopic(name: string, config: TopicConfig): MetadataChange {
    const before = this.mustGet(name);
    const grow = config.partitions - before.config.partitions;
    if (grow < 0) throw new MqError('INVALID_CONFIG', `partitions can only grow (from ${before.config.partitions})`);
    const added = this.allocate(grow, before.nextPartitionNumber, before.config.replicationFactor);
    const after: TopicRecord = {
      ...before,
      config: {...config, replicationFactor: before.config.replicationFactor},
      partitions: [...before.partitions, ...added],
      base: [...before.base, ...added.map((p) => p.number)],
      nextPartitionNumber: before.nextPartitionNumber + grow,
    };
    this.topics.set(name, after);
    if (grow > 0) this.version++;
    return {kind: 'topic', name, before, after};
  }
}
