import {entryCrc, messageCrc} from './crc.js';
import {CorruptionError} from './corruption.js';
import {
  EntryKind,
  type AppendMessagesInput,
  type DedupRecord,
  type DeleteResult,
  type HardState,
  type LogEntry,
  type LogStore,
  type PartitionState,
  type QueueCandidate,
  type QueueRow,
  type RaftSnapshotRecord,
  type ReadLimits,
  type RetentionStats,
  type StoreStats,
  type StoredMessage,
} from './types.js';

export interface MemoryStoreOptions {
  /** false models a disk whose writes stay in a volatile cache until sync(): crash() then drops them. */
  syncOnCommit?: boolean;
}

interface Part {
  state: PartitionState;
  /** msgs[i].offset === state.logStart + i */
  msgs: StoredMessage[];
  /** entries[i].index === state.firstIndex + i */
  entries: LogEntry[];
  spill: Map<string, DedupRecord>;
  queueFloors: Map<string, number>;
  queueRows: Map<string, Map<number, QueueRow>>;
}

/**
 * The in-memory LogStore: same contract as SQLite, used by unit tests, the embedded test broker and simulations.
 * Every mutation records its inverse in an undo log; a failed transaction reverts to its mark, a commit marks the
 * log durable (or not, with syncOnCommit=false), and crash() reverts every write that was never synced.
 */
export class MemoryStore implements LogStore {
  readonly kind = 'memory' as const;
  private readonly parts = new Map<number, Part>();
  private readonly hard = new Map<number, HardState>();
  private readonly snaps = new Map<number, RaftSnapshotRecord>();
  private readonly meta = new Map<string, string>();
  private readonly undo: Array<() => void> = [];
  private readonly syncOnCommit: boolean;
  private depth = 0;
  private commits = 0;
  private readonly removed: RetentionStats = {passes: 0, messages: 0, bytes: 0, ms: 0, maxMs: 0, lastAt: 0};

  constructor(opts: MemoryStoreOptions = {}) {
    this.syncOnCommit = opts.syncOnCommit ?? true;
  }

  transaction<T>(fn: () => T): T {
    const mark = this.undo.length;
    this.depth++;
    try {
      const result = fn();
      this.depth--;
      if (this.depth === 0) {
        this.commits++;
        if (this.syncOnCommit) this.undo.length = 0;
      }
      return result;
    } catch (error) {
      this.depth--;
      this.revertTo(mark);
      throw error;
    }
  }

  /** Makes every committed write durable (an fsync). */
  sync(): void {
    if (this.depth === 0) this.undo.length = 0;
  }

  /** A power cut: every write not yet synced is gone. */
  crash(): void {
    this.revertTo(0);
    this.depth = 0;
  }

  /** Test hook: flips a bit of a stored value, as a bad disk would. */
  corruptMessage(pid: number, offset: number): void {
    const p = this.must(pid);
    const m = p.msgs[offset - p.state.logStart];
    if (!m) throw new Error(`no message at ${offset}`);
    const value = Buffer.from(m.value);
    value[0] = (value[0] ?? 0) ^ 0x01;
    p.msgs[offset - p.state.logStart] = {...m, value};
  }

  private revertTo(mark: number): void {
    while (this.undo.length > mark) this.undo.pop()!();
  }

  private mutate(apply: () => void, revert: () => void): void {
    this.transaction(() => {
      apply();
      this.undo.push(revert);
    });
  }

  private must(pid: number): Part {
    const p = this.parts.get(pid);
    if (!p) throw new Error(`partition ${pid} does not exist`);
    return p;
  }

  private setState(p: Part, next: PartitionState): void {
    const prev = p.state;
    this.mutate(
      () => (p.state = next),
      () => (p.state = prev),
    );
  }

  createPartition(pid: number): void {
    if (this.parts.has(pid)) return;
    const part: Part = {
      state: {pid, nextOffset: 0, logStart: 0, bytes: 0, firstIndex: 1, lastIndex: 0, lastTerm: 0, lastTimestamp: 0, applied: 0, highWatermark: 0},
      msgs: [],
      entries: [],
      spill: new Map(),
      queueFloors: new Map(),
      queueRows: new Map(),
    };
    this.mutate(
      () => this.parts.set(pid, part),
      () => this.parts.delete(pid),
    );
  }

  dropPartition(pid: number): void {
    const part = this.parts.get(pid);
    const hs = this.hard.get(pid);
    const snap = this.snaps.get(pid);
    this.mutate(
      () => {
        this.parts.delete(pid);
        this.hard.delete(pid);
        this.snaps.delete(pid);
      },
      () => {
        if (part) this.parts.set(pid, part);
        if (hs) this.hard.set(pid, hs);
        if (snap) this.snaps.set(pid, snap);
      },
    );
  }

  partitionState(pid: number): PartitionState | undefined {
    const p = this.parts.get(pid);
    return p && {...p.state};
  }

  listPartitions(): PartitionState[] {
    return [...this.parts.values()].map((p) => ({...p.state})).sort((a, b) => a.pid - b.pid);
  }

  private pushEntry(p: Part, e: LogEntry): void {
    this.mutate(
      () => p.entries.push(e),
      () => p.entries.pop(),
    );
  }

  appendMessages(pid: number, input: AppendMessagesInput): number {
    return this.transaction(() => {
      const p = this.must(pid);
      const st = p.state;
      const first = st.nextOffset;
      if (input.firstOffset !== undefined && input.firstOffset !== first) {
        throw new Error(`partition ${pid}: batch at offset ${input.firstOffset} does not follow ${first}`);
      }
      const added: StoredMessage[] = input.messages.map((m, i) => ({
        ...m,
        offset: first + i,
        timestamp: input.timestamp,
        crc: messageCrc(m, input.timestamp),
      }));
      this.mutate(
        () => {
          for (const m of added) p.msgs.push(m);
        },
        () => (p.msgs.length -= added.length),
      );
      const count = added.length;
      const bytes = added.reduce((n, m) => n + m.value.length, 0);
      if (input.restoring) {
        this.setState(p, {...st, nextOffset: first + count, bytes: st.bytes + bytes, lastTimestamp: input.timestamp});
        return first;
      }
      const crc = entryCrc(EntryKind.Messages, input.term, first, count, null);
      this.pushEntry(p, {index: input.index, term: input.term, kind: EntryKind.Messages, firstOffset: first, count, data: null, crc});
      this.setState(p, {...st, nextOffset: first + count, bytes: st.bytes + bytes, lastIndex: input.index, lastTerm: input.term, lastTimestamp: input.timestamp});
      return first;
    });
  }

  appendEntry(pid: number, index: number, term: number, kind: EntryKind, data: Buffer | null): void {
    this.transaction(() => {
      const p = this.must(pid);
      const st = p.state;
      this.pushEntry(p, {index, term, kind, firstOffset: st.nextOffset, count: 0, data, crc: entryCrc(kind, term, st.nextOffset, 0, data)});
      this.setState(p, {...st, lastIndex: index, lastTerm: term});
    });
  }

  truncateFrom(pid: number, fromIndex: number): void {
    this.transaction(() => {
      const p = this.must(pid);
      const st = p.state;
      if (fromIndex > st.lastIndex) return;
      const from = Math.max(fromIndex, st.firstIndex);
      const firstGone = p.entries[from - st.firstIndex];
      const cut = firstGone ? firstGone.firstOffset : st.nextOffset;
      const msgAt = Math.max(0, cut - st.logStart);
      const removedMsgs = p.msgs.slice(msgAt);
      const removedEntries = p.entries.slice(from - st.firstIndex);
      this.mutate(
        () => {
          p.msgs.length = msgAt;
          p.entries.length = from - st.firstIndex;
        },
        () => {
          p.msgs = p.msgs.concat(removedMsgs);
          p.entries = p.entries.concat(removedEntries);
        },
      );
      const prev = p.entries[fromIndex - 1 - st.firstIndex];
      const lastMsg = p.msgs[p.msgs.length - 1];
      this.setState(p, {
        ...st,
        nextOffset: cut,
        bytes: st.bytes - removedMsgs.reduce((n, m) => n + m.value.length, 0),
        lastIndex: fromIndex - 1,
        lastTerm: prev ? prev.term : 0,
        lastTimestamp: lastMsg ? lastMsg.timestamp : st.lastTimestamp,
      });
    });
  }

  compactEntries(pid: number, beforeIndex: number): void {
    this.transaction(() => {
      const p = this.must(pid);
      const st = p.state;
      const upTo = Math.min(beforeIndex, st.lastIndex + 1);
      if (upTo <= st.firstIndex) return;
      const removed = p.entries.slice(0, upTo - st.firstIndex);
      this.mutate(
        () => (p.entries = p.entries.slice(removed.length)),
        () => (p.entries = removed.concat(p.entries)),
      );
      this.setState(p, {...st, firstIndex: upTo});
    });
  }

  compactionPoint(pid: number, offset: number, maxIndex: number): {index: number; firstOffset: number; endOffset: number} | undefined {
    const p = this.must(pid);
    for (let i = p.entries.length - 1; i >= 0; i--) {
      const e = p.entries[i]!;
      if (e.kind === EntryKind.Messages && e.count > 0 && e.index <= maxIndex && e.firstOffset < offset) return {index: e.index, firstOffset: e.firstOffset, endOffset: e.firstOffset + e.count};
    }
    return undefined;
  }

  readEntries(pid: number, fromIndex: number, maxEntries: number): LogEntry[] {
    const p = this.must(pid);
    const start = Math.max(0, fromIndex - p.state.firstIndex);
    return p.entries.slice(start, start + maxEntries).map((e) => {
      if (entryCrc(e.kind, e.term, e.firstOffset, e.count, e.data) !== e.crc) throw new CorruptionError(pid, e.firstOffset, e.index);
      return e;
    });
  }

  private checked(pid: number, m: StoredMessage): StoredMessage {
    if (messageCrc(m, m.timestamp) !== m.crc) throw new CorruptionError(pid, m.offset);
    return m;
  }

  readMessages(pid: number, fromOffset: number, limits: ReadLimits): StoredMessage[] {
    const p = this.must(pid);
    const out: StoredMessage[] = [];
    let bytes = 0;
    const end = Math.min(limits.endOffset, p.state.nextOffset);
    for (let off = Math.max(fromOffset, p.state.logStart); off < end && out.length < limits.maxMessages; off++) {
      const m = p.msgs[off - p.state.logStart]!;
      if (out.length > 0 && bytes + m.value.length > limits.maxBytes) break;
      out.push(this.checked(pid, m));
      bytes += m.value.length;
    }
    return out;
  }

  readMessage(pid: number, offset: number): StoredMessage | undefined {
    const p = this.must(pid);
    const m = p.msgs[offset - p.state.logStart];
    return m && this.checked(pid, m);
  }

  offsetForTimestamp(pid: number, ts: number): number {
    const p = this.must(pid);
    let lo = 0;
    let hi = p.msgs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p.msgs[mid]!.timestamp < ts) lo = mid + 1;
      else hi = mid;
    }
    return p.state.logStart + lo;
  }

  scanIds(pid: number, fromOffset: number, visit: (id: string, offset: number, timestamp: number) => void): void {
    const p = this.must(pid);
    for (const m of p.msgs) if (m.offset >= fromOffset && m.id !== null) visit(m.id, m.offset, m.timestamp);
  }

  deleteBefore(pid: number, offset: number): DeleteResult {
    return this.transaction(() => {
      const p = this.must(pid);
      const st = p.state;
      const upTo = Math.min(Math.max(offset, st.logStart), st.nextOffset);
      const removed = p.msgs.slice(0, upTo - st.logStart);
      if (removed.length === 0) return {count: 0, bytes: 0, logStart: st.logStart};
      this.mutate(
        () => (p.msgs = p.msgs.slice(removed.length)),
        () => (p.msgs = removed.concat(p.msgs)),
      );
      const bytes = removed.reduce((n, m) => n + m.value.length, 0);
      this.setState(p, {...st, logStart: upTo, bytes: st.bytes - bytes});
      const r = this.removed;
      const before = {...r};
      this.mutate(
        () => Object.assign(r, {passes: r.passes + 1, messages: r.messages + removed.length, bytes: r.bytes + bytes, lastAt: Date.now()}),
        () => Object.assign(r, before),
      );
      return {count: removed.length, bytes, logStart: upTo};
    });
  }

  reclaim(): number {
    return 0;
  }

  offsetForBytes(pid: number, maxBytes: number): number {
    const p = this.must(pid);
    let excess = p.state.bytes - maxBytes;
    let off = p.state.logStart;
    for (const m of p.msgs) {
      if (excess <= 0) break;
      excess -= m.value.length;
      off = m.offset + 1;
    }
    return off;
  }

  offsetForAge(pid: number, cutoff: number): number {
    const p = this.must(pid);
    const m = p.msgs.find((x) => x.timestamp >= cutoff);
    return m ? m.offset : p.state.nextOffset;
  }

  putSpill(pid: number, records: readonly DedupRecord[]): void {
    const p = this.must(pid);
    for (const r of records) {
      const prev = p.spill.get(r.id);
      this.mutate(
        () => p.spill.set(r.id, {...r}),
        () => (prev ? p.spill.set(r.id, prev) : p.spill.delete(r.id)),
      );
    }
  }

  getSpill(pid: number, id: string): DedupRecord | undefined {
    return this.parts.get(pid)?.spill.get(id);
  }

  listSpill(pid: number, sinceTs: number): DedupRecord[] {
    return [...(this.parts.get(pid)?.spill.values() ?? [])].filter((r) => r.timestamp >= sinceTs);
  }

  expireSpill(beforeTs: number): number {
    let n = 0;
    for (const p of this.parts.values()) {
      for (const r of [...p.spill.values()]) {
        if (r.timestamp >= beforeTs) continue;
        this.mutate(
          () => p.spill.delete(r.id),
          () => p.spill.set(r.id, r),
        );
        n++;
      }
    }
    return n;
  }

  queueFloor(pid: number, group: string): number | undefined {
    return this.parts.get(pid)?.queueFloors.get(group);
  }

  setQueueFloor(pid: number, group: string, floor: number): void {
    const p = this.must(pid);
    const prev = p.queueFloors.get(group);
    this.mutate(
      () => p.queueFloors.set(group, floor),
      () => (prev === undefined ? p.queueFloors.delete(group) : p.queueFloors.set(group, prev)),
    );
  }

  private rowsOf(p: Part, group: string): Map<number, QueueRow> {
    let m = p.queueRows.get(group);
    if (!m) p.queueRows.set(group, (m = new Map()));
    return m;
  }

  putQueueRows(pid: number, group: string, rows: readonly QueueRow[]): void {
    const m = this.rowsOf(this.must(pid), group);
    for (const r of rows) {
      const prev = m.get(r.offset);
      this.mutate(
        () => m.set(r.offset, {...r}),
        () => (prev ? m.set(r.offset, prev) : m.delete(r.offset)),
      );
    }
  }

  deleteQueueRowsBelow(pid: number, group: string, floor: number): void {
    const m = this.rowsOf(this.must(pid), group);
    for (const [off, r] of [...m]) {
      if (off >= floor) continue;
      this.mutate(
        () => m.delete(off),
        () => m.set(off, r),
      );
    }
  }

  listQueueRows(pid: number, group: string): QueueRow[] {
    return [...(this.parts.get(pid)?.queueRows.get(group)?.values() ?? [])].sort((a, b) => a.offset - b.offset).map((r) => ({...r}));
  }

  dropQueueGroup(pid: number, group: string): void {
    const p = this.must(pid);
    const rows = p.queueRows.get(group);
    const floor = p.queueFloors.get(group);
    this.mutate(
      () => {
        p.queueRows.delete(group);
        p.queueFloors.delete(group);
      },
      () => {
        if (rows) p.queueRows.set(group, rows);
        if (floor !== undefined) p.queueFloors.set(group, floor);
      },
    );
  }

  listQueueGroups(pid: number): string[] {
    const p = this.parts.get(pid);
    return p ? [...new Set([...p.queueFloors.keys(), ...p.queueRows.keys()])] : [];
  }

  scanQueueCandidates(pid: number, from: number, end: number, limit: number): QueueCandidate[] {
    const p = this.must(pid);
    const out: QueueCandidate[] = [];
    for (let off = Math.max(from, p.state.logStart); off < Math.min(end, p.state.nextOffset) && out.length < limit; off++) {
      const m = p.msgs[off - p.state.logStart]!;
      out.push({offset: off, priority: m.priority, notBefore: m.notBefore});
    }
    return out;
  }

  scanPriority(pid: number, priority: number, from: number, end: number, limit: number): QueueCandidate[] {
    return this.scanQueueCandidates(pid, from, end, Number.MAX_SAFE_INTEGER)
      .filter((c) => c.priority === priority)
      .slice(0, limit);
  }

  setApplied(pid: number, index: number, highWatermark: number): void {
    const p = this.must(pid);
    this.setState(p, {...p.state, applied: index, highWatermark});
  }

  getRaftSnapshot(gid: number): RaftSnapshotRecord | undefined {
    const s = this.snaps.get(gid);
    return s && {...s};
  }

  setRaftSnapshot(gid: number, snap: RaftSnapshotRecord, reset?: {nextOffset: number; lastTimestamp: number}): void {
    this.transaction(() => {
      const prev = this.snaps.get(gid);
      this.mutate(
        () => this.snaps.set(gid, {...snap}),
        () => (prev ? this.snaps.set(gid, prev) : this.snaps.delete(gid)),
      );
      const p = this.parts.get(gid);
      if (!p) return;
      const st = p.state;
      if (reset) {
        const msgs = p.msgs;
        const entries = p.entries;
        this.mutate(
          () => {
            p.msgs = [];
            p.entries = [];
          },
          () => {
            p.msgs = msgs;
            p.entries = entries;
          },
        );
        this.setState(p, {...st, nextOffset: reset.nextOffset, logStart: reset.nextOffset, bytes: 0, firstIndex: snap.index + 1, lastIndex: snap.index, lastTerm: snap.term, lastTimestamp: reset.lastTimestamp, applied: snap.index, highWatermark: reset.nextOffset});
      } else if (st.lastIndex < snap.index) {
        this.setState(p, {...st, firstIndex: snap.index + 1, lastIndex: snap.index, lastTerm: snap.term});
      }
    });
  }

  getHardState(gid: number): HardState | undefined {
    const h = this.hard.get(gid);
    return h && {...h};
  }

  setHardState(gid: number, state: HardState): void {
    const prev = this.hard.get(gid);
    this.mutate(
      () => this.hard.set(gid, {...state}),
      () => (prev ? this.hard.set(gid, prev) : this.hard.delete(gid)),
    );
  }

  getMeta(key: string): string | undefined {
    return this.meta.get(key);
  }

  putMeta(key: string, value: string): void {
    const prev = this.meta.get(key);
    this.mutate(
      () => this.meta.set(key, value),
      () => (prev === undefined ? this.meta.delete(key) : this.meta.set(key, prev)),
    );
  }

  deleteMeta(key: string): void {
    const prev = this.meta.get(key);
    if (prev === undefined) return;
    this.mutate(
      () => this.meta.delete(key),
      () => this.meta.set(key, prev),
    );
  }

  listMeta(prefix: string): Array<[string, string]> {
    return [...this.meta.entries()].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  stats(): StoreStats {
    return {commits: this.commits, journalMode: 'MEMORY', synchronous: this.syncOnCommit ? 'FULL' : 'OFF', walBytes: 0, dbBytes: 0, retention: {...this.removed}};
  }

  close(): void {}
}
