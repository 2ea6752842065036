import type {MessageBatch} from '../../cluster/codec.js';
import {partitionForKey} from '../../protocol/murmur2.js';
import {ValueType, type NewMessage} from '../../storage/index.js';
import {applyRecord, decodeRecord, encodeRecord, isSnapshotStart, recordGroup, snapshotRecord, type GroupRecord, type GroupState} from './records.js';

export const GROUPS_TOPIC = '__groups';

/** What the group store needs from the broker: append to and read from its internal topic. */
export interface InternalLog {
  append(topic: string, partition: number, messages: NewMessage[]): Promise<number[]>;
  read(topic: string, partition: number, from: number, max: number): Array<{offset: number; value: Buffer}>;
  bounds(topic: string, partition: number): {logStart: number; highWatermark: number};
  truncateBefore(topic: string, partition: number, offset: number): void;
  /** Rejects UNAVAILABLE unless this broker leads the partition and has applied everything of earlier terms. */
  settled(topic: string, partition: number): Promise<void>;
  /** Resolves once this broker has proved it still leads the partition, with everything acknowledged applied. */
  barrier(topic: string, partition: number): Promise<void>;
}

/**
 * Durable consumer-group state: every change is a record in `__groups` (so replication carries it), applied to the
 * in-memory map on every replica as it commits. On start-up the map is rebuilt by replaying each partition. When a
 * partition has accumulated `compactAfter` records since its last snapshot, its leader appends a snapshot batch (a
 * `snapshot` record, then one `state` record per group) and every replica deletes what precedes it when it applies
 * the batch, so the log stays small however many commits happen.
 */
export class GroupStore {
  readonly groups = new Map<string, GroupState>();
  private readonly sinceSnapshot: number[];
  private readonly inflight: number[];

  constructor(
    private readonly log: InternalLog,
    private readonly partitions: number,
    private readonly compactAfter: number,
  ) {
    this.sinceSnapshot = new Array<number>(partitions).fill(0);
    this.inflight = new Array<number>(partitions).fill(0);
  }

  partitionFor(group: string): number {
    return partitionForKey(group, this.partitions);
  }

  /** The group's coordinator must lead its partition, caught up: its committed offsets are then current. */
  settledCoordinator(group: string): Promise<void> {
    return this.log.settled(GROUPS_TOPIC, this.partitionFor(group));
  }

  /** A read of the group's committed state that a deposed coordinator cannot answer (describe). */
  barrier(group: string): Promise<void> {
    return this.log.barrier(GROUPS_TOPIC, this.partitionFor(group));
  }

  load(): void {
    this.groups.clear();
    for (let p = 0; p < this.partitions; p++) {
      let bounds: {logStart: number; highWatermark: number};
      try {
        bounds = this.log.bounds(GROUPS_TOPIC, p);
      } catch (error) {
        // no replica here (yet): its records arrive through the commit hook once one is placed here
        if ((error as {code?: string}).code === 'PARTITION_NOT_FOUND') continue;
        throw error;
      }
      const {logStart, highWatermark} = bounds;
      let at = logStart;
      while (at < highWatermark) {
        const page = this.log.read(GROUPS_TOPIC, p, at, 1000);
        if (page.length === 0) break;
        for (const m of page) applyRecord(this.groups, decodeRecord(m.value));
        at = page[page.length - 1]!.offset + 1;
      }
      this.sinceSnapshot[p] = highWatermark - logStart;
    }
  }

  /** A committed batch of partition p, on every replica (the partition's commit hook). */
  applyCommitted(p: number, batch: MessageBatch): void {
    const records = batch.messages.map((m) => decodeRecord(m.value));
    for (const r of records) applyRecord(this.groups, r);
    this.sinceSnapshot[p]! += records.length;
    if (records[0] && isSnapshotStart(records[0])) {
      this.sinceSnapshot[p] = records.length;
      this.log.truncateBefore(GROUPS_TOPIC, p, batch.firstOffset);
    }
  }

  /** Appends records of one group; resolves once they are committed (and applied, by the hook above). */
  async append(records: GroupRecord[]): Promise<void> {
    const group = recordGroup(records[0]!);
    const p = this.partitionFor(group);
    this.inflight[p]!++;
    try {
      await this.log.append(GROUPS_TOPIC, p, records.map((r) => message(group, r)));
    } finally {
      this.inflight[p]!--;
    }
    if (this.sinceSnapshot[p]! >= this.compactAfter && this.inflight[p] === 0) await this.compact(p);
  }

  /**
   * Appends a snapshot batch of partition p's groups. Only when nothing else is in flight on p: a record committed
   * before the snapshot but applied after it would otherwise be deleted without being in it.
   */
  async compact(p: number): Promise<void> {
    const states = [...this.groups.values()].filter((g) => this.partitionFor(g.def.name) === p);
    this.sinceSnapshot[p] = 0;
    const records: GroupRecord[] = [{t: 'snapshot', group: ''}, ...states.map((g) => snapshotRecord(g))];
    this.inflight[p]!++;
    try {
      await this.log.append(GROUPS_TOPIC, p, records.map((r) => message(recordGroup(r), r)));
    } finally {
      this.inflight[p]!--;
    }
  }
}

function message(group: string, r: GroupRecord): NewMessage {
  return {id: null, key: group || null, producer: null, priority: 0, headers: null, valueType: ValueType.Json, value: encodeRecord(r), notBefore: 0};
}
