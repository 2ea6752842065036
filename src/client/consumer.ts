import {MqError} from '../errors.js';
import type {WirePlacedMessage, WireTopicPartition} from '../protocol/wire.js';
import {MqClient, type ClientOptions} from './client.js';

export interface ConsumerOptions extends ClientOptions {
  /** Topic(s) to read. */
  topics: string | string[];
  /** Read as a member of this consumer group (committed offsets, partitions shared among members). */
  group?: string;
  /** Where to start without a committed offset (groups) or at all (offset mode): earliest, latest or an offset. */
  from?: 'earliest' | 'latest' | number;
  /** Offset mode only: read these partitions (default all). */
  partitions?: number[];
  /** Groups: commit what was handed out when the next batch is fetched (at-least-once). Default true. */
  autoCommit?: boolean;
  clientId?: string;
  sessionTimeoutMs?: number;
  /** Messages per fetch and the longest long-poll. */
  maxMessages?: number;
  waitMs?: number;
}

export type ConsumedMessage = WirePlacedMessage;

/**
 * Reads a topic as an async iterator, either by offset (positions kept here) or as a member of a consumer group
 * (positions and commits kept by the broker). In a group, a heartbeat runs in the background, an expired session is
 * rejoined, and with autoCommit the next fetch commits the previous batch, so a message is committed only after the
 * loop body has finished with it.
 */
export class Consumer implements AsyncIterable<ConsumedMessage> {
  readonly client: MqClient;
  private readonly topics: string[];
  private memberId: string | undefined;
  private generation = 0;
  private assignment: WireTopicPartition[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private closed = false;
  /** Offset mode: next offset per "topic/partition". */
  private readonly positions = new Map<string, number>();
  /** Group mode with manual commits: the next offset after the last message handed out, per partition. */
  private readonly delivered = new Map<string, WireTopicPartition & {offset: number}>();
  /**
   * Group mode: the next offset after the last message received, per partition, sent with the next fetch, so that a
   * fetch whose answer was lost is served again rather than skipped (the broker continues from these).
   */
  private readonly received = new Map<string, WireTopicPartition & {offset: number}>();

  constructor(private readonly opts: ConsumerOptions) {
    this.client = new MqClient(opts);
    this.topics = Array.isArray(opts.topics) ? opts.topics : [opts.topics];
  }

  get member(): string | undefined {
    return this.memberId;
  }

  get currentAssignment(): WireTopicPartition[] {
    return this.assignment;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ConsumedMessage> {
    while (!this.closed) {
      for (const m of await this.poll()) {
        if (this.closed) return;
        this.handOut(m);
        yield m;
      }
    }
  }

  /**
   * One fetch: the next batch (empty when nothing arrived within waitMs). With autoCommit the batch before it is
   * committed, so call poll() again only once you are done with every message it returned; call handOut(m) for each
   * message you process if you close() mid-batch and want only those committed.
   */
  async poll(): Promise<ConsumedMessage[]> {
    if (this.closed) return [];
    return this.opts.group ? this.fetchGroup() : this.fetchOffsets();
  }

  /** Records that the application has taken this message (what close() and commit() commit). */
  handOut(m: ConsumedMessage): void {
    this.delivered.set(`${m.topic}/${m.partition}`, {topic: m.topic, partition: m.partition, offset: m.offset + 1});
  }

  // ---- groups -------------------------------------------------------------------------------------------------

  private async joinGroup(): Promise<void> {
    const j = await this.client.join(this.opts.group!, {
      clientId: this.opts.clientId,
      topics: this.topics,
      from: typeof this.opts.from === 'string' ? this.opts.from : undefined,
      sessionTimeoutMs: this.opts.sessionTimeoutMs,
    });
    this.memberId = j.member_id;
    // a new membership starts from the group's committed offsets
    this.received.clear();
    this.generation = j.generation;
    this.assignment = j.assignment;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => void this.beat(), j.heartbeat_interval_ms);
    this.heartbeat.unref();
  }

  private async beat(): Promise<void> {
    if (!this.memberId || this.closed) return;
    try {
      const h = await this.client.heartbeat(this.opts.group!, this.memberId);
      this.generation = h.generation;
      this.assignment = h.assignment;
    } catch (error) {
      if (error instanceof MqError && error.code === 'UNKNOWN_MEMBER') this.memberId = undefined;
    }
  }

  private async fetchGroup(): Promise<ConsumedMessage[]> {
    if (!this.memberId) await this.joinGroup();
    try {
      const r = await this.client.groupFetch(this.opts.group!, this.memberId!, {
        maxMessages: this.opts.maxMessages ?? 500,
        waitMs: this.opts.waitMs ?? 5000,
        autoCommit: this.opts.autoCommit ?? true,
        positions: [...this.received.values()],
        signal: this.abort.signal,
      });
      this.generation = r.generation;
      this.assignment = r.assignment;
      for (const m of r.messages) this.received.set(`${m.topic}/${m.partition}`, {topic: m.topic, partition: m.partition, offset: m.offset + 1});
      return r.messages;
    } catch (error) {
      if (this.closed) return [];
      if (error instanceof MqError && error.code === 'UNKNOWN_MEMBER') {
        this.memberId = undefined;
        return [];
      }
      throw error;
    }
  }

  /**
   * Commits the offsets after `message` (or after everything handed out so far). Throws STALE_GENERATION if the
   * group rebalanced in between: those messages will be delivered again to their partitions' new owners.
   */
  async commit(message?: ConsumedMessage): Promise<void> {
    if (!this.opts.group) return;
    if (!this.memberId) throw new MqError('UNKNOWN_MEMBER', 'not in the group (yet)');
    const offsets = message ? [{topic: message.topic, partition: message.partition, offset: message.offset + 1}] : [...this.delivered.values()];
    if (offsets.length === 0) return;
    await this.client.commit(this.opts.group, this.memberId, this.generation, offsets);
  }

  // ---- offsets ------------------------------------------------------------------------------------------------

  private async fetchOffsets(): Promise<ConsumedMessage[]> {
    if (this.positions.size === 0) await this.initPositions();
    const waitMs = this.opts.waitMs ?? 5000;
    const keys = [...this.positions.keys()];
    const pages = await Promise.all(
      keys.map(async (key) => {
        const [topic, p] = splitTp(key);
        try {
          const page = await this.client.fetch(topic, p, {offset: this.positions.get(key)!, maxMessages: this.opts.maxMessages ?? 500, waitMs, signal: this.abort.signal});
          this.positions.set(key, page.next_offset);
          return page.messages.map((m) => ({...m, topic, partition: p}));
        } catch (error) {
          if (this.closed) return [];
          throw error;
        }
      }),
    );
    return pages.flat();
  }

  private async initPositions(): Promise<void> {
    for (const topic of this.topics) {
      const d = await this.client.describeTopic(topic);
      for (const p of d.partition_details) {
        if (this.opts.partitions && !this.opts.partitions.includes(p.partition)) continue;
        const from = this.opts.from ?? 'earliest';
        const start = from === 'earliest' ? p.log_start_offset : from === 'latest' ? p.high_watermark : from;
        this.positions.set(`${topic}/${p.partition}`, start);
      }
    }
  }

  /**
   * Stops; in a group, commits what this consumer handed out (with autoCommit: not what the broker sent but the loop
   * never reached) and leaves, so the other members rebalance at once.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.opts.group && this.memberId) {
      if (this.opts.autoCommit ?? true) await this.commit().catch(() => undefined);
      await this.client.leave(this.opts.group, this.memberId, {commit: false}).catch(() => undefined);
    }
    await this.client.close();
  }
}

function splitTp(key: string): [string, number] {
  const i = key.lastIndexOf('/');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}
