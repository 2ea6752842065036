import {ClusterRuntime} from '../cluster/cluster-runtime.js';
import {Controller} from '../cluster/controller.js';
import {clusterSetup} from '../cluster/founding.js';
import {MetadataGroup} from '../cluster/metadata/metadata-group.js';
import {startPeerNetwork, syncPeers} from '../cluster/peer-network.js';
import {PeerHttp} from '../cluster/peer-http.js';
import {peerTlsOf} from '../security/tls-settings.js';
import {RaftHost} from '../cluster/raft-host.js';
import type {TcpTransport} from '../cluster/transport/tcp-transport.js';
import {localTransport} from '../cluster/transport/types.js';
import {resolveBrokerConfig, type BrokerConfig} from '../config/index.js';
import {MqError} from '../errors.js';
import {silentLogger, type Logger} from '../observe/logger.js';
import {LoopDelayMonitor} from '../observe/loop-delay.js';
import {openMemoryStore, openSqliteStore, type LogStore, type NewMessage} from '../storage/index.js';
import {systemClock, type Clock} from '../util/clock.js';
import {systemRandom, type Random} from '../util/random.js';
import {VERSION} from '../version.js';
import {BrokerMembership} from './broker-membership.js';
import {GroupCommitter, type CommitScope, type GroupCommitStats} from './group-commit.js';
import {createGroups, type Groups} from './groups/index.js';
import type {PartitionLog} from './partition.js';
import {produce, type Acks, type ProduceItem} from './produce.js';
import {forwardToLeaders, type ForwardOptions} from './produce-forward.js';
import {createQueues, type Queues} from './queue/index.js';
import {Retention} from './retention.js';
import type {ProduceMessage} from './router.js';
import type {TopicPatch, TopicRecord, TopicSpec} from './topic-config.js';
import {TopicRegistry} from './topics.js';
import {ensureTopicAnywhere, InternalTopics, internalTopicSpecs} from './topic-ensure.js';
import type {FetchRequest, FetchResult, PartitionView} from './broker-types.js';

export type {Acks, ProduceItem} from './produce.js';
export type {FetchRequest, FetchResult, PartitionView} from './broker-types.js';

export interface BrokerOpenOptions {
  config?: BrokerConfig;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  /** Supply a store (tests, simulations); otherwise SQLite in config.dataDir, or memory with config.inMemory. */
  store?: LogStore;
}

/**
 * A broker node: topics, produce (through each partition's Raft group: the leader proposes, a majority writes, then it
 * answers) and fetch (long-poll on the committed data). On a single node every group has one voter and the same code
 * path runs. Every HTTP route, the embedded test broker and the benchmarks go through this class.
 */
export class Broker {
  readonly startedAt: number;
  readonly host: RaftHost;
  readonly metadata: MetadataGroup;
  readonly cluster: ClusterRuntime;
  readonly controller: Controller;
  readonly topics: TopicRegistry;
  readonly membership: BrokerMembership;
  private readonly internalTopics = new InternalTopics(this);
  private stopPrepared = false;
  readonly loopDelay = new LoopDelayMonitor();
  readonly groups: Groups;
  readonly queues: Queues;
  readonly retention: Retention;
  /** Open SSE streams, and the most bytes any of them ever had queued in its socket (the slow-reader bound). */
  readonly streams = {open: 0, events: 0, queuedBytesMax: 0};
  /** Pools to the other brokers' client listeners (forwarded requests). */
  readonly peerHttp: PeerHttp;
  private readonly committer: GroupCommitter;
  private transport: TcpTransport | undefined;
  private closing = false;
  private closed = false;

  private constructor(
    readonly config: BrokerConfig,
    readonly store: LogStore,
    readonly clock: Clock,
    private readonly random: Random,
    readonly logger: Logger,
    private readonly secret: Buffer | undefined,
    founding: Parameters<typeof MetadataGroup.open>[3],
  ) {
    this.startedAt = clock.now();
    this.peerHttp = new PeerHttp(peerTlsOf(config));
    this.committer = new GroupCommitter(store, clock, config.groupCommitMessagesMax);
    const timings = {tickMs: config.raftTickMs, electionTicks: config.raftElectionTicks, heartbeatTicks: config.raftHeartbeatTicks};
    this.host = new RaftHost(store, config.nodeId, localTransport(), clock, random, timings, logger);
    this.metadata = MetadataGroup.open(store, this.host, logger, founding);
    this.cluster = new ClusterRuntime(config.nodeId, this.metadata, this.host, clock, logger, VERSION);
    this.topics = new TopicRegistry(store, this.host, this.metadata, {limits: config, dedupWindowMs: config.dedupWindowMs, nodeId: config.nodeId, clock, unsafeNoDedup: config.unsafeNoDedup, repairDamaged: secret !== undefined});
    this.controller = new Controller(this.host, this.metadata, this.topics, this.cluster, clock, logger, {nodeId: config.nodeId, replaceAfterMs: config.replaceAfterMs});
    this.membership = new BrokerMembership({config, secret, store, host: this.host, metadata: this.metadata, cluster: this.cluster, clock, logger, closing: () => this.closing});
    this.metadata.listener = {
      changed: (change, scope, opts) => {
        this.topics.changed(change, scope, opts);
        if (change.kind === 'broker' && this.transport) scope.after(() => syncPeers(this.transport!, this.metadata, config.nodeId));
      },
      leadership: (isLeader) => this.cluster.leadership(isLeader),
    };
    this.cluster.onMetadataLeader = () => void this.internalTopics.ensure();
    this.host.onDataLoss = () => void this.membership.reannounce();
    this.topics.load();
    if (this.topics.repaired.length > 0) logger.error({partitions: this.topics.repaired}, 'damaged replicas found at start-up: re-syncing them from their leaders');
    this.groups = createGroups(this);
    this.queues = createQueues(this, this.groups.coordinator);
    this.retention = new Retention(this);
    const voters = this.metadata.group.confState().voters;
    if (voters.length === 1 && voters[0] === config.nodeId) this.metadata.group.node.campaign();
    this.host.start();
    this.controller.start();
  }

  static async open(opts: BrokerOpenOptions = {}): Promise<Broker> {
    const config = opts.config ?? resolveBrokerConfig();
    const store =
      opts.store ??
      (config.inMemory
        ? openMemoryStore()
        : await openSqliteStore({dataDir: config.dataDir, synchronous: config.synchronous, unsafeNoFsync: config.unsafeNoFsync, cacheBytes: config.sqliteCacheBytes}));
    let broker: Broker;
    try {
      const setup = clusterSetup(config, store);
      broker = new Broker(config, store, opts.clock ?? systemClock, opts.random ?? systemRandom, opts.logger ?? silentLogger, setup.secret, setup.founding);
    } catch (error) {
      store.close();
      throw error;
    }
    // a single node is ready once it leads its own groups and has its internal topics; a cluster member must not
    // wait (the others need it up to elect anyone)
    if (!broker.clustered) await broker.untilReady(10_000);
    return broker;
  }

  /** Whether this broker is part of a cluster (it has peers, or was bootstrapped as one). */
  get clustered(): boolean {
    return this.secret !== undefined;
  }

  /**
   * Once the client listener is up: records this broker's URL and, in a cluster, opens the peer listener and dials
   * the other brokers. Returns the peer URL (null for a single node).
   */
  async startNetwork(url: string): Promise<string | null> {
    if (!this.secret) {
      this.cluster.start(url, null);
      return null;
    }
    const deps = {config: this.config, host: this.host, metadata: this.metadata, cluster: this.cluster, logger: this.logger, random: this.random};
    if (this.metadata.state.brokers.size === 0 && this.config.join) {
      // a new (or emptied) broker: the cluster admits it, then its leaders send it the metadata and the partitions
      const res = await this.membership.join(url);
      this.metadata.state.clusterId = res.cluster_id;
      this.transport = await startPeerNetwork(deps, this.secret, url, {peers: res.brokers});
    } else {
      this.transport = await startPeerNetwork(deps, this.secret, url);
      // replicas emptied at start-up must not be trusted for what they held: a new incarnation resets them
      if (this.topics.repaired.length > 0) void this.membership.reannounce();
    }
    return this.cluster.peerUrl;
  }

  /** Ready to serve: a metadata leader is known and the internal topics exist here. */
  get ready(): boolean {
    return this.metadata.leader !== 0 && internalTopicSpecs(this.config).every((t) => this.topics.get(t.name) !== undefined);
  }

  async untilReady(timeoutMs: number): Promise<void> {
    const deadline = this.clock.monotonic() + timeoutMs;
    while (!this.ready) {
      if (this.clock.monotonic() > deadline) throw new MqError('UNAVAILABLE', `the broker did not become ready within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }


  get nodeId(): number {
    return this.config.nodeId;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  get pendingCommits(): number {
    return this.committer.pending;
  }

  /**
   * Group commit across both writers: Raft rounds (every replicated write: messages, queue ops, group records) and
   * the work-queue decision batches. Each flush is one transaction and one fsync.
   */
  commitStats(): GroupCommitStats {
    const q = this.committer.stats;
    const r = this.host.stats;
    return {flushes: q.flushes + r.rounds, ops: q.ops + r.entries, maxOpsPerFlush: Math.max(q.maxOpsPerFlush, r.maxEntriesPerRound)};
  }

  /** Runs an operation in the next turn's batch (work-queue decisions); urgent ones (confirms) go first. */
  submit<T>(weight: number, op: (scope: CommitScope) => T, opts: {urgent?: boolean} = {}): Promise<T> {
    this.checkOpen();
    return this.committer.submit(weight, op, opts);
  }

  // ---- topics -------------------------------------------------------------------------------------------------

  /** Creates a topic through the metadata leader (NOT_LEADER elsewhere: the HTTP layer forwards). */
  async createTopic(spec: TopicSpec): Promise<TopicRecord> {
    this.checkOpen();
    const t = await this.topics.create(spec);
    this.logger.info({topic: t.record.name, partitions: t.record.config.partitions}, 'topic created');
    // answer once the new partitions have leaders (elected within a few ticks), so the topic is usable at once
    await Promise.all([...t.partitions.values()].map((log) => log.awaitLeader(this.electionWaitMs()).catch(() => {})));
    return t.record;
  }

  /** Creates a topic unless it exists, from any broker; resolves once the topic is known here. */
  async ensureTopic(spec: TopicSpec): Promise<void> {
    await ensureTopicAnywhere(this, spec);
  }

  listTopics(opts: {internal?: boolean} = {}): TopicRecord[] {
    return this.topics
      .list()
      .map((t) => t.record)
      .filter((r) => opts.internal || !r.name.startsWith('__'));
  }

  /** The partitions this broker holds a replica of (in a cluster of more than three brokers, not all of them). */
  describeTopic(name: string): {record: TopicRecord; partitions: PartitionView[]} {
    const t = this.topics.mustGet(name);
    return {record: t.record, partitions: [...t.partitions.values()].sort((a, b) => a.number - b.number).map((log) => this.partitionView(log))};
  }

  partitionView(log: PartitionLog): PartitionView {
    return {
      partition: log.number,
      logStart: log.logStart,
      highWatermark: log.highWatermark,
      messages: log.highWatermark - log.logStart,
      bytes: log.bytes,
      leader: log.group?.leader ?? 0,
      term: log.term,
      lastIndex: log.lastIndex,
      log,
    };
  }

  async updateTopic(name: string, patch: TopicPatch): Promise<TopicRecord> {
    this.checkOpen();
    const t = await this.topics.update(name, patch);
    this.logger.info({topic: name, patch}, 'topic updated');
    this.retention.soon();
    return t.record;
  }

  async deleteTopic(name: string): Promise<void> {
    this.checkOpen();
    await this.topics.delete(name);
    this.logger.info({topic: name}, 'topic deleted');
  }

  // ---- produce ------------------------------------------------------------------------------------------------

  /**
   * Routes and produces a batch (see produce.ts); results come back in request order. In a cluster the share of
   * partitions led elsewhere is forwarded to their leaders (produce-forward.ts) unless `route.forward` is false.
   */
  async produce(topicName: string, messages: readonly ProduceMessage[], opts: {acks?: Acks; route?: Partial<ForwardOptions>} = {}): Promise<ProduceItem[]> {
    this.checkOpen();
    const items = await produce(this, topicName, messages, opts);
    if (this.clustered) await forwardToLeaders(this, topicName, messages, items, {acks: opts.acks ?? 'all', hops: 0, forward: true, ...opts.route});
    return items;
  }

  /** Appends to an internal topic's partition (group state, receipts): durable when the promise resolves. */
  async appendInternal(topicName: string, partition: number, messages: NewMessage[]): Promise<number[]> {
    const log = this.partitionLog(topicName, partition);
    await log.awaitLeader(this.electionWaitMs());
    const outcomes = await log.produce(messages);
    return outcomes.map((o) => {
      if ('error' in o) throw o.error;
      return o.offset;
    });
  }

  /** How long a request waits for a partition that has no leader yet (one is being elected). */
  electionWaitMs(): number {
    return 4 * this.config.raftElectionTicks * this.config.raftTickMs;
  }

  // ---- fetch --------------------------------------------------------------------------------------------------

  partitionLog(topicName: string, partition: number): PartitionLog {
    const log = this.topics.mustGet(topicName).partitions.get(partition);
    if (!log) throw new MqError('PARTITION_NOT_FOUND', `topic ${topicName} has no partition ${partition}`, {topic: topicName, partition});
    return log;
  }

  /** Reads committed messages from an offset; at the end of the log it long-polls for up to waitMs. */
  async fetch(topicName: string, partition: number, req: FetchRequest): Promise<FetchResult> {
    this.checkOpen();
    let log = this.partitionLog(topicName, partition);
    this.checkOffset(log, req.offset);
    const deadline = this.clock.monotonic() + Math.min(req.waitMs, this.config.waitMsMax);
    while (req.offset >= log.highWatermark && !this.closing && !req.signal?.aborted) {
      const left = deadline - this.clock.monotonic();
      if (left <= 0) break;
      await log.waiters.wait(left, req.signal);
      log = this.partitionLog(topicName, partition);
    }
    this.checkOffset(log, req.offset);
    const messages = log.read(req.offset, {maxMessages: req.maxMessages, maxBytes: req.maxBytes});
    const last = messages[messages.length - 1];
    return {topic: topicName, partition, messages, nextOffset: last ? last.offset + 1 : req.offset, highWatermark: log.highWatermark, logStart: log.logStart};
  }

  private checkOffset(log: PartitionLog, offset: number): void {
    if (offset > log.highWatermark && this.clustered) {
      // a replica (even one that believes it leads) may be behind the cluster after a change of leader: the offset may
      // well exist, so this is retriable, not out of range
      throw new MqError('UNAVAILABLE', `offset ${offset} is past the high watermark (${log.highWatermark}) of this replica of ${log.topic}/${log.number}, which may be behind after a change of leader; retry`, {
        log_start: log.logStart,
        high_watermark: log.highWatermark,
      }, false);
    }
    if (offset < log.logStart || offset > log.highWatermark) {
      throw new MqError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside [${log.logStart}, ${log.highWatermark}] for ${log.topic}/${log.number}`, {
        log_start: log.logStart,
        high_watermark: log.highWatermark,
      });
    }
  }

  runRetention(): void {
    this.retention.run();
  }

  // ---- lifecycle ----------------------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closing) throw new MqError('SHUTTING_DOWN', 'the broker is stopping');
  }

  /** First half of a graceful stop: refuse new work and release long-polls (they answer with what they have). */
  beginShutdown(): void {
    if (this.closing) return;
    this.closing = true;
    this.retention.stop();
    this.groups.stop();
    this.queues.stop();
    for (const t of this.topics.list()) for (const log of t.partitions.values()) log.waiters.wake();
  }

  /**
   * The first step of a graceful stop in a cluster, taken while this broker still serves (so that requests keep
   * being forwarded to the new leaders): no more balancing back to this broker, and leadership handed over.
   */
  async prepareStop(): Promise<void> {
    if (this.stopPrepared) return;
    this.stopPrepared = true;
    this.cluster.stop();
    this.controller.stop();
    if (this.clustered) await this.membership.handOffLeadership(this.electionWaitMs());
  }

  /** Graceful stop: refuse new work, let queued work finish, stop Raft, close the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.beginShutdown();
    this.closed = true;
    await this.prepareStop();
    await this.peerHttp.close();
    await this.committer.drain();
    await this.host.stop();
    this.loopDelay.stop();
    this.store.close();
  }
}
