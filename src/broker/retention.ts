import type {Broker} from './broker.js';
import type {PartitionLog} from './partition.js';
import {cutLog, retentionTarget} from './partition-retention.js';
import type {Topic} from './topics.js';

const CHUNK = 10_000;

/**
 * Retention on this replica: a periodic pass (for age) and a pass right after a write that exceeds a count or size
 * limit. Each replica applies it to its own copy; deletion follows whole Raft entries (see cutLog).
 */
export class Retention {
  private readonly timer: NodeJS.Timeout;
  private pending = false;

  constructor(private readonly broker: Broker) {
    this.timer = setInterval(() => this.run(), broker.config.retentionCheckMs);
    this.timer.unref();
  }

  check(topic: Topic, log: PartitionLog): void {
    const r = topic.record.config.retention;
    if ((r.maxMessages !== null && log.highWatermark - log.logStart > r.maxMessages) || (r.maxBytes !== null && log.bytes > r.maxBytes)) this.soon();
  }

  soon(): void {
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      this.run();
    });
  }

  /** until_acked: everything below every queue group's floor is done; with no queue group nothing is. */
  private ackedFloor(groups: string[], log: PartitionLog): number {
    if (groups.length === 0) return log.logStart;
    return Math.min(...groups.map((g) => this.broker.queues.service.floorOf(g, log)));
  }

  /** One bounded pass over every partition; another right away if a partition still has more to delete. */
  run(): void {
    const b = this.broker;
    if (b.isClosing) return;
    const now = b.clock.now();
    let more = false;
    try {
      for (const topic of b.topics.list()) {
        const {retention, dedupWindowMs} = topic.record.config;
        const queueGroups = retention.untilAcked ? b.queues.groupsOn(topic.record.name) : [];
        for (const log of topic.partitions.values()) {
          const acked = retention.untilAcked ? this.ackedFloor(queueGroups, log) : undefined;
          const target = retentionTarget(b.store, log, retention, now, CHUNK, acked);
          if (cutLog(b.store, log, target, now) >= CHUNK) more = true;
          if (dedupWindowMs > 0) log.dedup.expire(now - dedupWindowMs);
        }
      }
      b.store.expireSpill(now - Math.max(b.config.dedupWindowMs, ...b.topics.list().map((t) => t.record.config.dedupWindowMs)));
    } catch (error) {
      b.logger.error({err: error}, 'retention pass failed');
    }
    if (more) this.soon();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
