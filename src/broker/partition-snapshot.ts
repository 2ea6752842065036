import {decodeBatch, encodeBatch, type MessageBatch} from '../cluster/codec.js';
import {type DedupRecord, type LogStore, type QueueRow} from '../storage/index.js';
import {outboxStore} from './queue/outbox.js';

/**
 * A partition's Raft snapshot is small: the log is only compacted below messages retention already deleted, so it
 * holds no messages but the few that follow the cut inside the last compacted entry (`tail`), plus where the log
 * starts and what else the state machine keeps: work-queue state and de-duplication records still in their window.
 * Layout: [u32 header length][header JSON][tail batch, encoded like a Raft entry, or nothing].
 */
export interface PartitionSnapshot {
  v: 1;
  /** The first offset kept: the tail (if any) starts here. */
  logStart: number;
  /** The offset after the compacted entry: the next entry's first message. */
  nextOffset: number;
  lastTimestamp: number;
  queues: Record<string, {floor: number | null; rows: QueueRow[]}>;
  spill: DedupRecord[];
  /** Work-queue effects not relayed yet (receipts, dead-letter copies): queue/outbox.ts. Absent in older snapshots. */
  outbox?: Array<[string, string]>;
  tail?: MessageBatch;
}

export function partitionSnapshot(store: LogStore, pid: number, logStart: number, nextOffset: number, lastTimestamp: number): Uint8Array {
  const queues: PartitionSnapshot['queues'] = {};
  for (const g of store.listQueueGroups(pid)) queues[g] = {floor: store.queueFloor(pid, g) ?? null, rows: store.listQueueRows(pid, g)};
  const header = Buffer.from(JSON.stringify({v: 1, logStart, nextOffset, lastTimestamp, queues, spill: store.listSpill(pid, 0), outbox: outboxStore.entries(store, pid)}));
  let tail: Uint8Array = new Uint8Array(0);
  if (nextOffset > logStart) {
    const messages = store.readMessages(pid, logStart, {maxMessages: nextOffset - logStart, maxBytes: Number.MAX_SAFE_INTEGER, endOffset: nextOffset});
    tail = encodeBatch({firstOffset: logStart, timestamp: messages[0]?.timestamp ?? lastTimestamp, messages});
  }
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  return Buffer.concat([len, header, tail]);
}

export function readPartitionSnapshot(data: Uint8Array): PartitionSnapshot {
  if (data.length === 0) return {v: 1, logStart: 0, nextOffset: 0, lastTimestamp: 0, queues: {}, spill: []};
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const n = buf.readUInt32LE(0);
  const s = JSON.parse(buf.toString('utf8', 4, 4 + n)) as PartitionSnapshot;
  if (buf.length > 4 + n) s.tail = decodeBatch(buf.subarray(4 + n));
  return s;
}

/** Writes the snapshot's tail messages, queue state and de-duplication records (inside the installing transaction). */
export function restoreSnapshot(store: LogStore, pid: number, index: number, term: number, s: PartitionSnapshot): void {
  if (s.tail && s.tail.messages.length > 0) {
    store.appendMessages(pid, {index, term, timestamp: s.tail.timestamp, messages: s.tail.messages, firstOffset: s.tail.firstOffset, restoring: true});
  }
  for (const g of store.listQueueGroups(pid)) store.dropQueueGroup(pid, g);
  for (const [g, q] of Object.entries(s.queues)) {
    if (q.floor !== null) store.setQueueFloor(pid, g, q.floor);
    store.putQueueRows(pid, g, q.rows);
  }
  if (s.spill.length > 0) store.putSpill(pid, s.spill);
  outboxStore.replace(store, pid, s.outbox ?? []);
}
