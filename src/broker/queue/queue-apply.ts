import type {ApplyScope} from '../../cluster/raft-group.js';
import {QueueStatus, type LogStore, type QueueRow} from '../../storage/index.js';
import {outboxStore, type OutboxItem} from './outbox.js';
import type {QueueOp} from './queue-types.js';

interface Committed {
  floor: number;
  rows: Map<number, QueueRow>;
}

/** One group's rows on one partition as the current round's transaction leaves them: the committed state plus changes. */
interface Working {
  base: Committed;
  /** The base was read inside this round: it becomes the cache only if the round commits. */
  loaded: boolean;
  floor: number;
  changed: Map<number, QueueRow>;
}

const isDone = (r: QueueRow | undefined): boolean => r?.status === QueueStatus.Acked || r?.status === QueueStatus.Dead;

/**
 * Whether a row the leader decided still holds against the committed state. It is a function of the committed rows
 * and the entry alone, so every replica decides the same; of two conflicting decisions (an ack and the expiry that
 * dead-letters the same lease, two leases of one delivery), the one that applies first wins.
 */
export function rowHolds(stored: QueueRow | undefined, floor: number, row: QueueRow): boolean {
  if (row.offset < floor || isDone(stored)) return false;
  const sameLease = stored !== undefined && stored.leaseId === row.leaseId;
  switch (row.status) {
    case QueueStatus.Leased:
      // a progress extends the current lease; a new lease is the next delivery of a message no one holds done
      return (sameLease && stored.status === QueueStatus.Leased) || (!sameLease && (stored?.deliveries ?? 0) === row.deliveries - 1);
    case QueueStatus.Waiting:
    case QueueStatus.Acked:
      return sameLease && stored.status === QueueStatus.Leased;
    case QueueStatus.Dead:
      return sameLease;
    default:
      return false;
  }
}

export interface Applied {
  rows: QueueRow[];
  out: OutboxItem[];
  rejected: number[];
}

/**
 * Applies queue entries on every replica (inside the Raft round's transaction). Decisions are checked against the
 * committed rows, kept in memory per (partition, group) after their first read; a round's changes reach that cache
 * only once the round's transaction commits (a round that fails is retried with the same entries).
 */
export class QueueApplier {
  private readonly cache = new Map<string, Committed>();
  private readonly rounds = new WeakMap<ApplyScope, Map<string, Working>>();

  constructor(private readonly store: LogStore) {}

  /** A snapshot replaces the partition's queue state, or a group was deleted: read it afresh next time. */
  invalidate(pid: number, group?: string): void {
    for (const k of [...this.cache.keys()]) if (group === undefined ? k.startsWith(`${pid}/`) : k === `${pid}/${group}`) this.cache.delete(k);
  }

  private working(scope: ApplyScope, pid: number, group: string): Working {
    const key = `${pid}/${group}`;
    let round = this.rounds.get(scope);
    if (!round) this.rounds.set(scope, (round = new Map()));
    let w = round.get(key);
    if (w) return w;
    const cached = this.cache.get(key);
    const base = cached ?? {floor: this.store.queueFloor(pid, group) ?? 0, rows: new Map(this.store.listQueueRows(pid, group).map((r) => [r.offset, r]))};
    w = {base, loaded: !cached, floor: base.floor, changed: new Map()};
    round.set(key, w);
    const work = w;
    scope.after(() => this.commit(key, work));
    return w;
  }

  private commit(key: string, w: Working): void {
    if (!w.loaded && this.cache.get(key) !== w.base) return; // invalidated meanwhile: read afresh next time
    for (const [off, r] of w.changed) w.base.rows.set(off, r);
    w.base.floor = w.floor;
    for (const off of w.base.rows.keys()) if (off < w.floor) w.base.rows.delete(off);
    this.cache.set(key, w.base);
  }

  private row(w: Working, offset: number): QueueRow | undefined {
    if (offset < w.floor) return undefined;
    return w.changed.get(offset) ?? w.base.rows.get(offset);
  }

  /** Writes what of the entry still holds: its rows, the floor, and the outbox items of the rows that hold. */
  apply(pid: number, op: QueueOp, scope: ApplyScope): Applied {
    const w = this.working(scope, pid, op.g);
    const rows: QueueRow[] = [];
    const rejected: number[] = [];
    for (const r of op.rows) {
      if (rowHolds(this.row(w, r.offset), w.floor, r)) {
        rows.push(r);
        w.changed.set(r.offset, r);
      } else {
        rejected.push(r.offset);
      }
    }
    let floor = Math.max(w.floor, op.floor);
    if (floor > w.floor) {
      // the leader took everything below op.floor for done; a row that is not (its ack was left out) stops the floor
      for (const m of [w.base.rows, w.changed]) {
        for (const [off] of m) if (off >= w.floor && off < floor && !isDone(this.row(w, off))) floor = off;
      }
    }
    const held = new Set(rows.map((r) => r.offset));
    const out = (op.out ?? []).filter((it) => held.has(it.o));
    this.store.putQueueRows(pid, op.g, rows.filter((r) => r.offset >= floor));
    if (floor !== w.floor) {
      this.store.setQueueFloor(pid, op.g, floor);
      this.store.deleteQueueRowsBelow(pid, op.g, floor);
      w.floor = floor;
    }
    outboxStore.put(this.store, out);
    return {rows, out, rejected};
  }
}
