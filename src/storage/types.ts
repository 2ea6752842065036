/**
 * The storage contract. A LogStore holds, for one broker, every partition's log of typed entries and its messages,
 * the de-duplication spill, Raft hard state and a small metadata map. Two implementations (SQLite, memory) pass one
 * conformance suite (test/storage/conformance.ts).
 */

/** Typed log entries. Message batches are the common case; the others carry their payload in `data`. */
export const EntryKind = {
  Messages: 1,
  Noop: 2,
  Config: 3,
  /** Work-queue state changes: leases, acks, nacks, progress, dead letters. */
  Queue: 4,
  /** Cluster metadata commands (the metadata group's log). */
  Metadata: 6,
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

/** How a value's bytes are to be read: raw JSON text, or opaque bytes (sent as value_base64). */
export const ValueType = {Json: 0, Binary: 1} as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/** A message as the broker hands it to the store: validated, with its value as the exact bytes received. */
export interface NewMessage {
  id: string | null;
  key: string | null;
  producer: string | null;
  priority: number;
  /** Headers as compact JSON object text, or null when there are none. */
  headers: string | null;
  valueType: ValueType;
  value: Buffer;
  /** Wall-clock ms before which work queues do not deliver it (0: at once). */
  notBefore: number;
}

export interface StoredMessage extends NewMessage {
  offset: number;
  timestamp: number;
  crc: number;
}

export interface LogEntry {
  index: number;
  term: number;
  kind: EntryKind;
  /** For message batches: the offset of the first message and how many there are (the messages live in the partition table). */
  firstOffset: number;
  count: number;
  data: Buffer | null;
  crc: number;
}

export interface PartitionState {
  pid: number;
  /** The offset the next appended message gets. Offsets are dense: [logStart, nextOffset) are all present. */
  nextOffset: number;
  logStart: number;
  /** Sum of value bytes in [logStart, nextOffset). */
  bytes: number;
  /** The first entry still stored and the last one appended (firstIndex > lastIndex when the log holds no entries). */
  firstIndex: number;
  lastIndex: number;
  lastTerm: number;
  /** Timestamp of the newest message; timestamps never decrease within a partition. */
  lastTimestamp: number;
  /** The last Raft index applied to the state machine, and the high watermark it produced (committed offsets end). */
  applied: number;
  highWatermark: number;
}

export interface HardState {
  term: number;
  vote: number;
  commit: number;
}

export interface AppendMessagesInput {
  index: number;
  term: number;
  timestamp: number;
  messages: readonly NewMessage[];
  /** When given (a replica persisting the leader's batch), it must equal the partition's next offset. */
  firstOffset?: number;
  /** Messages restored from a snapshot: written without an entry of their own (the snapshot stands for it). */
  restoring?: boolean;
}

/** A Raft snapshot as stored: the configuration and the state machine's (small) state at `index`. */
export interface RaftSnapshotRecord {
  index: number;
  term: number;
  /** JSON of {voters, learners}. */
  conf: string;
  data: Buffer;
}

export interface ReadLimits {
  maxMessages: number;
  maxBytes: number;
  /** Exclusive upper bound (the high watermark): nothing at or above it is returned. */
  endOffset: number;
}

export interface DedupRecord {
  id: string;
  offset: number;
  timestamp: number;
  fingerprint: number;
}

export interface DeleteResult {
  count: number;
  bytes: number;
  logStart: number;
}

/** A work-queue group's state of one message that is not simply "waiting for its first delivery". */
export const QueueStatus = {Leased: 1, Waiting: 2, Acked: 3, Dead: 4} as const;
export type QueueStatus = (typeof QueueStatus)[keyof typeof QueueStatus];

export interface QueueRow {
  offset: number;
  status: QueueStatus;
  deliveries: number;
  leaseId: string | null;
  /** Wall-clock ms: when a lease runs out (Leased), or when the message may be delivered again (Waiting). */
  until: number;
  error: string | null;
}

/** Message metadata a work queue scans without reading values. */
export interface QueueCandidate {
  offset: number;
  priority: number;
  notBefore: number;
}

export interface LogStore {
  readonly kind: 'sqlite' | 'memory';
  /**
   * Runs fn atomically. The outermost call is one durable commit (one fsync in SQLite); nested calls are
   * savepoints, so one failing operation in a group commit rolls back alone.
   */
  transaction<T>(fn: () => T): T;

  createPartition(pid: number): void;
  /** Removes the partition's entries, messages, spill and hard state. */
  dropPartition(pid: number): void;
  partitionState(pid: number): PartitionState | undefined;
  listPartitions(): PartitionState[];

  /** Appends one message-batch entry; offsets are assigned densely from nextOffset. Returns the first offset. */
  appendMessages(pid: number, input: AppendMessagesInput): number;
  /** Appends one non-message entry (noop, config, ...). */
  appendEntry(pid: number, index: number, term: number, kind: EntryKind, data: Buffer | null): void;
  /** Removes entries with index >= fromIndex and the messages they carried (a Raft log repair). */
  truncateFrom(pid: number, fromIndex: number): void;
  /** Drops entries below `beforeIndex` (log compaction); messages stay. */
  compactEntries(pid: number, beforeIndex: number): void;
  /**
   * The last message-batch entry at or below `maxIndex` that holds a message below `offset`: where a partition's Raft
   * log is cut when retention deletes up to `offset` (messages of that entry at or above `offset` go into the snapshot).
   */
  compactionPoint(pid: number, offset: number, maxIndex: number): {index: number; firstOffset: number; endOffset: number} | undefined;
  readEntries(pid: number, fromIndex: number, maxEntries: number): LogEntry[];

  /** Messages in [fromOffset, limits.endOffset), CRC-checked; always at least one if any is available, even past maxBytes. */
  readMessages(pid: number, fromOffset: number, limits: ReadLimits): StoredMessage[];
  readMessage(pid: number, offset: number): StoredMessage | undefined;
  /** The first offset whose timestamp is >= ts (nextOffset if none): a binary search, since timestamps never decrease. */
  offsetForTimestamp(pid: number, ts: number): number;
  /** Ids (with offsets and timestamps) of messages at or after fromOffset, for rebuilding the de-duplication index. */
  scanIds(pid: number, fromOffset: number, visit: (id: string, offset: number, timestamp: number) => void): void;
  /** Deletes messages below `offset` (retention). Returns what was removed. */
  deleteBefore(pid: number, offset: number): DeleteResult;
  /** The smallest offset o >= logStart such that messages [o, nextOffset) fit in maxBytes of values. */
  offsetForBytes(pid: number, maxBytes: number): number;
  /** The first offset whose timestamp is >= cutoff, scanning from logStart (retention by age). */
  offsetForAge(pid: number, cutoff: number): number;

  /** De-duplication records of messages removed by retention while still inside their window. */
  putSpill(pid: number, records: readonly DedupRecord[]): void;
  getSpill(pid: number, id: string): DedupRecord | undefined;
  listSpill(pid: number, sinceTs: number): DedupRecord[];
  expireSpill(beforeTs: number): number;

  /** Work queues: below the floor every message is done for the group; rows describe the rest that is not fresh. */
  queueFloor(pid: number, group: string): number | undefined;
  setQueueFloor(pid: number, group: string, floor: number): void;
  putQueueRows(pid: number, group: string, rows: readonly QueueRow[]): void;
  deleteQueueRowsBelow(pid: number, group: string, floor: number): void;
  listQueueRows(pid: number, group: string): QueueRow[];
  dropQueueGroup(pid: number, group: string): void;
  listQueueGroups(pid: number): string[];
  /** Offsets, priorities and not-before times of messages in [from, end), in offset order. */
  scanQueueCandidates(pid: number, from: number, end: number, limit: number): QueueCandidate[];
  /** The same for one priority above 0 only (served by the partial priority index). */
  scanPriority(pid: number, priority: number, from: number, end: number, limit: number): QueueCandidate[];

  getHardState(gid: number): HardState | undefined;
  setHardState(gid: number, state: HardState): void;
  /** Records how far the state machine has applied (written in the same transaction as what the entries did). */
  setApplied(pid: number, index: number, highWatermark: number): void;
  getRaftSnapshot(gid: number): RaftSnapshotRecord | undefined;
  /**
   * Records a snapshot. With `reset` (a snapshot received from the leader) the partition's entries and messages
   * are dropped and it restarts empty at `nextOffset`: what the snapshot covers was deleted by retention.
   */
  setRaftSnapshot(gid: number, snap: RaftSnapshotRecord, reset?: {nextOffset: number; lastTimestamp: number}): void;

  getMeta(key: string): string | undefined;
  putMeta(key: string, value: string): void;
  deleteMeta(key: string): void;
  listMeta(prefix: string): Array<[string, string]>;

  /**
   * Returns free space to the file system: at most `pagesMax` pages, keeping `keepPages` free for reuse. Returns how
   * many pages the file shrank by (0 where there is nothing to give back, as in memory).
   */
  reclaim(pagesMax: number, keepPages: number): number;

  /** Counters for /status: durable commits (each one WAL fsync when synchronous=FULL). */
  stats(): StoreStats;
  close(): void;
}

export interface StoreStats {
  commits: number;
  journalMode: string;
  synchronous: string;
  walBytes: number;
  dbBytes: number;
  /** What retention (deleteBefore) removed since the store was opened. */
  retention: RetentionStats;
  /** How the database file uses its pages (SQLite only). */
  space?: {pageBytes: number; pages: number; freePages: number; autoVacuum: 'none' | 'full' | 'incremental'; reclaimedPages: number};
}

export interface RetentionStats {
  /** Calls that removed something, and what they removed. */
  passes: number;
  messages: number;
  bytes: number;
  /** Time spent in those deletes (inside their transactions; the commit's fsync is not included), total and longest. */
  ms: number;
  maxMs: number;
  /** Wall-clock ms of the last removal; 0 if none yet. */
  lastAt: number;
}
