import {resolveBrokerConfig, type BrokerConfig} from '../config/index.js';
import {MqError} from '../errors.js';
import {silentLogger, type Logger} from '../observe/logger.js';
import {LoopDelayMonitor} from '../observe/loop-delay.js';
import {openMemoryStore, openSqliteStore, type LogStore, type NewMessage, type StoredMessage} from '../storage/index.js';
import {systemClock, type Clock} from '../util/clock.js';
import {GroupCommitter, type CommitScope} from './group-commit.js';
import {createGroups, type Groups} from './groups/index.js';
import {createQueues, type Queues} from './queue/index.js';
import type {AppendOutcome, PartitionLog} from './partition.js';
import {nextRoundRobin, routeMessage, type ProduceMessage} from './router.js';
import type {TopicPatch, TopicRecord, TopicSpec} from './topic-config.js';
import {TopicRegistry, type Topic} from './topics.js';

export type Acks = 'all' | 'leader' | 'none';

export type ProduceItem =
  | {partition: number; offset: number; duplicate: boolean; term: number; leader: number}
  | {partition: number; error: MqError};

export interface FetchRequest {
  offset: number;
  maxMessages: number;
  maxBytes: number;
  waitMs: number;
  signal?: AbortSignal;
}

export interface FetchResult {
  topic: string;
  partition: number;
  messages: StoredMessage[];
  nextOffset: number;
  highWatermark: number;
  logStart: number;
}

export interface PartitionView {
  partition: number;
  logStart: number;
  highWatermark: number;
  messages: number;
  bytes: number;
  leader: number;
  term: number;
  lastIndex: number;
  log: PartitionLog;
}

export interface BrokerOpenOptions {
  config?: BrokerConfig;
  clock?: Clock;
  logger?: Logger;
  /** Supply a store (tests, simulations); otherwise SQLite in config.dataDir, or memory with config.inMemory. */
  store?: LogStore;
}

const RETENTION_CHUNK = 10_000;
const ENTRIES_KEEP = 1_000;

/**
 * A single broker node: topics, produce (group commit, de-duplication) and fetch (long-poll). Every HTTP route, the
 * embedded test broker and the benchmarks go through this class.
 */
export class Broker {
  readonly startedAt: number;
  readonly topics: TopicRegistry;
  readonly loopDelay = new LoopDelayMonitor();
  readonly groups: Groups;
  readonly queues: Queues;
  /** Open SSE streams, and the most bytes any of them ever had queued in its socket (the slow-reader bound). */
  readonly streams = {open: 0, events: 0, queuedBytesMax: 0};
  private readonly committer: GroupCommitter;
  private readonly retentionTimer: NodeJS.Timeout;
  private retentionSoon = false;
  private closing = false;
  private closed = false;

  private constructor(
    readonly config: BrokerConfig,
    readonly store: LogStore,
    readonly clock: Clock,
    readonly logger: Logger,
  ) {
    this.startedAt = clock.now();
    this.committer = new GroupCommitter(store, clock, config.groupCommitMessagesMax);
    this.topics = new TopicRegistry(store, {limits: config, dedupWindowMs: config.dedupWindowMs, brokers: 1, now: () => clock.now()});
    this.topics.load();
    this.groups = createGroups(this);
    this.queues = createQueues(this, this.groups.coordinator, config.groupsPartitions);
    this.retentionTimer = setInterval(() => this.runRetention(), config.retentionCheckMs);
    this.retentionTimer.unref();
  }

  static async open(opts: BrokerOpenOptions = {}): Promise<Broker> {
    const config = opts.config ?? resolveBrokerConfig();
    const store =
      opts.store ??
      (config.inMemory
        ? openMemoryStore()
        : await openSqliteStore({dataDir: config.dataDir, synchronous: config.synchronous, unsafeNoFsync: config.unsafeNoFsync, cacheBytes: config.sqliteCacheBytes}));
    try {
      return new Broker(config, store, opts.clock ?? systemClock, opts.logger ?? silentLogger);
    } catch (error) {
      store.close();
      throw error;
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

  commitStats(): GroupCommitter['stats'] {
    return this.committer.stats;
  }

  /** Runs an operation inside the next group commit (work queues, receipts); urgent ones go first. */
  submit<T>(weight: number, op: (scope: CommitScope) => T, opts: {urgent?: boolean} = {}): Promise<T> {
    this.checkOpen();
    return this.committer.submit(weight, op, opts);
  }

  // ---- topics -------------------------------------------------------------------------------------------------

  createTopic(spec: TopicSpec): TopicRecord {
    this.checkOpen();
    const t = this.topics.create(spec);
    this.logger.info({topic: t.record.name, partitions: t.record.config.partitions}, 'topic created');
    return t.record;
  }

  listTopics(opts: {internal?: boolean} = {}): TopicRecord[] {
    return this.topics
      .list()
      .map((t) => t.record)
      .filter((r) => opts.internal || !r.name.startsWith('__'));
  }

  describeTopic(name: string): {record: TopicRecord; partitions: PartitionView[]} {
    const t = this.topics.mustGet(name);
    return {record: t.record, partitions: [...t.partitions.values()].map((log) => this.partitionView(log))};
  }

  partitionView(log: PartitionLog): PartitionView {
    return {
      partition: log.number,
      logStart: log.logStart,
      highWatermark: log.highWatermark,
      messages: log.highWatermark - log.logStart,
      bytes: log.bytes,
      leader: this.nodeId,
      term: log.term,
      lastIndex: log.lastIndex,
      log,
    };
  }

  updateTopic(name: string, patch: TopicPatch): TopicRecord {
    this.checkOpen();
    const t = this.topics.update(name, patch);
    this.logger.info({topic: name, patch}, 'topic updated');
    this.scheduleRetention();
    return t.record;
  }

  deleteTopic(name: string): void {
    this.checkOpen();
    this.topics.delete(name);
    this.logger.info({topic: name}, 'topic deleted');
  }

  // ---- produce ------------------------------------------------------------------------------------------------

  private topicForProduce(name: string): Topic {
    const existing = this.topics.get(name);
    if (existing) return existing;
    if (!this.config.autoCreateTopics) {
      throw new MqError('TOPIC_NOT_FOUND', `topic ${name} does not exist and auto-creation is off`, {topic: name});
    }
    this.logger.info({topic: name}, 'topic auto-created');
    return this.topics.create({name});
  }

  /**
   * Validates routing for the whole batch first (nothing is written if any message cannot be placed), then appends
   * each partition's share in the same group commit. Results come back in request order.
   */
  async produce(topicName: string, messages: readonly ProduceMessage[], _opts: {acks?: Acks} = {}): Promise<ProduceItem[]> {
    this.checkOpen();
    const topic = this.topicForProduce(topicName);
    const rr = nextRoundRobin(topic.record, topic.roundRobin++);
    const byPartition = new Map<number, number[]>();
    messages.forEach((m, i) => {
      const p = routeMessage(topic.record, m, rr);
      const list = byPartition.get(p);
      if (list) list.push(i);
      else byPartition.set(p, [i]);
    });
    const items: ProduceItem[] = new Array(messages.length);
    const window = topic.record.config.dedupWindowMs;
    if (topic.record.config.retention.untilAcked) this.checkCapacity(topic, messages, byPartition);
    await Promise.all(
      [...byPartition].map(async ([number, indexes]) => {
        const log = topic.partitions.get(number)!;
        const batch = indexes.map((i) => messages[i]!);
        let outcomes: AppendOutcome[];
        try {
          outcomes = await this.committer.submit(batch.length, (scope) => log.append(scope, batch, window));
        } catch (error) {
          const e = error instanceof MqError ? error : new MqError('INTERNAL', (error as Error).message, undefined, 'unknown');
          if (!(error instanceof MqError)) this.logger.error({err: error, topic: topicName, partition: number}, 'append failed');
          outcomes = batch.map(() => ({error: e}));
        }
        outcomes.forEach((o, k) => {
          items[indexes[k]!] = 'error' in o ? {partition: number, error: o.error} : {partition: number, offset: o.offset, duplicate: o.duplicate, term: log.term, leader: this.nodeId};
        });
        this.checkRetentionNeed(topic, log);
      }),
    );
    return items;
  }

  /** Appends to an internal topic's partition (group state, receipts): durable when the promise resolves. */
  async appendInternal(topicName: string, partition: number, messages: NewMessage[]): Promise<number[]> {
    const log = this.partitionLog(topicName, partition);
    const outcomes = await this.committer.submit(messages.length, (scope) => log.append(scope, messages, 0));
    return outcomes.map((o) => {
      if ('error' in o) throw o.error;
      return o.offset;
    });
  }

  /** An until_acked topic holds unprocessed work: at its limit it refuses producers rather than dropping any. */
  private checkCapacity(topic: Topic, messages: readonly ProduceMessage[], byPartition: Map<number, number[]>): void {
    const {maxMessages, maxBytes} = topic.record.config.retention;
    for (const [number, indexes] of byPartition) {
      const log = topic.partitions.get(number)!;
      const bytes = indexes.reduce((n, i) => n + messages[i]!.value.length, 0);
      if ((maxMessages !== null && log.highWatermark - log.logStart + indexes.length > maxMessages) || (maxBytes !== null && log.bytes + bytes > maxBytes)) {
        this.scheduleRetention();
        throw new MqError('TOPIC_FULL', `partition ${number} of ${topic.record.name} holds its limit of unprocessed messages; nothing was written`, {
          partition: number,
          messages: log.highWatermark - log.logStart,
          max_messages: maxMessages,
          max_bytes: maxBytes,
        });
      }
    }
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
    return {
      topic: topicName,
      partition,
      messages,
      nextOffset: last ? last.offset + 1 : req.offset,
      highWatermark: log.highWatermark,
      logStart: log.logStart,
    };
  }

  private checkOffset(log: PartitionLog, offset: number): void {
    if (offset < log.logStart || offset > log.highWatermark) {
      throw new MqError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside [${log.logStart}, ${log.highWatermark}] for ${log.topic}/${log.number}`, {
        log_start: log.logStart,
        high_watermark: log.highWatermark,
      });
    }
  }

  // ---- retention ----------------------------------------------------------------------------------------------

  private checkRetentionNeed(topic: Topic, log: PartitionLog): void {
    const r = topic.record.config.retention;
    if ((r.maxMessages !== null && log.highWatermark - log.logStart > r.maxMessages) || (r.maxBytes !== null && log.bytes > r.maxBytes)) {
      this.scheduleRetention();
    }
  }

  private scheduleRetention(): void {
    if (this.retentionSoon) return;
    this.retentionSoon = true;
    setImmediate(() => {
      this.retentionSoon = false;
      this.runRetention();
    });
  }

  /** until_acked: everything below every queue group's floor is done; with no queue group nothing is. */
  private ackedFloor(groups: string[], log: PartitionLog): number {
    if (groups.length === 0) return log.logStart;
    return Math.min(...groups.map((g) => this.queues.service.view(g, log).floor));
  }

  /** One bounded pass over every partition; schedules another right away if a partition still has more to delete. */
  runRetention(): void {
    if (this.closing) return;
    const now = this.clock.now();
    let more = false;
    try {
      for (const topic of this.topics.list()) {
        const {retention, dedupWindowMs} = topic.record.config;
        const queueGroups = retention.untilAcked ? this.queues.groupsOn(topic.record.name) : [];
        for (const log of topic.partitions.values()) {
          const ackedBelow = retention.untilAcked ? this.ackedFloor(queueGroups, log) : undefined;
          if (log.enforceRetention(retention, now, dedupWindowMs, RETENTION_CHUNK, ackedBelow) === RETENTION_CHUNK) more = true;
          if (dedupWindowMs > 0) log.dedup.expire(now - dedupWindowMs);
          const st = this.store.partitionState(log.pid);
          if (st && st.lastIndex - st.firstIndex > 2 * ENTRIES_KEEP) this.store.compactEntries(log.pid, st.lastIndex - ENTRIES_KEEP);
        }
      }
      this.store.expireSpill(now - Math.max(this.config.dedupWindowMs, ...this.topics.list().map((t) => t.record.config.dedupWindowMs)));
    } catch (error) {
      this.logger.error({err: error}, 'retention pass failed');
    }
    if (more) this.scheduleRetention();
  }

  // ---- lifecycle ----------------------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closing) throw new MqError('SHUTTING_DOWN', 'the broker is stopping');
  }

  /** First half of a graceful stop: refuse new work and release long-polls (they answer with what they have). */
  beginShutdown(): void {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.retentionTimer);
    this.groups.stop();
    this.queues.stop();
    for (const t of this.topics.list()) for (const log of t.partitions.values()) log.waiters.wake();
  }

  /** Graceful stop: refuse new work, let queued commits finish, close the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.beginShutdown();
    this.closed = true;
    await this.committer.drain();
    this.loopDelay.stop();
    this.store.close();
  }
}
