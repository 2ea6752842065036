import type {Entry, HardState, Snapshot} from './types.js';

/**
 * What the Raft core reads its durable state from (etcd's `Storage`). Synchronous on purpose: the core stays a
 * pure function of its inputs. The driver writes to it (append, hard state, snapshots) while handling a Ready;
 * the core only reads.
 *
 * Index layout: entries live in [firstIndex(), lastIndex()]; firstIndex() - 1 is the compaction point, whose
 * term is still answered (it is needed as the `prevLogTerm` of the first entry). The latest snapshot covers an
 * index >= firstIndex() - 1.
 */
export interface RaftStorage {
  hardState(): HardState;
  /** Entries in [lo, hi), cut at `maxBytes` but never empty when lo < hi. Requires firstIndex() <= lo <= hi <= lastIndex() + 1. */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** The term at `index`, or undefined when it is compacted away or beyond the end. */
  term(index: number): number | undefined;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}
