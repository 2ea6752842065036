import {MqError} from '../errors.js';
import {messageFingerprint, type EntryKind, type LogStore, type NewMessage, type PartitionState, type ReadLimits, type StoredMessage} from '../storage/index.js';
import {DedupIndex} from './dedup-index.js';
import type {CommitScope} from './group-commit.js';
import type {RetentionConfig} from './topic-config.js';
import {Waiters} from './waiters.js';

export type AppendOutcome = {offset: number; duplicate: boolean} | {error: MqError};

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

/**
 * One partition on this broker: the committed view (high watermark, log start) that readers see, the
 * de-duplication window, and the long-poll waiters. Appends run inside a group commit; what they change in memory
 * is applied only by the commit hook, so a rolled-back transaction leaves nothing behind.
 */
export class PartitionLog {
  /** Exclusive end of committed data: readers never see offsets at or above it. */
  highWatermark: number;
  logStart: number;
  bytes: number;
  lastIndex: number;
  lastTimestamp: number;
  readonly term = 1;
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
  ) {
    this.highWatermark = state.nextOffset;
    this.logStart = state.logStart;
    this.bytes = state.bytes;
    this.lastIndex = state.lastIndex;
    this.lastTimestamp = state.lastTimestamp;
    this.dedup = new DedupIndex(dedupEntriesMax);
  }

  /** Rebuilds the de-duplication window from the log: spilled records first (older offsets), then stored messages. */
  rebuildDedup(now: number, windowMs: number): void {
    this.dedup.clear();
    if (windowMs <= 0) return;
    const cutoff = now - windowMs;
    const spill = this.store.listSpill(this.pid, cutoff).sort((a, b) => a.offset - b.offset);
    for (const r of spill) if (r.offset < this.logStart) this.dedup.add(r.id, r.offset, r.timestamp);
    const from = this.store.offsetForTimestamp(this.pid, cutoff);
    this.store.scanIds(this.pid, from, (id, offset, ts) => this.dedup.add(id, offset, ts));
  }

  /**
   * Appends a batch inside a group commit. Duplicates (by id, within the window) return the original offset. Ids go
   * into the de-duplication window as they are appended, so later messages of this batch and later requests in the
   * same group commit see them; a rollback takes them out again.
   */
  append(scope: CommitScope, messages: readonly (NewMessage & {delayMs?: number})[], dedupWindowMs: number): AppendOutcome[] {
    const st = this.store.partitionState(this.pid);
    if (!st) throw new MqError('PARTITION_NOT_FOUND', `partition ${this.number} of ${this.topic} is gone`);
    const first = st.nextOffset;
    const timestamp = Math.max(scope.now, st.lastTimestamp);
    const dedupOn = dedupWindowMs > 0;
    if (dedupOn) {
      this.dedup.expire(scope.now - dedupWindowMs);
      const mark = this.dedup.mark();
      scope.onRollback(() => this.dedup.truncate(mark));
    }
    const outcomes: AppendOutcome[] = [];
    const fresh: NewMessage[] = [];
    for (const m of messages) {
      if (dedupOn && m.id !== null) {
        const prior = this.findPrior(m.id, first, fresh);
        if (prior) {
          outcomes.push(
            fingerprintOf(prior.message) === messageFingerprint(m)
              ? {offset: prior.offset, duplicate: true}
              : {error: new MqError('ID_CONFLICT', `id ${JSON.stringify(m.id)} was written at offset ${prior.offset} with a different payload`, {offset: prior.offset, partition: this.number})},
          );
          continue;
        }
        this.dedup.add(m.id, first + fresh.length, timestamp);
      }
      outcomes.push({offset: first + fresh.length, duplicate: false});
      fresh.push(m.delayMs ? {...m, delayMs: undefined, notBefore: timestamp + m.delayMs} : m);
    }
    const dups = messages.length - fresh.length;
    if (fresh.length > 0) {
      this.store.appendMessages(this.pid, {index: st.lastIndex + 1, term: this.term, timestamp, messages: fresh});
      let bytes = 0;
      for (const m of fresh) bytes += m.value.length;
      const end = first + fresh.length;
      scope.onCommit(() => {
        this.highWatermark = end;
        this.bytes += bytes;
        this.lastIndex = Math.max(this.lastIndex, st.lastIndex + 1);
        this.lastTimestamp = timestamp;
        this.counters.messagesIn += fresh.length;
        this.counters.bytesIn += bytes;
        this.counters.duplicates += dups;
        this.waiters.wake();
      });
    } else if (dups > 0) {
      scope.onCommit(() => (this.counters.duplicates += dups));
    }
    return outcomes;
  }

  /** The earlier write of this id: in this batch, earlier in this group commit, or in the window (confirmed on disk). */
  private findPrior(id: string, first: number, fresh: readonly NewMessage[]): {offset: number; message: Fingerprinted} | undefined {
    for (const off of this.dedup.candidates(id)) {
      if (off >= first) {
        const m = fresh[off - first];
        if (m?.id === id) return {offset: off, message: m};
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

  /** Appends a non-message entry (queue state changes) inside a group commit. */
  appendControl(scope: CommitScope, kind: EntryKind, data: Buffer): void {
    const st = this.store.partitionState(this.pid);
    if (!st) throw new MqError('PARTITION_NOT_FOUND', `partition ${this.number} of ${this.topic} is gone`);
    this.store.appendEntry(this.pid, st.lastIndex + 1, this.term, kind, data);
    scope.onCommit(() => (this.lastIndex = Math.max(this.lastIndex, st.lastIndex + 1)));
  }

  read(from: number, limits: Omit<ReadLimits, 'endOffset'>): StoredMessage[] {
    const msgs = this.store.readMessages(this.pid, from, {...limits, endOffset: this.highWatermark});
    this.counters.messagesOut += msgs.length;
    for (const m of msgs) this.counters.bytesOut += m.value.length;
    return msgs;
  }

  /**
   * Enforces retention: the new log start is the largest that max_messages, max_bytes and max_age_ms ask for. Ids of
   * deleted messages still inside the de-duplication window are spilled so that a late retry is still recognised.
   * Deletes at most `chunk` messages per call so that a large backlog never stalls the event loop for long.
   */
  enforceRetention(retention: RetentionConfig, now: number, dedupWindowMs: number, chunk: number, ackedBelow?: number): number {
    let target = this.logStart;
    if (retention.untilAcked) {
      // limits are a capacity here (producers get TOPIC_FULL), never a reason to drop unprocessed work
      target = Math.max(target, ackedBelow ?? this.logStart);
    } else {
      if (retention.maxMessages !== null) target = Math.max(target, this.highWatermark - retention.maxMessages);
      if (retention.maxBytes !== null && this.bytes > retention.maxBytes) target = Math.max(target, this.store.offsetForBytes(this.pid, retention.maxBytes));
      if (retention.maxAgeMs !== null) target = Math.max(target, this.store.offsetForAge(this.pid, now - retention.maxAgeMs));
    }
    target = Math.min(target, this.logStart + chunk, this.highWatermark);
    if (target <= this.logStart) return 0;
    const result = this.store.transaction(() => {
      if (dedupWindowMs > 0) this.spillIds(target, now - dedupWindowMs);
      return this.store.deleteBefore(this.pid, target);
    });
    this.logStart = result.logStart;
    this.bytes -= result.bytes;
    this.counters.retentionDeleted += result.count;
    return result.count;
  }

  /** Deletes everything before `offset` regardless of retention settings (compaction of internal topics). */
  truncateBefore(offset: number): void {
    const result = this.store.deleteBefore(this.pid, Math.min(offset, this.highWatermark));
    this.logStart = result.logStart;
    this.bytes -= result.bytes;
    this.counters.retentionDeleted += result.count;
  }

  private spillIds(before: number, cutoff: number): void {
    const from = this.store.offsetForTimestamp(this.pid, cutoff);
    if (from >= before) return;
    const records = this.store
      .readMessages(this.pid, from, {maxMessages: before - from, maxBytes: Number.MAX_SAFE_INTEGER, endOffset: before})
      .filter((m) => m.id !== null)
      .map((m) => ({id: m.id!, offset: m.offset, timestamp: m.timestamp, fingerprint: messageFingerprint(m)}));
    if (records.length > 0) this.store.putSpill(this.pid, records);
  }
}
