import {Payload, encodeJson} from '../../cluster/codec.js';
import type {Broker} from '../broker.js';
import type {PartitionLog} from '../partition.js';
import {writeDeadLetterCopy} from './dead-letter.js';
import {outboxStore} from './outbox.js';
import type {QueueOp} from './queue-types.js';
import type {Receipt, Receipts} from './receipts.js';

const BATCH = 500;
const BACKOFF_MAX_MS = 2000;

/**
 * The partition leader's side of the outbox (outbox.ts): writes each pending item where it belongs (receipts to
 * `__receipts`, dead-letter copies to their topic; both with ids derived from what they confirm, so a repeat is
 * absorbed by de-duplication), then marks the items relayed through the partition's log. A new leader relays
 * whatever is still pending; an item relayed twice (the old leader died before marking it) is a duplicate the
 * receiving topic drops.
 */
export class OutboxRelay {
  /** Partitions (storage ids) that may have pending items. */
  private readonly pending = new Set<number>();
  private readonly running = new Set<number>();
  private readonly retryAt = new Map<number, {at: number; backoff: number}>();
  private readonly waiters = new Map<string, Array<() => void>>();

  constructor(
    private readonly broker: Broker,
    private readonly receipts: Receipts,
    private readonly settled: (log: PartitionLog) => boolean,
  ) {
    for (const pid of outboxStore.pids(broker.store)) this.pending.add(pid);
  }

  /** Items were recorded on this partition (after their entry's transaction committed). */
  recorded(pid: number): void {
    this.pending.add(pid);
    this.retryAt.delete(pid);
    this.kick(pid);
  }

  /** Items were marked relayed (after the transaction): answers whoever waits for them. */
  relayed(keys: readonly string[]): void {
    for (const k of keys) {
      const list = this.waiters.get(k);
      this.waiters.delete(k);
      for (const fn of list ?? []) fn();
    }
  }

  /** Waits (up to timeoutMs) until these items are relayed: an ack answers once its receipt is readable, as before. */
  async waitRelayed(keys: readonly string[], timeoutMs: number): Promise<void> {
    if (keys.length === 0) return;
    let left = keys.length;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref?.();
      const one = (): void => {
        if (--left === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (const k of keys) this.waiters.set(k, [...(this.waiters.get(k) ?? []), one]);
    });
    for (const k of keys) if (this.waiters.get(k)?.length === 0) this.waiters.delete(k);
  }

  /** Periodic: relays what a failed attempt or a change of leader left pending. */
  tick(): void {
    for (const pid of this.pending) this.kick(pid);
  }

  kick(pid: number): void {
    if (this.running.has(pid) || this.broker.isClosing) return;
    const log = this.broker.topics.byPid.get(pid);
    if (!log) return;
    if (!log.isLeader || !this.settled(log)) return;
    const r = this.retryAt.get(pid);
    if (r && performance.now() < r.at) return;
    void this.run(log);
  }

  private async run(log: PartitionLog): Promise<void> {
    this.running.add(log.pid);
    try {
      for (;;) {
        const items = outboxStore.list(this.broker.store, log.pid, BATCH);
        if (items.length === 0) {
          this.pending.delete(log.pid);
          return;
        }
        for (const it of items) if ('dlq' in it) await writeDeadLetterCopy(this.broker, it.dlq);
        const receipts: Receipt[] = [];
        for (const it of items) if ('receipt' in it) receipts.push(it.receipt);
        await this.receipts.append(receipts);
        const done: QueueOp = {g: '', op: 'relayed', floor: 0, rows: [], done: items.map((it) => it.key)};
        await log.proposeQueueOp(encodeJson(Payload.Queue, done));
        this.retryAt.delete(log.pid);
        if (!log.isLeader || this.broker.isClosing) return;
      }
    } catch (err) {
      const prev = this.retryAt.get(log.pid)?.backoff ?? 0;
      const backoff = Math.min(BACKOFF_MAX_MS, Math.max(100, prev * 2));
      // real time, not the broker's clock: a retry pace, not a decision
      this.retryAt.set(log.pid, {at: performance.now() + backoff, backoff});
      if (prev === 0 || backoff === BACKOFF_MAX_MS) this.broker.logger.warn({err, topic: log.topic, partition: log.number}, 'could not relay receipts or dead letters yet; retrying');
    } finally {
      this.running.delete(log.pid);
    }
  }
}
