import {Payload, decodeJson, encodeBatch, payloadKind, type MessageBatch} from '../cluster/codec.js';
import type {ApplyScope, GroupStateMachine, RaftGroup} from '../cluster/raft-group.js';
import type {Entry, Snapshot, SoftState} from '../cluster/raft/index.js';
import {MqError} from '../errors.js';
import {messageFingerprint, type LogStore, type NewMessage, type PartitionState, type ReadLimits, type StoredMessage} from '../storage/index.js';
import type {Clock} from '../util/clock.js';
import {DedupIndex} from './dedup-index.js';
import {partitionSnapshot, readPartitionSnapshot, restoreSnapshot} from './partition-snapshot.js';
import {Waiters} from './waiters.js';

/** `term`: the term of the Raft entry that holds a new message (the leader's term when it appended it). */
export type AppendOutcome = {offset: number; duplicate: boolean; term?: number} | {error: MqError};
export type ProduceAcks = 'all' | 'leader';

/** A message, or just its fingerprint when only a spilled record of it remains. */
type Fingerprinted = NewMessage | {fingerprint: number};

function fingerprintOf(m: Fingerprinted): number {
  return 'fingerprint' in m ? m.fingerprint : messageFingerprint(m);
}

export interface PartitionCounters {
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
  duplicates: number;
  retentionDeleted: number;
}

/** What other services hook into a partition: queue ops to apply, committed batches to read, leadership. */
export interface PartitionHooks {
  applyQueueOp?: (log: PartitionLog, op: unknown, scope: ApplyScope) => void;
  committed?: (log: PartitionLog, batches: MessageBatch[]) => void;
  leadership?: (log: PartitionLog, leader: boolean) => void;
  restored?: (log: PartitionLog) => void;
  /** A snapshot is about to replace this replica's state (inside the installing transaction). */
  restoring?: (log: PartitionLog) => void;
}

/**
 * One partition replica on this broker, and the state machine of its Raft group. The leader assigns offsets and
 * decides de-duplication when it proposes a batch (both are functions of the log, so every replica agrees); every
 * replica writes the batch when Raft hands it over, and readers see it once it is committed (the high watermark).
 */
export class PartitionLog implements GroupStateMachine {
  /** Exclusive end of committed data: readers never see offsets at or above it. */
  highWatermark: number;
  logStart: number;
  bytes: number;
  lastIndex: number;
  lastTimestamp: number;
  /** End of what is written here (committed or not). */
  private written: number;
  /** Leader only: end of what has been proposed, and the proposed batches not written yet (by first offset). */
  private proposedEnd: number | undefined;
  private readonly inflight = new Map<number, MessageBatch>();
  group!: RaftGroup;
  hooks: PartitionHooks = {};
  /** Set (monotonic ms) once the metadata no longer places this replica here (see TopicRegistry.sweepRetired). */
  retiringSince: number | undefined;
  dedupWindowMs = 0;
  readonly dedup: DedupIndex;
  readonly waiters = new Waiters();
  readonly counters: PartitionCounters = {messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0, duplicates: 0, retentionDeleted: 0};

  constructor(
    private readonly store: LogStore,
    readonly topic: string,
    readonly number: number,
    readonly pid: number,
    state: PartitionState,
    dedupEntriesMax: number,
    private readonly clock: Clock,
  ) {
    this.highWatermark = Math.max(state.highWatermark, state.logStart);
    this.logStart = state.logStart;
    this.bytes = state.bytes;
    this.lastIndex = state.lastIndex;
    this.lastTimestamp = state.lastTimestamp;
    this.written = state.nextOffset;
    this.dedup = new DedupIndex(dedupEntriesMax);
  }

  get isLeader(): boolean {
    return this.group?.isLeader ?? false;
  }

  get term(): number {
    return this.group?.node.basicStatus().term ?? 0;
  }

  /** Rebuilds the de-duplication window from the log: spilled records first (older offsets), then stored messages. */
  rebuildDedup(now: number, windowMs: number): void {
    this.dedupWindowMs = windowMs;
    this.dedup.clear();
    if (windowMs <= 0) return;
    const cutoff = now - windowMs;
    const spill = this.store.listSpill(this.pid, cutoff).sort((a, b) => a.offset - b.offset);
    for (const r of spill) if (r.offset < this.logStart) this.dedup.add(r.id, r.offset, r.timestamp);
    const from = this.store.offsetForTimestamp(this.pid, cutoff);
    this.store.scanIds(this.pid, from, (id, offset, ts) => this.dedup.add(id, offset, ts));
  }

  private notLeader(): MqError {
    return new MqError('NOT_LEADER', `this broker does not lead ${this.topic}/${this.number}`, {topic: this.topic, partition: this.number, leader: this.group?.leader ?? 0}, false);
  }

  /**
   * Produces a batch on the leader. Duplicates (by id, within the window) answer with the original offset once that
   * offset is committed; new messages get the next offsets and one Raft entry, answered once committed (acks=all) or
   * written here (acks=leader).
   */
  async produce(messages: readonly (NewMessage & {delayMs?: number})[], acks: ProduceAcks = 'all'): Promise<AppendOutcome[]> {
    if (!this.isLeader) throw this.notLeader();
    this.proposedEnd ??= this.written;
    const first = this.proposedEnd;
    const now = this.clock.now();
    const timestamp = Math.max(now, this.lastTimestamp, this.inflightTimestamp());
    const dedupOn = this.dedupWindowMs > 0;
    if (dedupOn) this.dedup.expire(now - this.dedupWindowMs);
    const outcomes: AppendOutcome[] = [];
    const fresh: NewMessage[] = [];
    const awaitCommit: number[] = [];
    const mark = this.dedup.mark();
    for (const m of messages) {
      if (dedupOn && m.id !== null) {
        const prior = this.findPrior(m.id, first, fresh);
        if (prior) {
          if (fingerprintOf(prior.message) !== messageFingerprint(m)) {
            outcomes.push({error: new MqError('ID_CONFLICT', `id ${JSON.stringify(m.id)} was written at offset ${prior.offset} with a different payload`, {offset: prior.offset, partition: this.number})});
          } else {
            outcomes.push({offset: prior.offset, duplicate: true});
            awaitCommit.push(prior.offset);
          }
          continue;
        }
        this.dedup.add(m.id, first + fresh.length, timestamp);
      }
      outcomes.push({offset: first + fresh.length, duplicate: false});
      fresh.push(m.delayMs ? {...m, delayMs: undefined, notBefore: timestamp + m.delayMs} : m);
    }
    const pending: Array<Promise<unknown>> = [];
    const failFresh = (e: unknown): void => {
      for (const o of outcomes) if ('offset' in o && !o.duplicate) Object.assign(o, {error: e as MqError});
    };
    if (fresh.length > 0) {
      const batch: MessageBatch = {firstOffset: first, timestamp, messages: fresh};
      try {
        const appended = (r: {term: number}): void => {
          for (const o of outcomes) if ('offset' in o && !o.duplicate) o.term = r.term;
        };
        pending.push(this.group.propose(encodeBatch(batch), batch, {local: acks === 'leader'}).then(appended, failFresh));
        this.inflight.set(first, batch);
        this.proposedEnd = first + fresh.length;
      } catch (e) {
        // refused before anything was appended: the offsets and ids were never taken
        this.dedup.truncate(mark);
        failFresh(e);
      }
    }
    const dups = awaitCommit.length;
    if (dups > 0) {
      this.counters.duplicates += dups;
      pending.push(this.untilCommitted(Math.max(...awaitCommit)));
    }
    await Promise.all(pending);
    return outcomes.map((o) => ('error' in o ? {error: o.error} : o));
  }

  private inflightTimestamp(): number {
    let ts = 0;
    for (const b of this.inflight.values()) ts = Math.max(ts, b.timestamp);
    return ts;
  }

  /** A duplicate's original may still be on its way: answer only once it is committed. */
  private async untilCommitted(offset: number): Promise<void> {
    const deadline = this.clock.monotonic() + 30_000;
    while (this.highWatermark <= offset) {
      if (!this.isLeader || this.clock.monotonic() > deadline) {
        throw new MqError('UNAVAILABLE', `the original of a duplicate (offset ${offset}) is not committed yet`, {partition: this.number}, 'unknown');
      }
      await this.waiters.wait(250);
    }
  }

  /** The earlier write of this id: in this batch, in flight, or in the window (confirmed on disk). */
  private findPrior(id: string, first: number, fresh: readonly NewMessage[]): {offset: number; message: Fingerprinted} | undefined {
    for (const off of this.dedup.candidates(id)) {
      if (off >= first) {
        const m = fresh[off - first];
        if (m?.id === id) return {offset: off, message: m};
      } else if (off >= this.written) {
        for (const b of this.inflight.values()) {
          const m = off >= b.firstOffset ? b.messages[off - b.firstOffset] : undefined;
          if (m?.id === id) return {offset: off, message: m};
        }
      } else if (off >= this.logStart) {
        const stored = this.store.readMessage(this.pid, off);
        if (stored?.id === id) return {offset: off, message: stored};
      } else {
        const spilled = this.store.getSpill(this.pid, id);
        if (spilled && spilled.offset === off) return {offset: off, message: {fingerprint: spilled.fingerprint}};
      }
    }
    return undefined;
  }

  /** Waits (up to waitMs) for this partition's group to have a leader; a new group elects one within a few ticks. */
  async awaitLeader(waitMs: number): Promise<void> {
    const deadline = this.clock.monotonic() + waitMs;
    while (!this.group || this.group.leader === 0) {
      const left = deadline - this.clock.monotonic();
      if (left <= 0) throw new MqError('UNAVAILABLE', `${this.topic}/${this.number} has no leader (an election is under way)`, {topic: this.topic, partition: this.number}, false);
      await this.waiters.wait(Math.min(left, 50));
    }
  }

  /** Proposes a work-queue state change; resolves once committed and applied. */
  proposeQueueOp(data: Uint8Array): Promise<unknown> {
    if (!this.isLeader) return Promise.reject(this.notLeader());
    return this.group.propose(data);
  }

  read(from: number, limits: Omit<ReadLimits, 'endOffset'>): StoredMessage[] {
    const msgs = this.store.readMessages(this.pid, from, {...limits, endOffset: this.highWatermark});
    this.counters.messagesOut += msgs.length;
    for (const m of msgs) this.counters.bytesOut += m.value.length;
    return msgs;
  }

  // ---- the Raft group's state machine ------------------------------------------------------------------------

  persisted(entries: readonly Entry[], batches: ReadonlyMap<number, MessageBatch>, truncatedFrom: number | undefined, _scope: ApplyScope): void {
    const now = this.clock.now();
    if (truncatedFrom !== undefined) {
      // a follower's divergent tail was replaced: what it held no longer counts
      const st = this.store.partitionState(this.pid)!;
      this.written = st.nextOffset;
      this.bytes = st.bytes;
      this.inflight.clear();
      this.rebuildDedup(now, this.dedupWindowMs);
    }
    for (const e of entries) {
      const b = batches.get(e.index);
      if (b) {
        const mine = this.inflight.get(b.firstOffset) === b;
        this.inflight.delete(b.firstOffset);
        if (!mine && this.dedupWindowMs > 0) for (const [i, m] of b.messages.entries()) if (m.id !== null) this.dedup.add(m.id, b.firstOffset + i, b.timestamp);
        this.written = b.firstOffset + b.messages.length;
        for (const m of b.messages) this.bytes += m.value.length;
        this.lastTimestamp = Math.max(this.lastTimestamp, b.timestamp);
      }
      this.lastIndex = e.index;
    }
  }

  apply(entries: readonly Entry[], scope: ApplyScope): void {
    let hw = this.highWatermark;
    const committed: MessageBatch[] = [];
    let messages = 0;
    let bytes = 0;
    for (const e of entries) {
      if (e.type !== 'normal') continue;
      const kind = payloadKind(e.data);
      if (kind === Payload.Messages) {
        const b = this.group.decoded.get(e.index) ?? this.batchAt(e.index);
        if (!b) continue;
        hw = Math.max(hw, b.firstOffset + b.messages.length);
        committed.push(b);
        messages += b.messages.length;
        for (const m of b.messages) bytes += m.value.length;
      } else if (kind === Payload.Queue) {
        this.hooks.applyQueueOp?.(this, decodeJson(e.data), scope);
      }
    }
    const last = entries[entries.length - 1];
    if (last) this.store.setApplied(this.pid, last.index, hw);
    if (hw === this.highWatermark && committed.length === 0) return;
    scope.after(() => {
      this.highWatermark = hw;
      this.counters.messagesIn += messages;
      this.counters.bytesIn += bytes;
      if (committed.length > 0) this.hooks.committed?.(this, committed);
      this.waiters.wake();
    });
  }

  /** A committed batch written before this run (replayed at start-up): rebuilt from the stored rows. */
  private batchAt(index: number): MessageBatch | undefined {
    const e = this.store.readEntries(this.pid, index, 1)[0];
    if (!e || e.index !== index) return undefined;
    const messages = this.store.readMessages(this.pid, e.firstOffset, {maxMessages: e.count, maxBytes: Number.MAX_SAFE_INTEGER, endOffset: e.firstOffset + e.count});
    return {firstOffset: e.firstOffset, timestamp: messages[0]?.timestamp ?? 0, messages};
  }

  resetFor(snapshot: Snapshot): {nextOffset: number; lastTimestamp: number} {
    const s = readPartitionSnapshot(snapshot.data);
    return {nextOffset: s.logStart, lastTimestamp: s.lastTimestamp};
  }

  restore(snapshot: Snapshot, scope: ApplyScope): void {
    const s = readPartitionSnapshot(snapshot.data);
    this.hooks.restoring?.(this);
    restoreSnapshot(this.store, this.pid, snapshot.metadata.index, snapshot.metadata.term, s);
    this.logStart = s.logStart;
    this.written = s.nextOffset;
    this.bytes = this.store.partitionState(this.pid)?.bytes ?? 0;
    this.lastIndex = snapshot.metadata.index;
    this.lastTimestamp = s.lastTimestamp;
    this.inflight.clear();
    this.rebuildDedup(this.clock.now(), this.dedupWindowMs);
    scope.after(() => {
      this.highWatermark = s.nextOffset;
      this.hooks.restored?.(this);
      this.waiters.wake();
    });
  }

  snapshotData(): Uint8Array {
    return partitionSnapshot(this.store, this.pid, this.logStart, this.logStart, this.lastTimestamp);
  }

  roleChanged(soft: SoftState, previous: SoftState | undefined): void {
    const wasLeader = previous?.role === 'leader';
    const isLeader = soft.role === 'leader';
    if (wasLeader === isLeader) return;
    this.proposedEnd = undefined;
    this.inflight.clear();
    this.hooks.leadership?.(this, isLeader);
    this.waiters.wake();
  }

  /** Retention (or compaction of an internal topic) moved the log start here. */
  startMovedTo(logStart: number, bytesRemoved: number, count: number): void {
    this.logStart = logStart;
    this.bytes -= bytesRemoved;
    this.counters.retentionDeleted += count;
  }
}
