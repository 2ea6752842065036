import {MqError} from '../../errors.js';
import {QueueStatus, type QueueRow} from '../../storage/index.js';
import type {Broker} from '../broker.js';
import type {GroupDefinition, QueueSettings} from '../groups/records.js';
import {requireSettledLeader} from '../settled-leader.js';
import type {PartitionLog} from '../partition.js';
import {Waiters} from '../waiters.js';
import {dlqTopicName} from './dead-letter.js';
import {leaseId, parseLeaseId} from './lease-id.js';
import {readOffsets} from './read-offsets.js';
import type {OutboxItem} from './outbox.js';
import {ProcessedWaiters, type ProcessedState} from './processed.js';
import {deadLetterItems, leaseInfoOf, receiptOf} from './queue-effects.js';
import {QueueLog} from './queue-log.js';
import {QueuePartition} from './queue-partition.js';
import {decideConfirms} from './queue-confirms.js';
import type {ConfirmContext, ConfirmOutcome, Delivery, LeaseInfo} from './queue-types.js';
import type {Receipts} from './receipts.js';

export type {ConfirmOutcome, Delivery, QueueOp} from './queue-types.js';

/**
 * Work-queue groups: leases handed out highest priority first then lowest offset within a partition, round-robin
 * across partitions; progress, ack and nack; redelivery when a lease runs out; dead letters after maxDeliveries;
 * processing receipts. Every state change is written (rows, floor, and a queue entry in the partition's log) in the
 * same group commit that answers it; the in-memory view is reloaded from disk if that commit rolls back, or if the
 * entry applied with some of its decisions left out (queue-apply.ts). Receipts and dead-letter copies go through the
 * partition's outbox (outbox.ts).
 */
export class QueueService {
  private readonly views = new Map<string, Map<number, QueuePartition>>();
  private readonly viewTerms = new WeakMap<QueuePartition, number>();
  private readonly leaseInfo = new Map<string, LeaseInfo>();
  /** Lease deadlines this broker set while leading, by group and partition (kept across reloads of a view). */
  private readonly deadlines = new Map<string, Map<number, {leaseId: string; deadline: number}>>();
  private readonly wake = new Map<string, Waiters>();
  private rotate = 0;
  readonly processed = new ProcessedWaiters();
  /** Queue entries: proposed, applied on every replica, and the outbox they fill. */
  readonly log: QueueLog;

  constructor(
    private readonly broker: Broker,
    receipts: Receipts,
    private readonly definition: (group: string) => GroupDefinition,
  ) {
    this.log = new QueueLog(broker, receipts, (log) => this.settled(log), this.processed);
  }

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

  /** The committed queue floor of a group on a partition (for until_acked retention on any replica). */
  floorOf(group: string, log: PartitionLog): number {
    const v = this.views.get(group)?.get(log.pid);
    return v ? v.floor : Math.max(this.broker.store.queueFloor(log.pid, group) ?? log.logStart, log.logStart);
  }

  /** Forgets a partition's views: they are rebuilt from the committed rows when this broker next leads it. */
  dropViews(log: PartitionLog): void {
    for (const byPid of this.views.values()) byPid.delete(log.pid);
  }

  /** Leadership changed: a new leader re-arms every lease in full, and relays what the outbox holds. */
  leadershipChanged(log: PartitionLog): void {
    this.dropViews(log);
    for (const k of [...this.deadlines.keys()]) if (k.endsWith(`/${log.pid}`)) this.deadlines.delete(k);
    this.log.leadershipChanged(log);
  }

  private settled(log: PartitionLog): boolean {
    try {
      this.requireLeader(log);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Queue decisions need the partition's leader, caught up with everything committed before its term: once it has
   * applied an entry of its own term, every earlier one is applied, and from then on it decides every change itself
   * (a lag of its own term's entries, normal under load, does not make its view stale).
   */
  private requireLeader(log: PartitionLog): void {
    // not the commit index's term as well: on a leader the commit index may name an entry not yet persisted here,
    // and once the applied entry is of this term, so is everything up to the commit index
    requireSettledLeader(log);
  }

  /**
   * The group's state on a partition. The leader keeps it in memory (it decides every change); on a follower, and on
   * a leader that has not yet applied everything committed before its term, it is read afresh from the committed
   * rows each time, since changes arrive there only through the log (a view cached then would miss them).
   */
  view(group: string, log: PartitionLog): QueuePartition {
    if (!log.isLeader) return this.loadView(group, log);
    let byPid = this.views.get(group);
    if (!byPid) this.views.set(group, (byPid = new Map()));
    // a cached view was taken while settled in this term (a change of role drops it; so does a new term)
    let v = byPid.get(log.pid);
    if (v && this.viewTerms.get(v) === log.term) return v;
    if (!this.settled(log)) {
      byPid.delete(log.pid);
      return this.loadView(group, log);
    }
    v = this.loadView(group, log);
    byPid.set(log.pid, v);
    this.viewTerms.set(v, log.term);
    return v;
  }

  private loadView(group: string, log: PartitionLog): QueuePartition {
    const store = this.broker.store;
    const key = `${group}/${log.pid}`;
    let known = this.deadlines.get(key);
    if (!known) this.deadlines.set(key, (known = new Map()));
    const v = new QueuePartition({
      bounds: () => ({logStart: log.logStart, highWatermark: log.highWatermark}),
      candidates: (from, end, limit) => store.scanQueueCandidates(log.pid, from, end, limit),
      priority: (p, from, end, limit) => store.scanPriority(log.pid, p, from, end, limit),
      floor: () => store.queueFloor(log.pid, group),
      rows: () => store.listQueueRows(log.pid, group),
    }, log.isLeader ? known : undefined);
    v.reload(this.broker.clock.now(), this.broker.clock.monotonic(), this.settings(group).leaseMs);
    return v;
  }

  /**
   * Proposes the changed rows (and the floor) as one queue entry in the partition's log; every replica writes them
   * when it is committed (applyOp). The in-memory view already holds the change; if the proposal fails the view is
   * dropped and rebuilt from what was committed.
   */
  private propose(group: string, log: PartitionLog, op: string, rows: QueueRow[], floor: number, out: OutboxItem[] = []): Promise<Set<number>> {
    return this.log.propose(group, log, op, rows, floor, out).then(
      (left) => {
        const v = this.views.get(group)?.get(log.pid);
        for (const r of rows) if ((r.status === QueueStatus.Acked || r.status === QueueStatus.Dead) && !left.has(r.offset)) v?.forgetLease(r.offset, r.leaseId);
        // a decision the committed state no longer allowed: this view believed something that is not so
        if (left.size > 0) this.views.get(group)?.delete(log.pid);
        return left;
      },
      (e: unknown) => {
        this.views.get(group)?.delete(log.pid);
        throw e;
      },
    );
  }

  // ---- leasing ------------------------------------------------------------------------------------------------

  /** Leases up to max messages: round-robin over the group's partitions, best first within each; long-polls. */
  async fetch(group: string, opts: {consumer: string | null; maxMessages: number; waitMs: number; leaseMs?: number; signal?: AbortSignal}): Promise<Delivery[]> {
    const settings = this.settings(group);
    const leaseMs = opts.leaseMs ?? settings.leaseMs;
    const clock = this.broker.clock;
    const deadline = clock.monotonic() + opts.waitMs;
    for (;;) {
      // a client that went away while this fetch waited must not be handed leases nobody will ever see (a stopping
      // Worker aborts its poll, then nacks what it holds: the nacked message would wait out a whole lease here)
      if (opts.signal?.aborted) return [];
      this.sweep(group);
      let seen = '';
      const {out: leased, proposals} = await this.broker.submit(opts.maxMessages, () => {
        seen = this.version(group);
        return this.leaseSome(group, opts.consumer, opts.maxMessages, leaseMs);
      });
      // a lease is handed out only once it is committed (replicated) and held when it applied; a partition whose
      // proposal failed gives none
      const settled = await Promise.allSettled(proposals.map((p) => p.done));
      const failed = new Set(proposals.filter((_, i) => settled[i]!.status === 'rejected').map((p) => p.pid));
      const dropped = new Map<number, Set<number>>();
      proposals.forEach((p, i) => {
        const r = settled[i]!;
        if (r.status === 'fulfilled' && r.value.size > 0) dropped.set(p.pid, r.value);
      });
      const out = leased.filter((d) => {
        const pid = this.broker.partitionLog(d.topic, d.partition).pid;
        const kept = !failed.has(pid) && !dropped.get(pid)?.has(d.offset);
        if (!kept) this.leaseInfo.delete(d.leaseId);
        return kept;
      });
      if (failed.size > 0) {
        if (out.length === 0) throw (settled.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
        return out;
      }
      const left = deadline - clock.monotonic();
      if (out.length > 0 || left <= 0 || opts.signal?.aborted || this.broker.isClosing) return out;
      // leases left out when they applied (the view was stale and is rebuilt): look again at once
      if (leased.length > 0) continue;
      // something arrived in the same group commit, after this fetch looked: look again rather than sleep through it
      if (this.version(group) !== seen) continue;
      await this.waitForWork(group, left, opts.signal);
    }
  }

  private leaseSome(group: string, consumer: string | null, max: number, leaseMs: number): {out: Delivery[]; proposals: Array<{pid: number; done: Promise<Set<number>>}>} {
    const logs = this.partitionsOf(group).filter((log) => {
      try {
        this.requireLeader(log);
        return true;
      } catch {
        return false;
      }
    });
    const now = this.broker.clock.now();
    const mono = this.broker.clock.monotonic();
    const picked = new Map<PartitionLog, Array<{offset: number; priority: number; before: number}>>();
    let total = 0;
    const start = this.rotate++;
    // nothing below yields, so each partition's view stays the one looked up here
    const views = logs.map((log) => this.view(group, log));
    for (const v of views) v.prepare(now, max);
    for (let progress = true; progress && total < max; ) {
      progress = false;
      for (let k = 0; k < logs.length && total < max; k++) {
        const i = (start + k) % logs.length;
        const log = logs[i]!;
        const v = views[i]!;
        const [c] = v.take(now, 1);
        if (!c) continue;
        const list = picked.get(log) ?? picked.set(log, []).get(log)!;
        list.push({...c, before: v.rows.get(c.offset)?.deliveries ?? 0});
        total++;
        progress = true;
        // hold it so that this loop's next pass does not take it again
        v.hold(c.offset, c.priority);
      }
    }
    const out: Delivery[] = [];
    const proposals: Array<{pid: number; done: Promise<Set<number>>}> = [];
    for (const [log, cands] of picked) {
      const v = this.view(group, log);
      const rows: QueueRow[] = [];
      const stored = readOffsets(log, cands.map((c) => c.offset));
      for (const c of cands) {
        const m = stored.get(c.offset);
        if (!m) {
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
      if (rows.length > 0) proposals.push({pid: log.pid, done: this.propose(group, log, 'lease', rows, v.floor)});
    }
    return {out, proposals};
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
    const led = logs.filter((l) => l.isLeader);
    const now = this.broker.clock.now();
    const mono = this.broker.clock.monotonic();
    for (const log of led) {
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
    // only a partition's settled leader hands out and takes back leases
    for (const log of this.partitionsOf(group).filter((l) => l.isLeader && this.settled(l))) {
      const v = this.view(group, log);
      const dead: QueueRow[] = [];
      const out: OutboxItem[] = [];
      for (const {offset, row} of v.due(now, mono)) {
        this.leaseInfo.delete(row.leaseId ?? '');
        if (row.deliveries >= settings.maxDeliveries) {
          // dead in the entry that decides it (an ack of this lease applied first leaves it out); the copy and the
          // receipt are relayed from the outbox once it has committed
          const d: QueueRow = {...row, status: QueueStatus.Dead, until: now, error: row.error ?? 'lease expired'};
          v.markDone(offset, d);
          dead.push(d);
          out.push(...this.deadLetter(group, log, offset, d, now));
        } else {
          // not persisted: after a restart the lease is simply re-armed, which only delays the redelivery
          v.markWaiting(offset, {...row, status: QueueStatus.Waiting, until: now}, now);
          requeued = true;
        }
      }
      if (dead.length > 0) {
        // on failure the view is rebuilt with the same (expired) lease ends, so the next sweep decides again
        this.propose(group, log, 'dead', dead, v.floor, out).catch((err: unknown) => this.broker.logger.debug({err, group, topic: log.topic, partition: log.number}, 'could not record dead letters yet'));
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
   * Applies one kind of confirm to several leases: decided in an urgent slot of the next turn (confirms before new
   * leases), proposed as one queue entry per partition, answered once committed. A lease that is not current fails
   * alone with LEASE_EXPIRED and changes nothing; acking a message that is already done is not an error.
   */
  async confirm(
    group: string,
    kind: 'ack' | 'progress' | 'nack',
    leaseIds: readonly string[],
    opts: {leaseMs?: number; delayMs?: number; error?: string} = {},
  ): Promise<ConfirmOutcome[]> {
    const settings = this.settings(group);
    const d = await this.broker.submit(leaseIds.length, () => decideConfirms(this.ctx, group, settings, kind, leaseIds, opts), {urgent: true});
    const proposals = [...d.changes].map(([log, c]) => ({log, c, done: this.propose(group, log, kind, c.rows, c.floor, c.out)}));
    const settled = await Promise.allSettled(proposals.map((p) => p.done));
    const relayed: string[] = [];
    proposals.forEach((p, i) => {
      const r = settled[i]!;
      const e =
        r.status === 'rejected'
          ? r.reason instanceof MqError
            ? r.reason
            : new MqError('UNAVAILABLE', String(r.reason), undefined, 'unknown')
          : new MqError('LEASE_EXPIRED', 'the lease was no longer current when this confirm was written (it ran out, or the message was delivered again); nothing changed', undefined);
      const left = r.status === 'fulfilled' ? r.value : undefined;
      d.outcomes.forEach((o, k) => {
        if (d.pids[k] !== p.log.pid || 'error' in o || o.status === 'already_done') return;
        if (left && !left.has(parseLeaseId(o.leaseId)?.offset ?? -1)) return;
        d.outcomes[k] = {leaseId: o.leaseId, error: left ? new MqError('LEASE_EXPIRED', e.message, {lease_id: o.leaseId}) : e};
      });
      if (left) for (const it of p.c.out) if (!left.has(it.o)) relayed.push(it.key);
    });
    // the receipts are the outbox's to write; answering once they are readable keeps "ack, then read its receipt" simple
    await this.log.outbox.waitRelayed(relayed, this.broker.electionWaitMs());
    if (kind === 'nack') this.bump(group);
    return d.outcomes;
  }

  /** What decideConfirms needs from this service. */
  private get ctx(): ConfirmContext {
    return {
      now: () => this.broker.clock.now(),
      mono: () => this.broker.clock.monotonic(),
      locate: (group, id) => this.locate(group, id),
      requireLeader: (log) => this.requireLeader(log),
      leaseInfo: this.leaseInfo,
      infoOf: (log, offset, id) => leaseInfoOf(this.leaseInfo, log, offset, id),
      receipt: receiptOf,
      deadLetter: (group, log, offset, row, now) => this.deadLetter(group, log, offset, row, now),
    };
  }

  private deadLetter(group: string, log: PartitionLog, offset: number, row: QueueRow, now: number): OutboxItem[] {
    return deadLetterItems(group, log, offset, row, now, this.settings(group).deadLetterTopic ?? dlqTopicName(log.topic));
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

