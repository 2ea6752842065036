import type {EventQueue} from './event-queue.js';

/**
 * The last `capacity` notable events of a run (crashes, partitions, elections, membership), printed with a
 * failing seed. A ring buffer, so a long run costs a fixed amount of memory.
 */
export class Trace {
  private readonly lines: string[] = [];
  private next = 0;
  private total = 0;

  constructor(
    private readonly queue: EventQueue,
    private readonly capacity = 40,
    /** Also record every persisted write and message: for replaying one seed by hand. */
    readonly verbose = false,
  ) {}

  add(text: string): void {
    const line = `t=${String(this.queue.now).padStart(5)}ms ${text}`;
    if (this.lines.length < this.capacity) this.lines.push(line);
    else this.lines[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
    this.total++;
  }

  /** Oldest first. */
  tail(): string[] {
    if (this.lines.length < this.capacity) return this.lines.slice();
    return this.lines.slice(this.next).concat(this.lines.slice(0, this.next));
  }

  get count(): number {
    return this.total;
  }
}
