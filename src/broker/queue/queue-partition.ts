import {QueueStatus, type QueueCandidate, type QueueRow} from '../../storage/index.js';
import {Heap} from './heap.js';

/** What a queue partition reads from its partition's log. */
export interface QueueSource {
  bounds(): {logStart: number; highWatermark: number};
  candidates(from: number, end: number, limit: number): QueueCandidate[];
  priority(priority: number, from: number, end: number, limit: number): QueueCandidate[];
  floor(): number | undefined;
  rows(): QueueRow[];
}

interface Ready {
  offset: number;
  priority: number;
}

interface Lease {
  offset: number;
  leaseId: string;
  /** Monotonic ms. */
  deadline: number;
}

const LOAD_CHUNK = 1000;
const READY_TARGET = 2000;

const byPriorityThenOffset = (a: Ready, b: Ready): boolean => (a.priority !== b.priority ? a.priority > b.priority : a.offset < b.offset);

/**
 * One work-queue group's view of one partition, in memory: everything below `floor` is done (acked or dead-lettered);
 * `rows` hold the messages above it that are leased, waiting for redelivery, or done out of order; every other
 * message is fresh. `ready` orders what can be delivered now by priority (9 first) then offset. Fresh messages are
 * loaded from the log in offset order a chunk at a time, and higher priorities beyond the loaded region are pulled
 * forward through the priority index, so the order holds without keeping a whole backlog in memory.
 *
 * Persistence is the caller's: it writes the rows and the floor in the same transaction, and reloads this object from
 * disk if that transaction rolls back.
 */
export class QueuePartition {
  floor = 0;
  readonly rows = new Map<number, QueueRow>();
  /** Priorities of messages with rows (rows do not store them). */
  readonly priorities = new Map<number, number>();
  readonly leaseDeadlines = new Map<number, number>();
  private readonly ready = new Heap<Ready>(byPriorityThenOffset);
  private readonly delayed = new Heap<Ready & {at: number}>((a, b) => a.at < b.at);
  private readonly leases = new Heap<Lease>((a, b) => a.deadline < b.deadline);
  private loadedUpTo = 0;
  private readonly pulled = new Set<number>();
  deadLettered = 0;

  /**
   * @param known lease deadlines this leader set, by offset, kept by the caller across reloads of this view: a view
   * rebuilt after a failed write keeps its leases' ends (an expired lease stays expired); only a new leader or a
   * restart re-arms leases with a full lease.
   */
  constructor(
    private readonly source: QueueSource,
    private readonly known = new Map<number, {leaseId: string; deadline: number}>(),
  ) {}

  /** Rebuilds from disk. Outstanding leases get a full lease from now (unless known): after a restart they only ever get longer. */
  reload(now: number, mono: number, leaseMs: number): void {
    const {logStart} = this.source.bounds();
    this.floor = Math.max(this.source.floor() ?? logStart, logStart);
    for (const c of [this.rows, this.priorities, this.leaseDeadlines, this.pulled]) c.clear();
    this.ready.clear();
    this.delayed.clear();
    this.leases.clear();
    for (const r of this.source.rows()) {
      if (r.offset < this.floor) continue;
      const c = this.source.candidates(r.offset, r.offset + 1, 1)[0];
      if (!c) continue;
      this.rows.set(r.offset, r);
      this.priorities.set(r.offset, c.priority);
      if (r.status === QueueStatus.Leased) {
        const k = this.known.get(r.offset);
        const deadline = k && k.leaseId === r.leaseId ? k.deadline : mono + leaseMs;
        this.leaseDeadlines.set(r.offset, deadline);
        this.leases.push({offset: r.offset, leaseId: r.leaseId ?? '', deadline});
      } else if (r.status === QueueStatus.Waiting) {
        this.schedule({offset: r.offset, priority: c.priority}, r.until, now);
      }
    }
    this.loadedUpTo = this.floor;
    for (const off of this.known.keys()) if (off < this.floor) this.known.delete(off);
  }

  /** A lease's end is no longer needed once the entry that finished its message has committed. */
  forgetLease(offset: number, leaseId: string | null): void {
    if (this.known.get(offset)?.leaseId === leaseId) this.known.delete(offset);
  }

  private schedule(r: Ready, at: number, now: number): void {
    if (at <= now) this.ready.push(r);
    else this.delayed.push({...r, at});
  }

  private isFresh(offset: number): boolean {
    return !this.rows.has(offset);
  }

  /** Moves delayed messages whose time has come to ready; returns leases that ran out (the caller decides their fate). */
  due(now: number, mono: number): Array<{offset: number; row: QueueRow}> {
    while ((this.delayed.peek()?.at ?? Number.POSITIVE_INFINITY) <= now) this.ready.push(this.delayed.pop()!);
    const expired: Array<{offset: number; row: QueueRow}> = [];
    while ((this.leases.peek()?.deadline ?? Number.POSITIVE_INFINITY) <= mono) {
      const l = this.leases.pop()!;
      const row = this.rows.get(l.offset);
      if (row?.status === QueueStatus.Leased && row.leaseId === l.leaseId && this.leaseDeadlines.get(l.offset) === l.deadline) {
        expired.push({offset: l.offset, row});
      }
    }
    return expired;
  }

  /** The soonest time something becomes deliverable: [wall ms of the next delayed message, monotonic ms of the next lease end]. */
  nextDue(): [number, number] {
    return [this.delayed.peek()?.at ?? Number.POSITIVE_INFINITY, this.leases.peek()?.deadline ?? Number.POSITIVE_INFINITY];
  }

  private load(now: number): void {
    const {highWatermark} = this.source.bounds();
    while (this.ready.size < READY_TARGET && this.loadedUpTo < highWatermark) {
      const chunk = this.source.candidates(this.loadedUpTo, highWatermark, LOAD_CHUNK);
      if (chunk.length === 0) break;
      for (const c of chunk) {
        if (this.pulled.delete(c.offset) || !this.isFresh(c.offset) || c.offset < this.floor) continue;
        this.schedule({offset: c.offset, priority: c.priority}, c.notBefore, now);
      }
      this.loadedUpTo = chunk[chunk.length - 1]!.offset + 1;
    }
  }

  /** Messages of priority > 0 beyond the loaded region come first: fetch them through the priority index. */
  private pullPriorities(now: number, want: number): void {
    const {highWatermark} = this.source.bounds();
    if (this.loadedUpTo >= highWatermark) return;
    for (let p = 9; p >= 1; p--) {
      for (const c of this.source.priority(p, this.loadedUpTo, highWatermark, want + this.pulled.size)) {
        if (this.pulled.has(c.offset) || !this.isFresh(c.offset)) continue;
        this.pulled.add(c.offset);
        this.schedule({offset: c.offset, priority: c.priority}, c.notBefore, now);
      }
    }
  }

  /** Loads what up to n takes need: fresh messages in offset order, and higher priorities from beyond them. */
  prepare(now: number, n: number): void {
    this.load(now);
    const {highWatermark} = this.source.bounds();
    // the priority index is only asked again when there is something new or the pulled entries ran low
    if (highWatermark !== this.pulledAtHw || this.pulled.size < n) {
      this.pullPriorities(now, n);
      this.pulledAtHw = highWatermark;
    }
  }

  private pulledAtHw = -1;

  /** Takes up to n deliverable messages, best first (after prepare). The caller leases them (markLeased) at once. */
  take(now: number, n: number): Ready[] {
    const {logStart} = this.source.bounds();
    const out: Ready[] = [];
    while (out.length < n && this.ready.size > 0) {
      const r = this.ready.pop()!;
      if (r.offset < this.floor || r.offset < logStart) continue;
      const row = this.rows.get(r.offset);
      if (row && row.status !== QueueStatus.Waiting) continue;
      if (row && row.until > now) {
        this.delayed.push({...r, at: row.until});
        continue;
      }
      out.push(r);
    }
    return out;
  }

  /** Holds a message taken for a lease being made, so that no other take gets it, until markLeased records the lease. */
  hold(offset: number, priority: number): void {
    this.rows.set(offset, {offset, status: QueueStatus.Leased, deliveries: 0, leaseId: null, until: 0, error: null});
    this.priorities.set(offset, priority);
  }

  markLeased(offset: number, priority: number, row: QueueRow, deadline: number): void {
    this.rows.set(offset, row);
    this.priorities.set(offset, priority);
    this.leaseDeadlines.set(offset, deadline);
    this.leases.push({offset, leaseId: row.leaseId ?? '', deadline});
    if (row.leaseId) this.known.set(offset, {leaseId: row.leaseId, deadline});
  }

  extendLease(offset: number, row: QueueRow, deadline: number): void {
    this.rows.set(offset, row);
    this.leaseDeadlines.set(offset, deadline);
    this.leases.push({offset, leaseId: row.leaseId ?? '', deadline});
    if (row.leaseId) this.known.set(offset, {leaseId: row.leaseId, deadline});
  }

  /** Back in line: now, or at row.until (a nack with a delay). */
  markWaiting(offset: number, row: QueueRow, now: number): void {
    this.rows.set(offset, row);
    this.leaseDeadlines.delete(offset);
    this.schedule({offset, priority: this.priorities.get(offset) ?? 0}, row.until, now);
  }

  /** Acked or dead-lettered. Returns the new floor (it moves over every contiguous finished offset). */
  markDone(offset: number, row: QueueRow): number {
    this.rows.set(offset, row);
    this.leaseDeadlines.delete(offset);
    if (row.status === QueueStatus.Dead) this.deadLettered++;
    return this.advanceFloor();
  }

  advanceFloor(): number {
    const {logStart} = this.source.bounds();
    if (this.floor < logStart) this.floor = logStart;
    for (;;) {
      const r = this.rows.get(this.floor);
      if (!r || (r.status !== QueueStatus.Acked && r.status !== QueueStatus.Dead)) break;
      this.floor++;
    }
    for (const off of this.rows.keys()) {
      if (off < this.floor) {
        this.rows.delete(off);
        this.priorities.delete(off);
      }
    }
    return this.floor;
  }

  counts(): {inFlight: number; waiting: number; doneAhead: number} {
    let inFlight = 0;
    let waiting = 0;
    let doneAhead = 0;
    for (const r of this.rows.values()) {
      if (r.status === QueueStatus.Leased) inFlight++;
      else if (r.status === QueueStatus.Waiting) waiting++;
      else doneAhead++;
    }
    return {inFlight, waiting, doneAhead};
  }
}
