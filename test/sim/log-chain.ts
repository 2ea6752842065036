import type {Entry, MemoryStorage} from '../../src/cluster/raft/index.js';
import {chainHash, decodeMachineState} from './hash.js';

/**
 * The prefix hash at every index of one node's (live) log, from its snapshot onwards. Entries below the
 * snapshot are not hashed: the snapshot's own hash stands for them.
 */
export class LogChain {
  private base = 0;
  private baseHash = 0;
  private terms: number[] = [];
  private hashes: number[] = [];

  static fromStorage(storage: MemoryStorage): LogChain {
    const chain = new LogChain();
    const snap = storage.snapshot();
    chain.reset(snap.metadata.index, decodeMachineState(snap.data, snap.metadata.index).hash);
    const lo = snap.metadata.index + 1;
    if (lo <= storage.lastIndex()) chain.append(storage.entries(lo, storage.lastIndex() + 1, Number.POSITIVE_INFINITY));
    return chain;
  }

  get baseIndex(): number {
    return this.base;
  }

  get lastIndex(): number {
    return this.base + this.hashes.length;
  }

  reset(index: number, hash: number): void {
    this.base = index;
    this.baseHash = hash;
    this.terms = [];
    this.hashes = [];
  }

  /** Appends after dropping anything at or beyond `ents[0].index`, as storage does. */
  append(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const first = ents[0]!.index;
    const skip = Math.max(0, this.base + 1 - first);
    const keep = first + skip - this.base - 1;
    this.terms.length = keep;
    this.hashes.length = keep;
    for (let i = skip; i < ents.length; i++) {
      const e = ents[i]!;
      this.hashes.push(chainHash(this.hashAt(e.index - 1)!, e));
      this.terms.push(e.term);
    }
  }

  hashAt(index: number): number | undefined {
    if (index === this.base) return this.baseHash;
    if (index < this.base || index > this.lastIndex) return undefined;
    return this.hashes[index - this.base - 1];
  }

  termAt(index: number): number | undefined {
    if (index <= this.base || index > this.lastIndex) return undefined;
    return this.terms[index - this.base - 1];
  }
}
