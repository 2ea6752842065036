import {assert} from '../../util/assert.js';

/**
 * The AppendEntries a leader has sent to one follower and not yet seen acknowledged, oldest first. A ring
 * buffer bounded by a message count, so a slow follower costs the leader a fixed amount of memory.
 */
export class Inflights {
  private readonly indexes: number[];
  private start = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    assert(capacity >= 1, 'inflights: capacity must be >= 1');
    this.indexes = new Array<number>(capacity).fill(0);
  }

  get count(): number {
    return this.size;
  }

  full(): boolean {
    return this.size === this.capacity;
  }

  /** Records a message whose last entry is `index`; indexes must increase. */
  add(index: number): void {
    assert(!this.full(), 'inflights: add while full');
    if (this.size > 0) assert(index > this.at(this.size - 1), 'inflights: indexes must increase');
    this.indexes[(this.start + this.size) % this.capacity] = index;
    this.size++;
  }

  /** Frees every message whose last entry is <= `index` (they are acknowledged). */
  freeLE(index: number): void {
    while (this.size > 0 && this.at(0) <= index) {
      this.start = (this.start + 1) % this.capacity;
      this.size--;
    }
  }

  /** A heartbeat response proves the follower is alive: let one more message through even if nothing was acked. */
  freeFirstOne(): void {
    if (this.size === 0) return;
    this.start = (this.start + 1) % this.capacity;
    this.size--;
  }

  reset(): void {
    this.start = 0;
    this.size = 0;
  }

  private at(i: number): number {
    return this.indexes[(this.start + i) % this.capacity]!;
  }
}
