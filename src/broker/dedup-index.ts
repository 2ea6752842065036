/**
 * The de-duplication window of one partition, in memory (as NATS JetStream keeps its duplicate window): message id →
 * offset for every message appended within `windowMs`. Open addressing over typed arrays keeps it free of per-entry
 * objects (a JS Map of millions of strings costs ~0.8 µs per insert plus GC); the ring remembers insertion order so
 * entries expire by time, and a slot whose offset fell out of the ring is dead and skipped. Ids are stored as two
 * 32-bit hashes: a hit is only a candidate, which the caller confirms against the stored message.
 *
 * It is rebuilt from the log at start-up (state is a function of the log), so it needs no persistence of its own.
 */
export class DedupIndex {
  private slotH1: Uint32Array;
  private slotH2: Uint32Array;
  /** offset + 1 in each slot; 0 marks an empty slot. */
  private slotOff: Float64Array;
  private used = 0;
  private ringOff: Float64Array;
  private ringTs: Float64Array;
  private ringH1: Uint32Array;
  private ringH2: Uint32Array;
  private head = 0;
  private count = 0;
  /** Slots holding an offset below this are expired. */
  private liveFrom = 0;
  private readonly probe = new Uint32Array(2);
  private probed: string | undefined;
  /** Entries ever added; a mark for undoing the adds of a rolled-back transaction. */
  private added = 0;
  evictions = 0;

  constructor(private readonly maxEntries: number) {
    this.slotH1 = new Uint32Array(64);
    this.slotH2 = new Uint32Array(64);
    this.slotOff = new Float64Array(64);
    this.ringOff = new Float64Array(32);
    this.ringTs = new Float64Array(32);
    this.ringH1 = new Uint32Array(32);
    this.ringH2 = new Uint32Array(32);
  }

  get size(): number {
    return this.count;
  }

  /** Approximate heap bytes, for /status. */
  get bytes(): number {
    return this.slotOff.length * 16 + this.ringOff.length * 24;
  }

  /**
   * Offsets of live entries whose id hashes match: usually none, one on a retry, more only on a hash collision or
   * after a rollback left a stale slot. Callers confirm each against the message stored at that offset.
   */
  candidates(id: string): readonly number[] {
    hashId(id, this.probe);
    this.probed = id;
    const h1 = this.probe[0]!;
    const h2 = this.probe[1]!;
    const mask = this.slotOff.length - 1;
    let out: number[] | undefined;
    for (let i = h1 & mask; this.slotOff[i] !== 0; i = (i + 1) & mask) {
      const off = this.slotOff[i]! - 1;
      if (this.slotH1[i] === h1 && this.slotH2[i] === h2 && off >= this.liveFrom) (out ??= []).push(off);
    }
    return out ?? NONE;
  }

  mark(): number {
    return this.added;
  }

  /**
   * Forgets entries added after `mark` (their transaction rolled back). Their slots stay until the next rehash; a
   * stale slot only costs a lookup that the stored message then refutes.
   */
  truncate(mark: number): void {
    const k = Math.min(this.added - mark, this.count);
    this.count -= k;
    this.added = mark;
  }

  /** Offsets must be added in increasing order, timestamps non-decreasing (as the log appends them). */
  add(id: string, offset: number, timestamp: number): void {
    // append() looks an id up right before adding it: reuse that hash
    if (this.probed !== id) hashId(id, this.probe);
    this.probed = undefined;
    const h1 = this.probe[0]!;
    const h2 = this.probe[1]!;
    if ((this.used + 1) * 2 > this.slotOff.length) this.rehash(this.count + 1);
    if (this.count === this.ringOff.length) this.growRing();
    const at = (this.head + this.count) % this.ringOff.length;
    this.ringOff[at] = offset;
    this.ringTs[at] = timestamp;
    this.ringH1[at] = h1;
    this.ringH2[at] = h2;
    this.count++;
    this.added++;
    this.insertSlot(h1, h2, offset);
    while (this.count > this.maxEntries) {
      this.popFront();
      this.evictions++;
    }
  }

  /** Drops entries older than the cutoff (wall-clock ms). */
  expire(cutoffTs: number): void {
    while (this.count > 0 && this.ringTs[this.head]! < cutoffTs) this.popFront();
  }

  clear(): void {
    this.slotOff.fill(0);
    this.used = 0;
    this.head = 0;
    this.count = 0;
    this.liveFrom = 0;
  }

  private popFront(): void {
    this.liveFrom = this.ringOff[this.head]! + 1;
    this.head = (this.head + 1) % this.ringOff.length;
    this.count--;
  }

  private insertSlot(h1: number, h2: number, offset: number): void {
    const mask = this.slotOff.length - 1;
    let i = h1 & mask;
    while (this.slotOff[i] !== 0) i = (i + 1) & mask;
    this.slotH1[i] = h1;
    this.slotH2[i] = h2;
    this.slotOff[i] = offset + 1;
    this.used++;
  }

  /** Rebuilds the table from the live ring entries, dropping dead slots; sized for 4x the entries it will hold. */
  private rehash(entries: number): void {
    let cap = 64;
    while (cap < entries * 4) cap *= 2;
    this.slotH1 = new Uint32Array(cap);
    this.slotH2 = new Uint32Array(cap);
    this.slotOff = new Float64Array(cap);
    this.used = 0;
    for (let k = 0; k < this.count; k++) {
      const at = (this.head + k) % this.ringOff.length;
      this.insertSlot(this.ringH1[at]!, this.ringH2[at]!, this.ringOff[at]!);
    }
  }

  private growRing(): void {
    const n = this.ringOff.length * 2;
    const off = new Float64Array(n);
    const ts = new Float64Array(n);
    const h1 = new Uint32Array(n);
    const h2 = new Uint32Array(n);
    for (let k = 0; k < this.count; k++) {
      const at = (this.head + k) % this.ringOff.length;
      off[k] = this.ringOff[at]!;
      ts[k] = this.ringTs[at]!;
      h1[k] = this.ringH1[at]!;
      h2[k] = this.ringH2[at]!;
    }
    this.ringOff = off;
    this.ringTs = ts;
    this.ringH1 = h1;
    this.ringH2 = h2;
    this.head = 0;
  }
}

const NONE: readonly number[] = Object.freeze([]);

/**
 * Two independent 32-bit hashes of a string in one pass over its UTF-16 code units: FNV-1a and a murmur-style mix
 * with a different seed, so that a false match needs both to collide.
 */
function hashId(s: string, out: Uint32Array): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b = Math.imul(b ^ (b >>> 13), 0x5bd1e995);
  out[0] = a;
  out[1] = b ^ (b >>> 15);
}
