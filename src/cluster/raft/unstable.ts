import {AssertionError} from '../../util/assert.js';
import type {Entry, Snapshot} from './types.js';

/**
 * The tail of the log that the driver has not yet persisted: an incoming snapshot and/or entries starting at
 * `offset`. It may overlap storage (a truncation not yet applied there); where it does, it wins.
 */
export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];

  constructor(public offset: number) {}

  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      const s = this.snapshot?.metadata;
      return s && s.index === index ? s.term : undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || index > last) return undefined;
    return this.entries[index - this.offset]!.term;
  }

  /** The driver persisted entries up to (index, term); a later truncation makes the term differ and we keep them. */
  stableTo(index: number, term: number): void {
    if (this.maybeTerm(index) !== term || index < this.offset) return;
    const keep = index + 1 - this.offset;
    this.entries = keep === this.entries.length ? [] : this.entries.slice(keep);
    this.offset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.snapshot && this.snapshot.metadata.index === index) this.snapshot = undefined;
  }

  restore(snap: Snapshot): void {
    this.offset = snap.metadata.index + 1;
    this.entries = [];
    this.snapshot = snap;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const after = ents[0]!.index;
    if (after === this.offset + this.entries.length) {
      this.entries = this.entries.concat(ents);
    } else if (after <= this.offset) {
      // Replaces everything unstable; storage's overlapping tail is truncated when the driver appends.
      this.offset = after;
      this.entries = ents.slice();
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(ents);
    }
  }

  slice(lo: number, hi: number): Entry[] {
    if (lo < this.offset || hi > this.offset + this.entries.length) throw new AssertionError(`unstable: slice [${lo}, ${hi}) out of range`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
