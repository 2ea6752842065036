/**
 * The simulator's only notion of time: a binary min-heap of callbacks ordered by (time, insertion order), so
 * that two events at the same millisecond always run in the same order for a given seed.
 */
interface Scheduled {
  readonly time: number;
  readonly seq: number;
  readonly run: () => void;
}

export class EventQueue {
  private heap: Scheduled[] = [];
  private seq = 0;
  now = 0;
  processed = 0;

  at(time: number, run: () => void): void {
    this.push({time: Math.max(time, this.now), seq: this.seq++, run});
  }

  after(delayMs: number, run: () => void): void {
    this.at(this.now + delayMs, run);
  }

  get size(): number {
    return this.heap.length;
  }

  /** Runs events until the queue is empty or the next one is later than `untilMs`. */
  runUntil(untilMs: number, stop: () => boolean = () => false): void {
    while (this.heap.length > 0 && this.heap[0]!.time <= untilMs && !stop()) {
      const e = this.pop();
      this.now = e.time;
      this.processed++;
      e.run();
    }
    if (!stop()) this.now = Math.max(this.now, untilMs);
  }

  private push(e: Scheduled): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Scheduled {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
