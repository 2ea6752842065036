import type {Message, NodeId} from '../../src/cluster/raft/index.js';
import type {Random} from '../../src/util/random.js';
import type {EventQueue} from './event-queue.js';

export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Occasional long delays: messages overtake each other, and old ones arrive after a leader changed. */
  spikeRate: number;
  spikeMaxDelayMs: number;
  /** Deliver each link's messages in send order, like one TCP connection (otherwise delays reorder them). */
  fifo: boolean;
}

export const RELIABLE: NetworkFaults = Object.freeze({
  dropRate: 0,
  duplicateRate: 0,
  minDelayMs: 1,
  maxDelayMs: 10,
  spikeRate: 0,
  spikeMaxDelayMs: 0,
  fifo: true,
});

/**
 * An unreliable network: drops, duplicates, delays (hence reorders) every message, and cuts directed links.
 * A cut is checked on delivery, so messages already in flight across a new partition are lost as well.
 */
export class Network {
  faults: NetworkFaults = RELIABLE;
  private readonly cut = new Set<number>();
  /** Per link, when its last message is due: FIFO delivery never schedules a message before it. */
  private readonly lastDue = new Map<number, number>();
  stats = {sent: 0, dropped: 0, duplicated: 0, delivered: 0};

  constructor(
    private readonly queue: EventQueue,
    private readonly rng: Random,
    private readonly deliver: (m: Message) => void,
  ) {}

  send(m: Message): void {
    this.stats.sent++;
    const f = this.faults;
    if (this.rng.next() < f.dropRate) {
      this.stats.dropped++;
      return;
    }
    this.schedule(m);
    if (this.rng.next() < f.duplicateRate) {
      this.stats.duplicated++;
      this.schedule(m);
    }
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(linkKey(from, to));
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(linkKey(from, to));
  }

  /** No traffic between the two sides, in either direction. */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.cutLink(x, y);
        this.cutLink(y, x);
      }
    }
  }

  heal(): void {
    this.cut.clear();
  }

  cutCount(): number {
    return this.cut.size;
  }

  private schedule(m: Message): void {
    const f = this.faults;
    let delay = this.rng.int(f.minDelayMs, f.maxDelayMs);
    if (f.spikeRate > 0 && this.rng.next() < f.spikeRate) delay += this.rng.int(0, f.spikeMaxDelayMs);
    let due = this.queue.now + delay;
    if (f.fifo) {
      const link = linkKey(m.from, m.to);
      due = Math.max(due, this.lastDue.get(link) ?? 0);
      this.lastDue.set(link, due);
    }
    this.queue.at(due, () => {
      if (this.isCut(m.from, m.to)) {
        this.stats.dropped++;
        return;
      }
      this.stats.delivered++;
      this.deliver(m);
    });
  }
}

function linkKey(from: NodeId, to: NodeId): number {
  return from * 65536 + to;
}
