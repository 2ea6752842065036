import {EntryKind, type LogStore} from '../storage/index.js';
import {assert} from '../util/assert.js';
import {Payload, decodeBatch, encodeBatch, payloadKind, type MessageBatch} from './codec.js';
import {EMPTY_HARD_STATE, type ConfState, type Entry, type HardState, type RaftStorage, type Snapshot} from './raft/index.js';
import {entryBytes} from './raft/types.js';

const CACHE_ENTRIES = 4096;

/**
 * The Raft core's view of one group's log, kept in the broker's LogStore: entries in the `entries` table, message
 * batches as rows of the partition's table (so each message is stored once), hard state and snapshot in their
 * tables. Recent entries are cached, so replication rarely reads back what was just written. Writes happen inside
 * the driver's transaction for the whole Ready.
 */
export class StoreRaftStorage implements RaftStorage {
  private snap: Snapshot;
  private hs: HardState;
  private first: number;
  private last: number;
  private readonly cache = new Map<number, Entry>();

  constructor(
    private readonly store: LogStore,
    readonly gid: number,
  ) {
    const rec = store.getRaftSnapshot(gid);
    assert(rec !== undefined, `raft storage: group ${gid} has no snapshot (not bootstrapped)`);
    this.snap = {metadata: {index: rec.index, term: rec.term, confState: JSON.parse(rec.conf) as ConfState}, data: new Uint8Array(rec.data)};
    this.hs = store.getHardState(gid) ?? EMPTY_HARD_STATE;
    const st = store.partitionState(gid)!;
    this.first = Math.max(st.firstIndex, rec.index + 1);
    this.last = Math.max(st.lastIndex, rec.index);
  }

  /** Creates a group's storage for a founding member: the configuration is a snapshot at index 1, term 1. */
  static bootstrap(store: LogStore, gid: number, conf: ConfState, data: Uint8Array = new Uint8Array(0)): void {
    store.transaction(() => {
      store.createPartition(gid);
      if (store.getRaftSnapshot(gid)) return;
      store.setRaftSnapshot(gid, {index: 1, term: 1, conf: JSON.stringify(conf), data: Buffer.from(data)});
      store.setHardState(gid, {term: 1, vote: 0, commit: 1});
    });
  }

  /**
   * Creates an empty group's storage for a replica that is not a founder (a broker that joins, a replica added to a
   * partition, or one whose data was lost): no configuration, nothing applied. It learns everything from the leader.
   */
  static bootstrapEmpty(store: LogStore, gid: number): void {
    store.transaction(() => {
      store.createPartition(gid);
      if (store.getRaftSnapshot(gid)) return;
      store.setRaftSnapshot(gid, {index: 0, term: 0, conf: JSON.stringify({voters: [], learners: []}), data: Buffer.alloc(0)});
      store.setHardState(gid, {term: 0, vote: 0, commit: 0});
    });
  }

  hardState(): HardState {
    return this.hs;
  }

  firstIndex(): number {
    return this.first;
  }

  lastIndex(): number {
    return this.last;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  term(index: number): number | undefined {
    if (index === this.snap.metadata.index) return this.snap.metadata.term;
    if (index < this.first || index > this.last) return undefined;
    const c = this.cache.get(index);
    if (c) return c.term;
    return this.store.readEntries(this.gid, index, 1)[0]?.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    assert(lo >= this.first && lo <= hi && hi <= this.last + 1, `raft storage ${this.gid}: entries(${lo}, ${hi}) outside [${this.first}, ${this.last}]`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; ) {
      let e = this.cache.get(i);
      if (!e) {
        const rows = this.store.readEntries(this.gid, i, Math.min(hi - i, 256));
        if (rows.length === 0) break;
        for (const r of rows) {
          const entry = this.fromRow(r);
          bytes += entryBytes(entry);
          if (out.length > 0 && bytes > maxBytes) return out;
          out.push(entry);
        }
        i = rows[rows.length - 1]!.index + 1;
        continue;
      }
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
      i++;
    }
    return out;
  }

  private fromRow(r: ReturnType<LogStore['readEntries']>[number]): Entry {
    if (r.kind === EntryKind.Messages) {
      const messages = this.store.readMessages(this.gid, r.firstOffset, {maxMessages: r.count, maxBytes: Number.MAX_SAFE_INTEGER, endOffset: r.firstOffset + r.count});
      const first = messages[0];
      return {index: r.index, term: r.term, type: 'normal', data: encodeBatch({firstOffset: r.firstOffset, timestamp: first?.timestamp ?? 0, messages})};
    }
    if (r.kind === EntryKind.Noop) return {index: r.index, term: r.term, type: 'noop', data: new Uint8Array(0)};
    return {index: r.index, term: r.term, type: r.kind === EntryKind.Config ? 'config' : 'normal', data: r.data ? new Uint8Array(r.data) : new Uint8Array(0)};
  }

  // ---- the driver's side ------------------------------------------------------------------------------------

  /**
   * Appends a Ready's entries, first dropping any stored entries at or after the first one (and their messages).
   * `decoded` holds batches this node encoded itself, so they need not be decoded again.
   */
  append(entries: readonly Entry[], decoded?: ReadonlyMap<number, MessageBatch>): {truncatedFrom?: number; batches: Map<number, MessageBatch>} {
    const batches = new Map<number, MessageBatch>();
    if (entries.length === 0) return {batches};
    const from = entries[0]!.index;
    assert(from <= this.last + 1, `raft storage ${this.gid}: append at ${from} leaves a gap after ${this.last}`);
    let truncatedFrom: number | undefined;
    if (from <= this.last) {
      this.store.truncateFrom(this.gid, from);
      for (const i of [...this.cache.keys()]) if (i >= from) this.cache.delete(i);
      truncatedFrom = from;
    }
    for (const e of entries) {
      // an empty entry (a read barrier: settled-leader.ts) carries nothing to apply, as a leader's no-op does
      if (e.type === 'noop' || e.data.length === 0) this.store.appendEntry(this.gid, e.index, e.term, EntryKind.Noop, null);
      else if (e.type === 'config') this.store.appendEntry(this.gid, e.index, e.term, EntryKind.Config, Buffer.from(e.data));
      else if (payloadKind(e.data) === Payload.Messages) {
        const b = decoded?.get(e.index) ?? decodeBatch(e.data);
        batches.set(e.index, b);
        this.store.appendMessages(this.gid, {index: e.index, term: e.term, timestamp: b.timestamp, messages: b.messages, firstOffset: b.firstOffset});
      } else {
        this.store.appendEntry(this.gid, e.index, e.term, payloadKind(e.data) as EntryKind, Buffer.from(e.data));
      }
      this.cache.set(e.index, e);
    }
    this.last = entries[entries.length - 1]!.index;
    for (const i of this.cache.keys()) {
      if (i > this.last - CACHE_ENTRIES) break;
      this.cache.delete(i);
    }
    return truncatedFrom === undefined ? {batches} : {truncatedFrom, batches};
  }

  setHardState(hs: HardState): void {
    this.hs = hs;
    this.store.setHardState(this.gid, hs);
  }

  /** A snapshot from the leader replaces the whole log; the partition restarts empty at `nextOffset`. */
  installSnapshot(snap: Snapshot, reset: {nextOffset: number; lastTimestamp: number}): void {
    this.store.setRaftSnapshot(this.gid, {index: snap.metadata.index, term: snap.metadata.term, conf: JSON.stringify(snap.metadata.confState), data: Buffer.from(snap.data)}, reset);
    this.snap = snap;
    this.cache.clear();
    this.first = snap.metadata.index + 1;
    this.last = snap.metadata.index;
  }

  /** Records the state machine at `index` and drops the entries up to it (they are what the snapshot replaces). */
  compact(index: number, conf: ConfState, data: Uint8Array): void {
    if (index <= this.snap.metadata.index) return;
    const term = this.term(index);
    assert(term !== undefined, `raft storage ${this.gid}: cannot snapshot at ${index}`);
    this.snap = {metadata: {index, term, confState: conf}, data};
    this.store.setRaftSnapshot(this.gid, {index, term, conf: JSON.stringify(conf), data: Buffer.from(data)});
    this.store.compactEntries(this.gid, index + 1);
    for (const i of [...this.cache.keys()]) if (i <= index) this.cache.delete(i);
    this.first = index + 1;
  }
}
