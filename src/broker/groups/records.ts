/**
 * Consumer-group state is a log: these records, appended to the internal topic `__groups` (the partition chosen by
 * the group name), and replayed in order to rebuild every group. A record is a small JSON object; `state` records
 * are snapshots that let older records be deleted (see group-store.ts).
 */

export type GroupMode = 'stream' | 'queue';
export type StartFrom = 'earliest' | 'latest';

export interface QueueSettings {
  leaseMs: number;
  /** Deliveries before a message is dead-lettered (the seed's 3 retries: 4). */
  maxDeliveries: number;
  /** Where dead letters go; null: `<topic>.dlq` for each topic. */
  deadLetterTopic: string | null;
}

export interface GroupDefinition {
  name: string;
  mode: GroupMode;
  /** Queue groups only. */
  queue?: QueueSettings;
  topics: string[];
  /** Where a member starts on a partition the group has never committed. */
  from: StartFrom;
  sessionTimeoutMs: number;
  createdAt: number;
}

/** [topic, partition, offset]: the next offset to read. */
export type OffsetTriple = [string, number, number];

export type GroupRecord =
  | {t: 'define'; def: GroupDefinition}
  | {t: 'commit'; group: string; generation: number; member: string; offsets: OffsetTriple[]}
  | {t: 'reset'; group: string; offsets: OffsetTriple[]}
  | {t: 'delete'; group: string}
  | {t: 'state'; def: GroupDefinition; offsets: OffsetTriple[]}
  /** Starts a snapshot batch: everything before this record is covered by the `state` records after it. */
  | {t: 'snapshot'; group: ''};

export interface GroupState {
  def: GroupDefinition;
  /** "topic/partition" → committed offset (the next to read). */
  offsets: Map<string, number>;
}

export const tpKey = (topic: string, partition: number): string => `${topic}/${partition}`;

export function recordGroup(r: GroupRecord): string {
  return r.t === 'define' || r.t === 'state' ? r.def.name : r.group;
}

export function isSnapshotStart(r: GroupRecord): boolean {
  return r.t === 'snapshot';
}

/**
 * Applies one record. Commits never move an offset backwards (a late commit from a slow member cannot undo progress);
 * only `reset` can. Pure apart from mutating `groups`.
 */
export function applyRecord(groups: Map<string, GroupState>, r: GroupRecord): void {
  switch (r.t) {
    case 'define': {
      const existing = groups.get(r.def.name);
      groups.set(r.def.name, {def: r.def, offsets: existing?.offsets ?? new Map()});
      return;
    }
    case 'state':
      groups.set(r.def.name, {def: r.def, offsets: new Map(r.offsets.map(([t, p, o]) => [tpKey(t, p), o]))});
      return;
    case 'commit': {
      const g = groups.get(r.group);
      if (!g) return;
      for (const [t, p, o] of r.offsets) {
        const k = tpKey(t, p);
        if (o > (g.offsets.get(k) ?? -1)) g.offsets.set(k, o);
      }
      return;
    }
    case 'reset': {
      const g = groups.get(r.group);
      if (!g) return;
      for (const [t, p, o] of r.offsets) g.offsets.set(tpKey(t, p), o);
      return;
    }
    case 'delete':
      groups.delete(r.group);
      return;
    case 'snapshot':
      return;
  }
}

export function encodeRecord(r: GroupRecord): Buffer {
  return Buffer.from(JSON.stringify(r));
}

export function decodeRecord(value: Buffer): GroupRecord {
  return JSON.parse(value.toString('utf8')) as GroupRecord;
}

export function snapshotRecord(g: GroupState): GroupRecord {
  return {t: 'state', def: g.def, offsets: [...g.offsets].map(([k, o]) => splitKey(k, o))};
}

function splitKey(k: string, o: number): OffsetTriple {
  const i = k.lastIndexOf('/');
  return [k.slice(0, i), Number(k.slice(i + 1)), o];
}
