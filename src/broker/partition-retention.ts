import {messageFingerprint, type LogStore} from '../storage/index.js';
import type {PartitionLog} from './partition.js';
import {partitionSnapshot} from './partition-snapshot.js';
import type {RetentionConfig} from './topic-config.js';

/**
 * Deletes messages below `target` and compacts the Raft log through the last entry that held any of them, with a
 * small snapshot (which carries that entry's remaining messages, if the cut fell inside it): entries never outlive
 * their messages, and a follower that is that far behind gets a snapshot that starts it at the new log start. Ids of deleted messages still inside the
 * de-duplication window are spilled so a late retry is still recognised. Returns how many messages were deleted.
 */
export function cutLog(store: LogStore, log: PartitionLog, target: number, now: number): number {
  if (target <= log.logStart) return 0;
  const applied = store.partitionState(log.pid)?.applied ?? 0;
  const cut = store.compactionPoint(log.pid, target, applied);
  if (!cut) return 0;
  const keepFrom = Math.min(target, cut.endOffset);
  if (keepFrom <= log.logStart) return 0;
  const result = store.transaction(() => {
    if (log.dedupWindowMs > 0) spillIds(store, log, keepFrom, now - log.dedupWindowMs);
    const r = store.deleteBefore(log.pid, keepFrom);
    const g = log.group;
    g.storage.compact(cut.index, g.confState(), partitionSnapshot(store, log.pid, keepFrom, cut.endOffset, log.lastTimestamp));
    return r;
  });
  log.startMovedTo(result.logStart, result.bytes, result.count);
  return result.count;
}

function spillIds(store: LogStore, log: PartitionLog, before: number, cutoff: number): void {
  const from = store.offsetForTimestamp(log.pid, cutoff);
  if (from >= before) return;
  const records = store
    .readMessages(log.pid, from, {maxMessages: before - from, maxBytes: Number.MAX_SAFE_INTEGER, endOffset: before})
    .filter((m) => m.id !== null)
    .map((m) => ({id: m.id!, offset: m.offset, timestamp: m.timestamp, fingerprint: messageFingerprint(m)}));
  if (records.length > 0) store.putSpill(log.pid, records);
}

/**
 * The log start retention asks for: the largest that max_messages, max_bytes and max_age_ms allow, or for
 * until_acked topics, what every queue group has finished with. At most `chunk` messages per pass.
 */
export function retentionTarget(store: LogStore, log: PartitionLog, retention: RetentionConfig, now: number, chunk: number, ackedBelow?: number): number {
  let target = log.logStart;
  if (retention.untilAcked) {
    // limits are a capacity here (producers get TOPIC_FULL), never a reason to drop unprocessed work
    target = Math.max(target, ackedBelow ?? log.logStart);
  } else {
    if (retention.maxMessages !== null) target = Math.max(target, log.highWatermark - retention.maxMessages);
    if (retention.maxBytes !== null && log.bytes > retention.maxBytes) target = Math.max(target, store.offsetForBytes(log.pid, retention.maxBytes));
    if (retention.maxAgeMs !== null) target = Math.max(target, store.offsetForAge(log.pid, now - retention.maxAgeMs));
  }
  return Math.min(target, log.logStart + chunk, log.highWatermark);
}
