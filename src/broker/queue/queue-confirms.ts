import {MqError} from '../../errors.js';
import {QueueStatus, type QueueRow} from '../../storage/index.js';
import type {QueueSettings} from '../groups/records.js';
import type {PartitionLog} from '../partition.js';
import type {QueuePartition} from './queue-partition.js';
import type {ConfirmContext, ConfirmOutcome} from './queue-types.js';
import {receiptItem, type OutboxItem} from './outbox.js';

const ERROR_TEXT_MAX = 1024;

export interface ConfirmDecision {
  outcomes: ConfirmOutcome[];
  /** The partition (storage id) of each outcome, to fail them together if that partition's proposal fails. */
  pids: number[];
  /** Per partition: the rows changed, the floor, and what they owe outside it (receipts, dead-letter copies). */
  changes: Map<PartitionLog, {rows: QueueRow[]; floor: number; out: OutboxItem[]}>;
}

/**
 * Decides what a batch of acks, progress calls or nacks does, on the leader's in-memory views. Nothing here is
 * durable: the caller proposes `changes` (one queue entry per partition) and answers once they are committed.
 */
export function decideConfirms(
  ctx: ConfirmContext,
  group: string,
  settings: QueueSettings,
  kind: 'ack' | 'progress' | 'nack',
  leaseIds: readonly string[],
  opts: {leaseMs?: number; delayMs?: number; error?: string},
): ConfirmDecision {
  const now = ctx.now();
  const mono = ctx.mono();
  const d: ConfirmDecision = {outcomes: [], pids: [], changes: new Map()};
  const change = (log: PartitionLog, v: QueuePartition, row: QueueRow, out: OutboxItem[] = []): void => {
    const c = d.changes.get(log) ?? {rows: [], floor: v.floor, out: []};
    c.rows.push(row);
    c.out.push(...out);
    c.floor = v.floor;
    d.changes.set(log, c);
  };
  for (const id of leaseIds) {
    const at = ctx.locate(group, id);
    if (at instanceof MqError) {
      d.outcomes.push({leaseId: id, error: at});
      d.pids.push(-1);
      continue;
    }
    const {log, v, offset} = at;
    d.pids.push(log.pid);
    try {
      ctx.requireLeader(log);
    } catch (e) {
      d.outcomes.push({leaseId: id, error: e as MqError});
      continue;
    }
    const row = v.rows.get(offset);
    // acked with this very lease: a repeat. Dead-lettered is not done by this lease's holder: it ran out (LEASE_EXPIRED)
    if ((!row && offset < v.floor) || (row && row.leaseId === id && row.status === QueueStatus.Acked)) {
      d.outcomes.push({leaseId: id, status: 'already_done'});
      continue;
    }
    const deadline = v.leaseDeadlines.get(offset);
    if (!row || row.leaseId !== id || row.status !== QueueStatus.Leased || deadline === undefined || deadline <= mono) {
      d.outcomes.push({leaseId: id, error: new MqError('LEASE_EXPIRED', `lease ${id} is not current (it ran out or the message was delivered again); nothing changed`, {lease_id: id})});
      continue;
    }
    if (kind === 'ack') {
      const info = ctx.infoOf(log, offset, id);
      const done: QueueRow = {...row, status: QueueStatus.Acked, until: now};
      v.markDone(offset, done);
      change(log, v, done, info.producer ? [receiptItem(log.pid, ctx.receipt(group, log, offset, info, 'processed', now, row.deliveries))] : []);
      ctx.leaseInfo.delete(id);
      d.outcomes.push({leaseId: id, status: 'acked'});
    } else if (kind === 'progress') {
      const leaseMs = opts.leaseMs ?? settings.leaseMs;
      const extended: QueueRow = {...row, until: now + leaseMs};
      v.extendLease(offset, extended, mono + leaseMs);
      const info = ctx.infoOf(log, offset, id);
      const first = info.producer !== null && !info.progressed;
      info.progressed = true;
      change(log, v, extended, first ? [receiptItem(log.pid, ctx.receipt(group, log, offset, info, 'in_progress', now, row.deliveries))] : []);
      d.outcomes.push({leaseId: id, status: 'extended'});
    } else {
      const error = opts.error?.slice(0, ERROR_TEXT_MAX) ?? null;
      ctx.leaseInfo.delete(id);
      if (row.deliveries >= settings.maxDeliveries) {
        // dead now, in this entry; its copy and receipt are relayed once it has committed
        const dead: QueueRow = {...row, status: QueueStatus.Dead, until: now, error: error ?? 'nacked'};
        v.markDone(offset, dead);
        change(log, v, dead, ctx.deadLetter(group, log, offset, dead, now));
      } else {
        const waiting: QueueRow = {...row, status: QueueStatus.Waiting, until: now + (opts.delayMs ?? 0), error};
        v.markWaiting(offset, waiting, now);
        change(log, v, waiting);
      }
      d.outcomes.push({leaseId: id, status: 'requeued'});
    }
  }
  return d;
}
