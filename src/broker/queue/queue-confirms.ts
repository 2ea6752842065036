import {MqError} from '../../errors.js';
import {QueueStatus, type QueueRow} from '../../storage/index.js';
import type {QueueSettings} from '../groups/records.js';
import type {PartitionLog} from '../partition.js';
import type {QueuePartition} from './queue-partition.js';
import type {ConfirmContext, ConfirmOutcome} from './queue-types.js';
import type {Receipt} from './receipts.js';

const ERROR_TEXT_MAX = 1024;

export interface ConfirmDecision {
  outcomes: ConfirmOutcome[];
  /** The partition (storage id) of each outcome, to fail them together if that partition's proposal fails. */
  pids: number[];
  changes: Map<PartitionLog, {rows: QueueRow[]; floor: number}>;
  receipts: Receipt[];
  dead: Array<{log: PartitionLog; offset: number; row: QueueRow}>;
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
  const d: ConfirmDecision = {outcomes: [], pids: [], changes: new Map(), receipts: [], dead: []};
  const change = (log: PartitionLog, v: QueuePartition, row?: QueueRow): void => {
    const c = d.changes.get(log) ?? {rows: [], floor: v.floor};
    if (row) c.rows.push(row);
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
    if ((!row && offset < v.floor) || (row && row.leaseId === id && (row.status === QueueStatus.Acked || row.status === QueueStatus.Dead))) {
      d.outcomes.push({leaseId: id, status: 'already_done'});
      continue;
    }
    const deadline = v.leaseDeadlines.get(offset);
    if (!row || row.leaseId !== id || row.status !== QueueStatus.Leased || deadline === undefined || deadline <= mono) {
      d.outcomes.push({leaseId: id, error: new MqError('LEASE_EXPIRED', `lease ${id} is not current (it ran out or the message was delivered again); nothing changed`, {lease_id: id})});
      continue;
    }
    const info = ctx.leaseInfo.get(id);
    if (kind === 'ack') {
      const done: QueueRow = {...row, status: QueueStatus.Acked, until: now};
      v.markDone(offset, done);
      change(log, v, done);
      ctx.leaseInfo.delete(id);
      if (info?.producer) d.receipts.push(ctx.receipt(group, log, offset, info, 'processed', now, row.deliveries));
      d.outcomes.push({leaseId: id, status: 'acked'});
    } else if (kind === 'progress') {
      const leaseMs = opts.leaseMs ?? settings.leaseMs;
      const extended: QueueRow = {...row, until: now + leaseMs};
      v.extendLease(offset, extended, mono + leaseMs);
      change(log, v, extended);
      if (info?.producer && !info.progressed) {
        info.progressed = true;
        d.receipts.push(ctx.receipt(group, log, offset, info, 'in_progress', now, row.deliveries));
      }
      d.outcomes.push({leaseId: id, status: 'extended'});
    } else {
      const error = opts.error?.slice(0, ERROR_TEXT_MAX) ?? null;
      ctx.leaseInfo.delete(id);
      if (row.deliveries >= settings.maxDeliveries) {
        v.leaseDeadlines.delete(offset);
        v.deadPending.add(offset);
        d.dead.push({log, offset, row: {...row, error: error ?? 'nacked'}});
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
