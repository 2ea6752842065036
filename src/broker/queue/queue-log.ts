import {Payload, encodeJson} from '../../cluster/codec.js';
import type {ApplyScope} from '../../cluster/raft-group.js';
import {QueueStatus, type QueueRow} from '../../storage/index.js';
import type {Broker} from '../broker.js';
import type {PartitionLog} from '../partition.js';
import {outboxStore, type OutboxItem} from './outbox.js';
import {OutboxRelay} from './outbox-relay.js';
import type {ProcessedWaiters} from './processed.js';
import {QueueApplier} from './queue-apply.js';
import type {QueueOp} from './queue-types.js';
import type {Receipts} from './receipts.js';

/**
 * Queue entries in partitions' Raft logs: proposing them (answered with the offsets the entry left out when it
 * applied), applying them on every replica (queue-apply.ts decides what still holds), and the outbox they fill
 * (relayed by the leader: outbox-relay.ts).
 */
export class QueueLog {
  readonly applier: QueueApplier;
  readonly outbox: OutboxRelay;
  private nonce = 0;
  /** Per proposal (QueueOp.n): the offsets its entry left out when it applied here. */
  private readonly rejected = new Map<string, {pid: number; offsets: number[]}>();

  constructor(
    private readonly broker: Broker,
    receipts: Receipts,
    settled: (log: PartitionLog) => boolean,
    private readonly processed: ProcessedWaiters,
  ) {
    this.applier = new QueueApplier(broker.store);
    this.outbox = new OutboxRelay(broker, receipts, settled);
  }

  /** Resolves once committed and applied here, with the offsets of rows that no longer held (left out). */
  async propose(group: string, log: PartitionLog, op: string, rows: QueueRow[], floor: number, out: readonly OutboxItem[]): Promise<Set<number>> {
    const n = `${this.broker.nodeId}.${++this.nonce}`;
    await log.proposeQueueOp(encodeJson(Payload.Queue, {g: group, op, floor, rows, n, ...(out.length > 0 ? {out: [...out]} : {})} satisfies QueueOp));
    const left = new Set(this.rejected.get(n)?.offsets ?? []);
    this.rejected.delete(n);
    return left;
  }

  /**
   * A committed queue entry, on every replica: write what of it still holds (rows, floor, outbox items); settle
   * await=processed waiters; tell the proposer what was left out; relay the outbox on the leader.
   */
  apply(log: PartitionLog, op: QueueOp, scope: ApplyScope): void {
    if (op.op === 'relayed') {
      const keys = op.done ?? [];
      outboxStore.remove(this.broker.store, keys);
      scope.after(() => this.outbox.relayed(keys));
      return;
    }
    const a = this.applier.apply(log.pid, op, scope);
    scope.after(() => {
      if (op.n && a.rejected.length > 0 && op.n.startsWith(`${this.broker.nodeId}.`)) this.rejected.set(op.n, {pid: log.pid, offsets: a.rejected});
      for (const r of a.rows) {
        if (r.status === QueueStatus.Acked) this.processed.settled(op.g, log.pid, r.offset, 'processed');
        else if (r.status === QueueStatus.Dead) this.processed.settled(op.g, log.pid, r.offset, 'dead_lettered');
      }
      if (a.out.length > 0) this.outbox.recorded(log.pid);
    });
  }

  /** A change of leader: answers nobody will wait for are dropped; a new leader relays what is pending. */
  leadershipChanged(log: PartitionLog): void {
    for (const [n, r] of [...this.rejected]) if (r.pid === log.pid) this.rejected.delete(n);
    if (log.isLeader) this.outbox.kick(log.pid);
  }
}
