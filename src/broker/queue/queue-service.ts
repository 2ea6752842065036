import {MqError} from '../../errors.js';
import {EntryKind, QueueStatus, type QueueRow, type StoredMessage} from '../../storage/index.js';
import type {Broker} from '../broker.js';
import type {CommitScope} from '../group-commit.js';
import type {GroupDefinition, QueueSettings} from '../groups/records.js';
import type {PartitionLog} from '../partition.js';
import {Waiters} from '../waiters.js';
import {leaseId, parseLeaseId} from './lease-id.js';
import {ProcessedWaiters, type ProcessedState} from './processed.js';
import {QueuePartition} from './queue-partition.js';
import type {Receipt, ReceiptState, Receipts} from './receipts.js';

export interface Delivery extends StoredMessage {
  topic: string;
  partition: number;
  leaseId: string;
  deliveryCount: number;
  /** Wall-clock ms at which the lease runs out unless extended. */
  leaseExpiresAt: number;
}

export type ConfirmOutcome = {leaseId: string; status: 'acked' | 'extended' | 'requeued' | 'already_done'} | {leaseId: string; error: MqError};

/** What a lease knows beyond its row: for receipts, and whether an in-progress receipt went out already. */
interface LeaseInfo {
  consumer: string | null;
  id: string | null;
  producer: string | null;
  progressed: boolean;
}

const ERROR_TEXT_MAX = 1024;

/**
 * Work-queue groups: leases handed out highest priority first then lowest offset within a partition, round-robin
 * across partitions; progress, ack and nack; redelivery when a lease runs out; dead letters after maxDeliveries;
 * processing receipts. Every state change is written (rows, floor, and a queue entry in the partition's log) in the
 * same group commit that answers it; the in-memory view is reloaded from disk if that commit rolls back.
 */
export class QueueService {
  private readonly views = new Map<string, Map<number, QueuePartition>>();
  private readonly leaseInfo = new Map<string, LeaseInfo>();
  private readonly wake = new Map<string, Waiters>();
  private rotate = 0;
  readonly processed = new ProcessedWaiters();
  /** Set by the dead-letter mover; called for every message that ran out of deliveries. */
  onDeadPending: (group: string, log: PartitionLog, offset: number, row: QueueRow) => void = () => {};

  constructor(
    private readonly broker: Broker,
    private readonly receipts: Receipts,
    private readonly definition: (group: string) => GroupDefinition,
  ) {}

  settings(group: string): QueueSettings {
    const def = this.definition(group);
    if (def.mode !== 'queue' || !def.queue) throw new MqError('WRONG_GROUP_MODE', `group ${group} is a ${def.mode} group; leases, acks and nacks are for queue groups`, {group});
    return def.queue;
  }

  partitionsOf(group: string): PartitionLog[] {
    const out: PartitionLog[] = [];
    for (const topic of this.definition(group).topics) {
      const t = this.broker.topics.get(topic);
      if (t) out.push(...[...t.partitions.values()].sort((a, b) => a.number - b.number));
    }
    return out;
  }

  waitersOf(group: string): Waiters {
    let w = this.wake.get(group);
    if (!w) this.wake.set(group, (w = new Waiters()));
    return w;
  }

  view(group: string, log: PartitionLog): QueuePartition {
    let byPid = this.views.get(group);
    if (!byPid) this.views.set(group, (byPid = new Map()));
    let v = byPid.get(log.pid);
    if (!v) {
      const store = this.broker.store;
      v = new QueuePartition({
        bounds: () => ({logStart: log.logStart, highWatermark: log.highWatermark}),
        candidates: (from, end, limit) => store.scanQueueCandidates(log.pid, from, end, limit),
        priority: (p, from, end, limit) => store.scanPriority(log.pid, p, from, end, limit),
        floor: () => store.queueFloor(log.pid, group),
        rows: () => store.listQueueRows(log.pid, group),
      });
      v.reload(this.broker.clock.now(), this.broker.clock.monotonic(), this.settings(group).leaseMs);
      byPid.set(log.pid, v);
    }
    return v;
  }

  /** Writes changed rows (and a moved floor) plus one queue entry in the partition's log, inside the commit. */
  private persist(scope: CommitScope, group: string, log: PartitionLog, v: QueuePartition, op: string, rows: QueueRow[], floorBefore: number): void {
    const store = this.broker.store;
    store.putQueueRows(log.pid, group, rows.filter((r) => r.offset >= v.floor));
    if (v.floor !== floorBefore) {
      store.setQueueFloor(log.pid, group, v.floor);
      store.deleteQueueRowsBelow(log.pid, group, v.floor);
    }
    log.appendControl(scope, EntryKind.Queue, Buffer.from(JSON.stringify({g: group, op, floor: v.floor, rows})));
    scope.onRollback(() => v.reload(this.broker.clock.now(), this.broker.clock.monotonic(), this.settings(group).leaseMs));
  }

  // ---- leasing ------------------------------------------------------------------------------------------------

  /** Leases up to max messages: round-robin over the group's partitions, best first within each; long-polls. */
  async fetch(group: string, opts: {consumer: string | null; maxMessages: number; waitMs: number; leaseMs?: number; signal?: AbortSignal}): Promise<Delivery[]> {
    const settings = this.settings(group);
    const leaseMs = opts.leaseMs ?? settings.leaseMs;
    const clock = this.broker.clock;
    const deadline = clock.monotonic() + opts.waitMs;
    for (;;) {
      this.sweep(group);
      let seen = '';
      const out = await this.broker.submit(opts.maxMessages, (scope) => {
        seen = this.version(group);
        return this.leaseSome(scope, group, opts.consumer, opts.maxMessages, leaseMs);
      });
      const left = deadline - clock.monotonic();
      if (out.length > 0 || left <= 0 || opts.signal?.aborted || this.broker.isClosing) return out;
      // something arrived in the same group commit, after this fetch looked: look again rather than sleep through it
      if (this.version(group) !== seen) continue;
      await this.waitForWork(group, left, opts.signal);
    }
  }

  private leaseSome(scope: CommitScope, group: string, consumer: string | null, max: number, leaseMs: number): Delivery[] {
    const logs = this.partitionsOf(group);
    const now = scope.now;
    const mono = this.broker.clock.monotonic();
    const picked = new Map<PartitionLog, Array<{offset: number; priority: number; before: number}>>();
    let total = 0;
    const start = this.rotate++;
    for (const log of logs) this.view(group, log).prepare(now, max);
    for (let progress = true; progress && total < max; ) {
      progress = false;
      for (let k = 0; k < logs.length && total < max; k++) {
        const log = logs[(start + k) % logs.length]!;
        const v = this.view(group, log);
        const [c] = v.take(now, 1);
        if (!c) continue;
        picked.set(log, [...(picked.get(log) ?? []), {...c, before: v.rows.get(c.offset)?.deliveries ?? 0}]);
        total++;
        progress = true;
        // hold it so that this loop's next pass does not take it again
        v.markLeased(c.offset, c.priority, {offset: c.offset, status: QueueStatus.Leased, deliveries: 0, leaseId: null, until: 0, error: null}, mono + leaseMs);
      }
    }
    const out: Delivery[] = [];
    for (const [log, cands] of picked) {
      const v = this.view(group, log);
      const rows: QueueRow[] = [];
      for (const c of cands) {
        const m = log.read(c.offset, {maxMessages: 1, maxBytes: 1})[0];
        if (!m || m.offset !== c.offset) {
          // gone to retention meanwhile: drop the placeholder, the floor moves past it
          v.rows.delete(c.offset);
          v.advanceFloor();
          continue;
        }
        const deliveries = c.before + 1;
        const id = leaseId(log.pid, c.offset, deliveries);
        const row: QueueRow = {offset: c.offset, status: QueueStatus.Leased, deliveries, leaseId: id, until: now + leaseMs, error: null};
        v.markLeased(c.offset, c.priority, row, mono + leaseMs);
        rows.push(row);
        this.leaseInfo.set(id, {consumer, id: m.id, producer: m.producer, progressed: false});
        out.push({...m, topic: log.topic, partition: log.number, leaseId: id, deliveryCount: deliveries, leaseExpiresAt: now + leaseMs});
      }
      this.persist(scope, group, log, v, 'lease', rows, v.floor);
    }
    return out;
  }

  /** Changes whenever new messages commit or messages come back to the queue. */
  private version(group: string): string {
    return `${this.epochs.get(group) ?? 0}:${this.partitionsOf(group)
      .map((l) => l.highWatermark)
      .join(',')}`;
  }

  private readonly epochs = new Map<string, number>();

  private bump(group: string): void {
    this.epochs.set(group, (this.epochs.get(group) ?? 0) + 1);
    this.waitersOf(group).wake();
  }

  private async waitForWork(group: string, waitMs: number, signal?: AbortSignal): Promise<void> {
    const logs = this.partitionsOf(group);
    let soonest = waitMs;
    const now = this.broker.clock.now();
    const mono = this.broker.clock.monotonic();
    for (const log of logs) {
      const [at, deadline] = this.view(group, log).nextDue();
      soonest = Math.min(soonest, Math.max(1, at - now), Math.max(1, deadline - mono));
    }
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    signal?.addEventListener('abort', onAbort, {once: true});
    try {
      await Promise.race([...logs.map((l) => l.waiters.wait(soonest, ac.signal)), this.waitersOf(group).wait(soonest, ac.signal)]);
    } finally {
      ac.abort();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Leases that ran out: back in line, or on to the dead-letter topic after maxDeliveries. */
  sweep(group: string): void {
    const settings = this.settings(group);
    const now = this.broker.clock.now();
    const mono = this.broker.clock.monotonic();
    let requeued = false;
    for (const log of this.partitionsOf(group)) {
      const v = this.view(group, log);
      for (const {offset, row} of v.due(now, mono)) {
        this.leaseInfo.delete(row.leaseId ?? '');
        if (row.deliveries >= settings.maxDeliveries) {
          v.deadPending.add(offset);
          this.onDeadPending(group, log, offset, {...row, error: row.error ?? 'lease expired'});
        } else {
          // not persisted: after a restart the lease is simply re-armed, which only delays the redelivery
          v.markWaiting(offset, {...row, status: QueueStatus.Waiting, until: now}, now);
          requeued = true;
        }
      }
    }
    if (requeued) this.bump(group);
  }

  // ---- confirms -----------------------------------------------------------------------------------------------

  private locate(group: string, id: string): {log: PartitionLog; v: QueuePartition; offset: number} | MqError {
    const p = parseLeaseId(id);
    const log = p && this.broker.topics.byPid.get(p.pid);
    if (!p || !log || !this.definition(group).topics.includes(log.topic)) {
      return new MqError('LEASE_EXPIRED', `lease ${JSON.stringify(id)} is not a lease of group ${group}`, {lease_id: id});
    }
    return {log, v: this.view(group, log), offset: p.offset};
  }

  /**
   * Applies one kind of confirm to several leases, all in one urgent group commit. A lease that is not current fails
   * alone with LEASE_EXPIRED and changes nothing; acking a message that is already done is not an error.
   */
  async confirm(
    group: string,
    kind: 'ack' | 'progress' | 'nack',
    leaseIds: readonly string[],
    opts: {leaseMs?: number; delayMs?: number; error?: string} = {},
  ): Promise<ConfirmOutcome[]> {
    const settings = this.settings(group);
    const outcomes = await this.broker.submit(leaseIds.length, (scope) => this.applyConfirms(scope, group, settings, kind, leaseIds, opts), {urgent: true});
    if (kind === 'nack') this.bump(group);
    return outcomes;
  }

  private applyConfirms(
    scope: CommitScope,
    group: string,
    settings: QueueSettings,
    kind: 'ack' | 'progress' | 'nack',
    leaseIds: readonly string[],
    opts: {leaseMs?: number; delayMs?: number; error?: string},
  ): ConfirmOutcome[] {
    const now = scope.now;
    const mono = this.broker.clock.monotonic();
    const outcomes: ConfirmOutcome[] = [];
    const changed = new Map<PartitionLog, {v: QueuePartition; rows: QueueRow[]; floor: number}>();
    const receipts: Receipt[] = [];
    const deadNow: Array<{log: PartitionLog; offset: number; row: QueueRow}> = [];
    for (const id of leaseIds) {
      const at = this.locate(group, id);
      if (at instanceof MqError) {
        outcomes.push({leaseId: id, error: at});
        continue;
      }
      const {log, v, offset} = at;
      const row = v.rows.get(offset);
      if (!row && offset < v.floor) {
        outcomes.push({leaseId: id, status: 'already_done'});
        continue;
      }
      if (row && row.leaseId === id && (row.status === QueueStatus.Acked || row.status === QueueStatus.Dead)) {
        outcomes.push({leaseId: id, status: 'already_done'});
        continue;
      }
      const deadline = v.leaseDeadlines.get(offset);
      if (!row || row.leaseId !== id || row.status !== QueueStatus.Leased || deadline === undefined || deadline <= mono) {
        outcomes.push({leaseId: id, error: new MqError('LEASE_EXPIRED', `lease ${id} is not current (it ran out or the message was delivered again); nothing changed`, {lease_id: id})});
        continue;
      }
      const ch = changed.get(log) ?? {v, rows: [], floor: v.floor};
      changed.set(log, ch);
      const info = this.leaseInfo.get(id);
      if (kind === 'ack') {
        const done: QueueRow = {...row, status: QueueStatus.Acked, until: now};
        v.markDone(offset, done);
        ch.rows.push(done);
        this.leaseInfo.delete(id);
        if (info?.producer) receipts.push(this.receipt(group, log, offset, info, 'processed', now, row.deliveries));
        scope.onCommit(() => this.processed.settled(group, log.pid, offset, 'processed'));
        outcomes.push({leaseId: id, status: 'acked'});
      } else if (kind === 'progress') {
        const leaseMs = opts.leaseMs ?? settings.leaseMs;
        const extended: QueueRow = {...row, until: now + leaseMs};
        v.extendLease(offset, extended, mono + leaseMs);
        ch.rows.push(extended);
        if (info?.producer && !info.progressed) {
          info.progressed = true;
          receipts.push(this.receipt(group, log, offset, info, 'in_progress', now, row.deliveries));
        }
        outcomes.push({leaseId: id, status: 'extended'});
      } else {
        const error = opts.error?.slice(0, ERROR_TEXT_MAX) ?? null;
        this.leaseInfo.delete(id);
        if (row.deliveries >= settings.maxDeliveries) {
          v.leaseDeadlines.delete(offset);
          v.deadPending.add(offset);
          deadNow.push({log, offset, row: {...row, error: error ?? 'nacked'}});
        } else {
          const waiting: QueueRow = {...row, status: QueueStatus.Waiting, until: now + (opts.delayMs ?? 0), error};
          v.markWaiting(offset, waiting, now);
          ch.rows.push(waiting);
        }
        outcomes.push({leaseId: id, status: 'requeued'});
      }
    }
    for (const [log, ch] of changed) if (ch.rows.length > 0) this.persist(scope, group, log, ch.v, kind, ch.rows, ch.floor);
    if (receipts.length > 0) this.receipts.appendInScope(scope, receipts);
    scope.onCommit(() => {
      for (const d of deadNow) this.onDeadPending(group, d.log, d.offset, d.row);
    });
    return outcomes;
  }

  private receipt(group: string, log: PartitionLog, offset: number, info: LeaseInfo, state: ReceiptState, now: number, deliveries: number, error?: string): Receipt {
    return {producer: info.producer!, id: info.id, topic: log.topic, partition: log.number, offset, group, consumer: info.consumer, state, time: now, deliveries, ...(error ? {error} : {})};
  }

  /** The last step of a dead letter, once its copy is in the dead-letter topic: the message is done for the group. */
  markDead(scope: CommitScope, group: string, log: PartitionLog, offset: number, row: QueueRow, message: StoredMessage | undefined): void {
    const v = this.view(group, log);
    const floor = v.floor;
    const dead: QueueRow = {...row, status: QueueStatus.Dead, until: scope.now};
    v.markDone(offset, dead);
    this.persist(scope, group, log, v, 'dead', [dead], floor);
    if (message?.producer) {
      const info: LeaseInfo = {consumer: null, id: message.id, producer: message.producer, progressed: true};
      this.receipts.appendInScope(scope, [this.receipt(group, log, offset, info, 'dead_lettered', scope.now, row.deliveries, row.error ?? undefined)]);
    }
    scope.onCommit(() => this.processed.settled(group, log.pid, offset, 'dead_lettered'));
  }

  /** Where one group stands on one message: for await=processed. */
  stateOf(group: string, log: PartitionLog, offset: number): ProcessedState {
    const v = this.view(group, log);
    const row = v.rows.get(offset);
    if (row?.status === QueueStatus.Dead) return 'dead_lettered';
    if (row?.status === QueueStatus.Acked) return 'processed';
    if (!row && offset < v.floor) return 'processed';
    return 'pending';
  }

  /** Forgets a deleted group's views. */
  forget(group: string): void {
    this.views.delete(group);
    this.wake.get(group)?.wake();
    this.wake.delete(group);
  }

  loadedViews(group: string): Map<number, QueuePartition> | undefined {
    return this.views.get(group);
  }
}
