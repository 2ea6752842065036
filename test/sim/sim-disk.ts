import {MemoryStorage, type ConfState, type Entry, type HardState, type Snapshot} from '../../src/cluster/raft/index.js';
import type {Random} from '../../src/util/random.js';

type Write =
  | {readonly kind: 'append'; readonly entries: readonly Entry[]}
  | {readonly kind: 'hardState'; readonly hardState: HardState}
  | {readonly kind: 'snapshot'; readonly snapshot: Snapshot}
  | {readonly kind: 'createSnapshot'; readonly index: number; readonly confState: ConfState; readonly data: Uint8Array}
  | {readonly kind: 'compact'; readonly index: number};

/**
 * A node's disk. `live` is what the running process sees (the page cache: every write, synced or not);
 * `durable` is what survives a crash. A crash keeps the synced state plus a random prefix of the unsynced
 * writes (a write-ahead log persists in order, but any suffix may be lost), possibly tearing the last append.
 */
export class SimDisk {
  live: MemoryStorage;
  private durable: MemoryStorage;
  private unsynced: Write[] = [];
  syncs = 0;

  /** Founders bootstrap with the initial configuration; joiners start empty. */
  constructor(bootstrap: ConfState | undefined) {
    this.durable = bootstrap === undefined ? new MemoryStorage() : MemoryStorage.bootstrap(bootstrap);
    this.live = this.durable.clone();
  }

  append(entries: readonly Entry[]): void {
    this.write({kind: 'append', entries});
  }

  setHardState(hardState: HardState): void {
    this.write({kind: 'hardState', hardState});
  }

  applySnapshot(snapshot: Snapshot): void {
    this.write({kind: 'snapshot', snapshot});
  }

  createSnapshot(index: number, confState: ConfState, data: Uint8Array): void {
    this.write({kind: 'createSnapshot', index, confState, data});
  }

  compact(index: number): void {
    this.write({kind: 'compact', index});
  }

  get unsyncedCount(): number {
    return this.unsynced.length;
  }

  fsync(): void {
    for (const w of this.unsynced) apply(this.durable, w);
    this.unsynced = [];
    this.syncs++;
  }

  /** Returns how many unsynced writes were lost (a torn append counts as lost). */
  crash(rng: Random): number {
    const keep = rng.int(0, this.unsynced.length);
    for (let i = 0; i < keep; i++) apply(this.durable, this.unsynced[i]!);
    const lost = this.unsynced.length - keep;
    const torn = this.unsynced[keep];
    if (torn?.kind === 'append' && torn.entries.length > 1 && rng.next() < 0.5) {
      apply(this.durable, {kind: 'append', entries: torn.entries.slice(0, rng.int(1, torn.entries.length - 1))});
    }
    this.unsynced = [];
    this.live = this.durable.clone();
    return lost;
  }

  private write(w: Write): void {
    apply(this.live, w);
    this.unsynced.push(w);
  }
}

function apply(s: MemoryStorage, w: Write): void {
  switch (w.kind) {
    case 'append':
      s.append(w.entries);
      return;
    case 'hardState':
      s.setHardState(w.hardState);
      return;
    case 'snapshot':
      s.applySnapshot(w.snapshot);
      return;
    case 'createSnapshot':
      s.createSnapshot(w.index, w.confState, w.data);
      return;
    case 'compact':
      s.compact(w.index);
      return;
  }
}
