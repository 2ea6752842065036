import {AssertionError, assert} from '../../util/assert.js';
import type {RaftStorage} from './storage.js';
import {entryBytes, type Entry, type Snapshot} from './types.js';
import {Unstable} from './unstable.js';

/** The log as the core sees it: persisted storage plus the unstable tail, with the commit and apply cursors. */
export class RaftLog {
  readonly unstable: Unstable;
  committed: number;
  applied: number;

  constructor(
    readonly storage: RaftStorage,
    private readonly maxApplyBytes: number,
  ) {
    this.unstable = new Unstable(storage.lastIndex() + 1);
    // Everything up to the compaction point is covered by a snapshot, hence committed and applied.
    this.committed = storage.firstIndex() - 1;
    this.applied = storage.firstIndex() - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** The term at `index`, or undefined when it is compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return undefined;
    return this.unstable.maybeTerm(index) ?? this.storage.term(index);
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, 'log: the last term is always known');
    return t;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ours = this.lastTerm();
    return lastTerm > ours || (lastTerm === ours && lastIndex >= this.lastIndex());
  }

  /** The index of the first entry that conflicts with (or extends) our log, or 0 when all of them are present. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term`: every entry above it is known to mismatch a log whose
   * entry at `index` has `term`, so the leader can skip them in one round trip instead of one per entry.
   */
  findConflictByTerm(index: number, term: number): number {
    const floor = this.firstIndex() - 1;
    if (index <= floor) return index;
    let i = Math.min(index, this.lastIndex());
    while (i > floor && (this.term(i) ?? 0) > term) i--;
    return i;
  }

  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    // Hot-path checks throw directly so that their messages are only built when they fire.
    if (ents[0]!.index <= this.committed) throw new AssertionError(`log: truncating at ${ents[0]!.index} would lose committed entries`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries.slice();
  }

  hasNextCommittedEntries(): boolean {
    return this.committed >= Math.max(this.applied + 1, this.firstIndex());
  }

  nextCommittedEntries(): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed < lo) return [];
    return this.slice(lo, this.committed + 1, this.maxApplyBytes);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (index > this.lastIndex()) throw new AssertionError(`log: commit ${index} is beyond the last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** §5.4.2: a leader commits by counting replicas only entries of its own term (unless `anyTerm`, a test bug). */
  maybeCommit(index: number, term: number, anyTerm = false): boolean {
    if (index <= this.committed) return false;
    if (!anyTerm && this.term(index) !== term) return false;
    this.commitTo(index);
    return true;
  }

  appliedTo(index: number): void {
    if (index <= this.applied) return;
    if (index > this.committed) throw new AssertionError(`log: applied ${index} beyond commit ${this.committed}`);
    this.applied = index;
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }

  restore(snap: Snapshot): void {
    this.committed = snap.metadata.index;
    this.unstable.restore(snap);
  }

  /** Entries from `lo` for an AppendEntries, or undefined when `lo` is compacted (a snapshot is needed). */
  entriesFrom(lo: number, maxBytes: number): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    if (lo > this.lastIndex()) return [];
    return this.slice(lo, this.lastIndex() + 1, maxBytes);
  }

  /** Entries in [lo, hi) cut at `maxBytes` (never empty when lo < hi). */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.firstIndex() || lo > hi || hi > this.lastIndex() + 1) throw new AssertionError(`log: slice [${lo}, ${hi}) out of range`);
    let out: Entry[] = [];
    const u = this.unstable.offset;
    if (lo < u) {
      const storedHi = Math.min(hi, u);
      out = this.storage.entries(lo, storedHi, maxBytes);
      if (out.length < storedHi - lo) return out;
    }
    if (hi > u) {
      const tail = this.unstable.slice(Math.max(lo, u), hi);
      let bytes = out.reduce((n, e) => n + entryBytes(e), 0);
      for (const e of tail) {
        bytes += entryBytes(e);
        if (out.length > 0 && bytes > maxBytes) break;
        out.push(e);
      }
    }
    return out;
  }
}
