import {AssertionError, assert} from '../../util/assert.js';
import type {RaftStorage} from './storage.js';
import {
  EMPTY_CONF_STATE,
  EMPTY_HARD_STATE,
  entryBytes,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
} from './types.js';

/**
 * An in-memory `RaftStorage` with the write side a driver needs. The simulator wraps it to model fsync, and a
 * runtime can use it in front of a durable log. Entries are treated as immutable, so `clone()` is cheap.
 */
export class MemoryStorage implements RaftStorage {
  private hs: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot;
  /** ents[0] is a placeholder that holds the compaction point's index and term. */
  private ents: Entry[];

  /** A node joining an existing cluster: empty, in no configuration; the leader will send it a snapshot. */
  constructor() {
    this.snap = {metadata: {index: 0, term: 0, confState: EMPTY_CONF_STATE}, data: new Uint8Array(0)};
    this.ents = [placeholder(0, 0)];
  }

  /**
   * A founding member: the initial configuration is a snapshot at index 1, term 1 (of an empty state machine).
   * Being a snapshot rather than a log entry, it reaches nodes that join later the only way it can: the leader
   * must send them a snapshot, which carries it. Every founder must bootstrap with the same configuration.
   */
  static bootstrap(confState: ConfState): MemoryStorage {
    assert(confState.voters.length > 0, 'storage: a bootstrap configuration needs at least one voter');
    const s = new MemoryStorage();
    s.snap = {metadata: {index: 1, term: 1, confState}, data: new Uint8Array(0)};
    s.ents = [placeholder(1, 1)];
    s.hs = {term: 1, vote: 0, commit: 1};
    return s;
  }

  clone(): MemoryStorage {
    const c = new MemoryStorage();
    c.hs = this.hs;
    c.snap = this.snap;
    c.ents = this.ents.slice();
    return c;
  }

  hardState(): HardState {
    return this.hs;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  term(index: number): number | undefined {
    const i = index - this.offset();
    if (i < 0 || i >= this.ents.length) return undefined;
    return this.ents[i]!.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    // Hot-path checks throw directly so that their messages are only built when they fire.
    if (lo < this.firstIndex() || lo > hi || hi > this.lastIndex() + 1) {
      throw new AssertionError(`storage: entries(${lo}, ${hi}) out of range`);
    }
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - this.offset()]!;
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  setHardState(hs: HardState): void {
    this.hs = hs;
  }

  /** Appends, first dropping any existing entries at or after `entries[0].index` (the Ready's truncation point). */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    if (first > this.lastIndex() + 1) throw new AssertionError(`storage: append at ${first} leaves a gap after ${this.lastIndex()}`);
    const offset = this.offset();
    // In place: appending at the end is the common case, and copying the whole log per append is quadratic.
    let i = 0;
    while (i < entries.length && entries[i]!.index <= offset) i++;
    if (i === entries.length) return;
    this.ents.length = entries[i]!.index - offset;
    for (; i < entries.length; i++) this.ents.push(entries[i]!);
  }

  /** Replaces everything with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    assert(snap.metadata.index > this.snap.metadata.index, 'storage: snapshot is older than the one held');
    this.snap = snap;
    this.ents = [placeholder(snap.metadata.index, snap.metadata.term)];
  }

  /** Records the application's state as of `index` (which must still be in the log). Does not compact. */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): void {
    assert(index > this.snap.metadata.index, 'storage: snapshot index must move forward');
    const term = this.term(index);
    assert(term !== undefined, `storage: snapshot index ${index} is not in the log`);
    this.snap = {metadata: {index, term, confState}, data};
  }

  /** Drops entries up to and including `index`; never past the snapshot, which is what replaces them. */
  compact(index: number): void {
    if (index <= this.offset()) return;
    assert(index <= this.snap.metadata.index, 'storage: cannot compact past the latest snapshot');
    const term = this.term(index);
    assert(term !== undefined, `storage: compact index ${index} is not in the log`);
    this.ents = [placeholder(index, term)].concat(this.ents.slice(index - this.offset() + 1));
  }

  private offset(): number {
    return this.ents[0]!.index;
  }
}

function placeholder(index: number, term: number): Entry {
  return {index, term, type: 'noop', data: new Uint8Array(0)};
}
