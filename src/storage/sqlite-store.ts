import fs from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import {entryCrc, messageCrc} from './crc.js';
import {CorruptionError} from './corruption.js';
import {diskFullError, isDiskFull} from './disk-full.js';
import {MqError} from '../errors.js';
import {createPartitionSql, dropPartitionSql, partitionSql, STATEMENTS} from './sql.js';
import {
  EntryKind,
  type AppendMessagesInput,
  type DedupRecord,
  type DeleteResult,
  type HardState,
  type LogEntry,
  type LogStore,
  type PartitionState,
  type QueueCandidate,
  type QueueRow,
  type QueueStatus,
  type RaftSnapshotRecord,
  type ReadLimits,
  type RetentionStats,
  type StoreStats,
  type StoredMessage,
  type ValueType,
} from './types.js';

type Db = BetterSqlite3.Database;
type Stmt = BetterSqlite3.Statement;
type PartitionRow = [number, number, number, number, number, number, number, number, number, number];
type MessageRow = [number, number, string | null, string | null, string | null, number, string | null, number, Buffer, number, number];
type QueueDbRow = [number, number, number, string | null, number, string | null];

interface PartitionStatements {
  insert: Stmt;
  readRange: Stmt;
  readOne: Stmt;
  tsAt: Stmt;
  ids: Stmt;
  deleteBefore: Stmt;
  deleteFrom: Stmt;
  bytesBefore: Stmt;
  bytesFrom: Stmt;
  sizesFrom: Stmt;
  firstAtOrAfterTs: Stmt;
  candidates: Stmt;
  priorityCandidates: Stmt;
}

function toCandidate(r: [number, number, number]): QueueCandidate {
  return {offset: r[0], priority: r[1], notBefore: r[2]};
}

function toState(r: PartitionRow): PartitionState {
  return {pid: r[0], nextOffset: r[1], logStart: r[2], bytes: r[3], firstIndex: r[4], lastIndex: r[5], lastTerm: r[6], lastTimestamp: r[7], applied: r[8], highWatermark: r[9]};
}

function toEntry(r: [number, number, number, number, number, Buffer | null, number]): LogEntry {
  return {index: r[0], term: r[1], kind: r[2] as EntryKind, firstOffset: r[3], count: r[4], data: r[5], crc: r[6]};
}

export function rowToMessage(pid: number, r: MessageRow): StoredMessage {
  const m: StoredMessage = {
    offset: r[0],
    timestamp: r[1],
    id: r[2],
    key: r[3],
    producer: r[4],
    priority: r[5],
    headers: r[6],
    valueType: r[7] as ValueType,
    value: r[8],
    crc: r[9],
    notBefore: r[10],
  };
  if (messageCrc(m, m.timestamp) !== m.crc) throw new CorruptionError(pid, m.offset);
  return m;
}

/** The SQLite LogStore: one database per broker, WAL, one table per partition, named statements from sql.ts. */
export class SqliteStore implements LogStore {
  readonly kind = 'sqlite' as const;
  private readonly s: Record<keyof typeof STATEMENTS, Stmt>;
  private readonly perPartition = new Map<number, PartitionStatements>();
  private readonly runInTransaction: (fn: () => unknown) => unknown;
  private commits = 0;
  /** Nesting of transaction() calls: SQLite's own flag cannot tell a nested call whose outer transaction vanished. */
  private depth = 0;
  /** Why the enclosing transaction was rolled back under a nested call (see transaction()). */
  private lost: Error | undefined;
  private readonly removed: RetentionStats = {passes: 0, messages: 0, bytes: 0, ms: 0, maxMs: 0, lastAt: 0};
  private readonly pendingRemovals: Array<[DeleteResult, number]> = [];
  private reclaimedPages = 0;

  constructor(
    private readonly db: Db,
    private readonly file: string,
  ) {
    this.s = Object.fromEntries(Object.entries(STATEMENTS).map(([k, sql]) => [k, db.prepare(sql)])) as Record<keyof typeof STATEMENTS, Stmt>;
    for (const k of ['partitionGet', 'partitionList', 'entryRead', 'entryAt', 'hardStateGet', 'spillGet', 'spillList', 'metaList', 'queueRowsList'] as const) {
      this.s[k].raw(true);
    }
    this.runInTransaction = db.transaction((fn: () => unknown) => fn());
  }

  /**
   * A statement that fails for lack of space (or an I/O error) may take the whole transaction with it: SQLite rolls
   * back everything when it cannot undo just the statement. A caller that catches a nested failure and carries on
   * (the group committer does, to fail one operation alone) would then run its next statements outside any
   * transaction, each committed on its own. So once the enclosing transaction is gone, every nested call fails with
   * the original error until the outermost one unwinds, and nothing of the batch is written.
   */
  transaction<T>(fn: () => T): T {
    const outermost = this.depth === 0;
    if (!outermost && !this.db.inTransaction) throw this.lost ?? new MqError('INTERNAL', 'the enclosing transaction was rolled back', undefined, false);
    this.depth++;
    try {
      const result = this.runInTransaction(fn) as T;
      if (outermost) {
        this.commits++;
        this.settleRemovals(true);
      }
      return result;
    } catch (error) {
      if (outermost) this.settleRemovals(false);
      const e = isDiskFull(error) ? diskFullError(error) : error;
      if (!outermost && !this.db.inTransaction) this.lost ??= e as Error;
      throw outermost && this.lost ? this.lost : e;
    } finally {
      this.depth--;
      if (this.depth === 0) this.lost = undefined;
    }
  }

  private stmts(pid: number): PartitionStatements {
    let p = this.perPartition.get(pid);
    if (p === undefined) {
      const sql = partitionSql(pid);
      p = Object.fromEntries(Object.entries(sql).map(([k, q]) => [k, this.db.prepare(q)])) as unknown as PartitionStatements;
      for (const k of ['readRange', 'readOne', 'sizesFrom', 'candidates', 'priorityCandidates'] as const) p[k].raw(true);
      this.perPartition.set(pid, p);
    }
    return p;
  }

  createPartition(pid: number): void {
    this.transaction(() => {
      if (this.partitionState(pid)) return;
      this.db.exec(createPartitionSql(pid));
      this.s.partitionInsert.run(pid);
    });
  }

  dropPartition(pid: number): void {
    this.perPartition.delete(pid);
    this.transaction(() => {
      this.db.exec(dropPartitionSql(pid));
      this.s.partitionDelete.run(pid);
      this.s.entryDeleteAll.run(pid);
      this.s.spillDeletePartition.run(pid);
      this.s.hardStateDelete.run(pid);
      this.s.snapshotDelete.run(pid);
      this.s.queueDropPartitionRows.run(pid);
      this.s.queueDropPartitionFloors.run(pid);
    });
  }

  partitionState(pid: number): PartitionState | undefined {
    const r = this.s.partitionGet.get(pid) as PartitionRow | undefined;
    return r && toState(r);
  }

  listPartitions(): PartitionState[] {
    return (this.s.partitionList.all() as PartitionRow[]).map(toState);
  }

  private mustState(pid: number): PartitionState {
    const st = this.partitionState(pid);
    if (!st) throw new Error(`partition ${pid} does not exist`);
    return st;
  }

  private saveState(st: PartitionState): void {
    this.s.partitionUpdate.run(st.nextOffset, st.logStart, st.bytes, st.firstIndex, st.lastIndex, st.lastTerm, st.lastTimestamp, st.pid);
  }

  appendMessages(pid: number, input: AppendMessagesInput): number {
    return this.transaction(() => {
      const st = this.mustState(pid);
      const p = this.stmts(pid);
      const first = st.nextOffset;
      if (input.firstOffset !== undefined && input.firstOffset !== first) {
        throw new Error(`partition ${pid}: batch at offset ${input.firstOffset} does not follow ${first}`);
      }
      const ts = input.timestamp;
      let off = first;
      let bytes = 0;
      for (const m of input.messages) {
        const crc = messageCrc(m, ts);
        p.insert.run(off++, ts, m.id, m.key, m.producer, m.priority, m.headers, m.valueType, m.value, crc, m.notBefore);
        bytes += m.value.length;
      }
      const count = input.messages.length;
      if (input.restoring) {
        this.saveState({...st, nextOffset: off, bytes: st.bytes + bytes, lastTimestamp: ts});
        return first;
      }
      this.s.entryInsert.run(pid, input.index, input.term, EntryKind.Messages, first, count, null, entryCrc(EntryKind.Messages, input.term, first, count, null));
      this.saveState({...st, nextOffset: off, bytes: st.bytes + bytes, lastIndex: input.index, lastTerm: input.term, lastTimestamp: ts});
      return first;
    });
  }

  appendEntry(pid: number, index: number, term: number, kind: EntryKind, data: Buffer | null): void {
    this.transaction(() => {
      const st = this.mustState(pid);
      this.s.entryInsert.run(pid, index, term, kind, st.nextOffset, 0, data, entryCrc(kind, term, st.nextOffset, 0, data));
      this.saveState({...st, lastIndex: index, lastTerm: term});
    });
  }

  truncateFrom(pid: number, fromIndex: number): void {
    this.transaction(() => {
      const st = this.mustState(pid);
      if (fromIndex > st.lastIndex) return;
      const first = this.s.entryAt.get(pid, Math.max(fromIndex, st.firstIndex)) as Parameters<typeof toEntry>[0] | undefined;
      const cutOffset = first ? first[3] : st.nextOffset;
      const p = this.stmts(pid);
      const removed = (p.bytesFrom.get(cutOffset) as {b: number}).b;
      p.deleteFrom.run(cutOffset);
      this.s.entryDeleteFrom.run(pid, fromIndex);
      const prev = this.s.entryAt.get(pid, fromIndex - 1) as Parameters<typeof toEntry>[0] | undefined;
      const lastTs = cutOffset > st.logStart ? ((p.tsAt.get(cutOffset - 1) as {ts: number} | undefined)?.ts ?? 0) : st.lastTimestamp;
      this.saveState({
        ...st,
        nextOffset: cutOffset,
        bytes: st.bytes - removed,
        lastIndex: fromIndex - 1,
        lastTerm: prev ? prev[1] : 0,
        lastTimestamp: lastTs,
      });
    });
  }

  compactEntries(pid: number, beforeIndex: number): void {
    this.transaction(() => {
      const st = this.mustState(pid);
      const upTo = Math.min(beforeIndex, st.lastIndex + 1);
      if (upTo <= st.firstIndex) return;
      this.s.entryDeleteBefore.run(pid, upTo);
      this.saveState({...st, firstIndex: upTo});
    });
  }

  compactionPoint(pid: number, offset: number, maxIndex: number): {index: number; firstOffset: number; endOffset: number} | undefined {
    const r = this.s.entryCompactionPoint.get(pid, maxIndex, offset) as {idx: number; first_off: number; end_off: number} | undefined;
    return r && {index: r.idx, firstOffset: r.first_off, endOffset: r.end_off};
  }

  readEntries(pid: number, fromIndex: number, maxEntries: number): LogEntry[] {
    const rows = this.s.entryRead.all(pid, fromIndex, maxEntries) as Array<Parameters<typeof toEntry>[0]>;
    return rows.map((r) => {
      const e = toEntry(r);
      if (entryCrc(e.kind, e.term, e.firstOffset, e.count, e.data) !== e.crc) throw new CorruptionError(pid, e.firstOffset, e.index);
      return e;
    });
  }

  readMessages(pid: number, fromOffset: number, limits: ReadLimits): StoredMessage[] {
    const out: StoredMessage[] = [];
    if (limits.maxMessages <= 0 || fromOffset >= limits.endOffset) return out;
    let bytes = 0;
    for (const r of this.stmts(pid).readRange.iterate(fromOffset, limits.endOffset, limits.maxMessages) as Iterable<MessageRow>) {
      const size = r[8].length;
      if (out.length > 0 && bytes + size > limits.maxBytes) break;
      out.push(rowToMessage(pid, r));
      bytes += size;
    }
    return out;
  }

  readMessage(pid: number, offset: number): StoredMessage | undefined {
    const r = this.stmts(pid).readOne.get(offset) as MessageRow | undefined;
    return r && rowToMessage(pid, r);
  }

  offsetForTimestamp(pid: number, ts: number): number {
    const st = this.mustState(pid);
    const p = this.stmts(pid);
    let lo = st.logStart;
    let hi = st.nextOffset;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const row = p.tsAt.get(mid) as {ts: number} | undefined;
      if (row === undefined || row.ts < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  scanIds(pid: number, fromOffset: number, visit: (id: string, offset: number, timestamp: number) => void): void {
    for (const r of this.stmts(pid).ids.iterate(fromOffset) as Iterable<{id: string; off: number; ts: number}>) visit(r.id, r.off, r.ts);
  }

  deleteBefore(pid: number, offset: number): DeleteResult {
    const started = performance.now();
    const result = this.transaction(() => {
      const st = this.mustState(pid);
      const upTo = Math.min(Math.max(offset, st.logStart), st.nextOffset);
      if (upTo === st.logStart) return {count: 0, bytes: 0, logStart: st.logStart};
      const p = this.stmts(pid);
      const {n, b} = p.bytesBefore.get(upTo) as {n: number; b: number};
      p.deleteBefore.run(upTo);
      this.saveState({...st, logStart: upTo, bytes: st.bytes - b});
      return {count: n, bytes: b, logStart: upTo};
    });
    // counted once the enclosing transaction commits: a removal that is rolled back removed nothing
    if (result.count > 0) this.pendingRemovals.push([result, performance.now() - started]);
    if (this.depth === 0) this.settleRemovals(true);
    return result;
  }

  offsetForBytes(pid: number, maxBytes: number): number {
    const st = this.mustState(pid);
    let excess = st.bytes - maxBytes;
    let off = st.logStart;
    const p = this.stmts(pid);
    while (excess > 0 && off < st.nextOffset) {
      const rows = p.sizesFrom.all(off, 1000) as Array<[number, number]>;
      if (rows.length === 0) break;
      for (const [o, b] of rows) {
        if (excess <= 0) break;
        excess -= b;
        off = o + 1;
      }
    }
    return off;
  }

  offsetForAge(pid: number, cutoff: number): number {
    const st = this.mustState(pid);
    const row = this.stmts(pid).firstAtOrAfterTs.get(st.logStart, cutoff) as {off: number} | undefined;
    return row ? row.off : st.nextOffset;
  }

  putSpill(pid: number, records: readonly DedupRecord[]): void {
    this.transaction(() => {
      for (const r of records) this.s.spillPut.run(pid, r.id, r.offset, r.timestamp, r.fingerprint);
    });
  }

  getSpill(pid: number, id: string): DedupRecord | undefined {
    const r = this.s.spillGet.get(pid, id) as [string, number, number, number] | undefined;
    return r && {id: r[0], offset: r[1], timestamp: r[2], fingerprint: r[3]};
  }

  listSpill(pid: number, sinceTs: number): DedupRecord[] {
    return (this.s.spillList.all(pid, sinceTs) as Array<[string, number, number, number]>).map((r) => ({
      id: r[0],
      offset: r[1],
      timestamp: r[2],
      fingerprint: r[3],
    }));
  }

  expireSpill(beforeTs: number): number {
    return this.s.spillExpire.run(beforeTs).changes;
  }

  queueFloor(pid: number, group: string): number | undefined {
    return (this.s.queueFloorGet.get(pid, group) as {floor: number} | undefined)?.floor;
  }

  setQueueFloor(pid: number, group: string, floor: number): void {
    this.s.queueFloorPut.run(pid, group, floor);
  }

  putQueueRows(pid: number, group: string, rows: readonly QueueRow[]): void {
    this.transaction(() => {
      for (const r of rows) this.s.queueRowPut.run(pid, group, r.offset, r.status, r.deliveries, r.leaseId, r.until, r.error);
    });
  }

  deleteQueueRowsBelow(pid: number, group: string, floor: number): void {
    this.s.queueRowsBelow.run(pid, group, floor);
  }

  listQueueRows(pid: number, group: string): QueueRow[] {
    return (this.s.queueRowsList.all(pid, group) as QueueDbRow[]).map((r) => ({
      offset: r[0],
      status: r[1] as QueueStatus,
      deliveries: r[2],
      leaseId: r[3],
      until: r[4],
      error: r[5],
    }));
  }

  dropQueueGroup(pid: number, group: string): void {
    this.transaction(() => {
      this.s.queueDropRows.run(pid, group);
      this.s.queueDropFloor.run(pid, group);
    });
  }

  listQueueGroups(pid: number): string[] {
    return (this.s.queueGroups.all(pid, pid) as Array<{grp: string}>).map((r) => r.grp);
  }

  scanQueueCandidates(pid: number, from: number, end: number, limit: number): QueueCandidate[] {
    return (this.stmts(pid).candidates.all(from, end, limit) as Array<[number, number, number]>).map(toCandidate);
  }

  scanPriority(pid: number, priority: number, from: number, end: number, limit: number): QueueCandidate[] {
    return (this.stmts(pid).priorityCandidates.all(priority, from, end, limit) as Array<[number, number, number]>).map(toCandidate);
  }

  getHardState(gid: number): HardState | undefined {
    const r = this.s.hardStateGet.get(gid) as [number, number, number] | undefined;
    return r && {term: r[0], vote: r[1], commit: r[2]};
  }

  setHardState(gid: number, state: HardState): void {
    this.s.hardStatePut.run(gid, state.term, state.vote, state.commit);
  }

  setApplied(pid: number, index: number, highWatermark: number): void {
    this.s.partitionApplied.run(index, highWatermark, pid);
  }

  getRaftSnapshot(gid: number): RaftSnapshotRecord | undefined {
    const r = this.s.snapshotGet.get(gid) as {idx: number; term: number; conf: string; data: Buffer} | undefined;
    return r && {index: r.idx, term: r.term, conf: r.conf, data: r.data};
  }

  setRaftSnapshot(gid: number, snap: RaftSnapshotRecord, reset?: {nextOffset: number; lastTimestamp: number}): void {
    this.transaction(() => {
      this.s.snapshotPut.run(gid, snap.index, snap.term, snap.conf, snap.data);
      const st = this.partitionState(gid);
      if (!st) return;
      if (reset) {
        this.stmts(gid).deleteFrom.run(0);
        this.s.entryDeleteAll.run(gid);
        this.saveState({...st, nextOffset: reset.nextOffset, logStart: reset.nextOffset, bytes: 0, firstIndex: snap.index + 1, lastIndex: snap.index, lastTerm: snap.term, lastTimestamp: reset.lastTimestamp});
        this.setApplied(gid, snap.index, reset.nextOffset);
      } else if (st.lastIndex < snap.index) {
        this.saveState({...st, firstIndex: snap.index + 1, lastIndex: snap.index, lastTerm: snap.term});
      }
    });
  }

  getMeta(key: string): string | undefined {
    return (this.s.metaGet.get(key) as {value: string} | undefined)?.value;
  }

  putMeta(key: string, value: string): void {
    this.s.metaPut.run(key, value);
  }

  deleteMeta(key: string): void {
    this.s.metaDelete.run(key);
  }

  listMeta(prefix: string): Array<[string, string]> {
    return this.s.metaList.all(prefix, `${prefix}\uffff`) as Array<[string, string]>;
  }

  stats(): StoreStats {
    const size = (f: string): number => {
      try {
        return fs.statSync(f).size;
      } catch {
        return 0;
      }
    };
    const sync = ['OFF', 'NORMAL', 'FULL', 'EXTRA'][this.db.pragma('synchronous', {simple: true}) as number] ?? 'UNKNOWN';
    return {
      commits: this.commits,
      journalMode: String(this.db.pragma('journal_mode', {simple: true})).toUpperCase(),
      synchronous: sync,
      walBytes: size(`${this.file}-wal`),
      dbBytes: size(this.file),
      retention: {...this.removed},
      space: this.space(),
    };
  }

  private settleRemovals(committed: boolean): void {
    if (committed) for (const [d, ms] of this.pendingRemovals) countRemoval(this.removed, d, ms);
    this.pendingRemovals.length = 0;
  }

  private space(): NonNullable<StoreStats['space']> {
    const pragma = (name: string): number => Number(this.db.pragma(name, {simple: true}));
    return {
      pageBytes: pragma('page_size'),
      pages: pragma('page_count'),
      freePages: pragma('freelist_count'),
      autoVacuum: (['none', 'full', 'incremental'] as const)[pragma('auto_vacuum')] ?? 'none',
      reclaimedPages: this.reclaimedPages,
    };
  }

  /**
   * Gives free pages back to the file system (incremental vacuum: pages from the end of the file move into free slots
   * and the file is cut at the next checkpoint). Steady retention needs none of this, since new messages reuse the
   * pages old ones freed; it matters after the log shrank for good (lower retention, a deleted topic). Pages up to
   * `keepPages` stay free for that reuse; at most `pagesMax` move per call, so a call costs a bounded transaction.
   */
  reclaim(pagesMax: number, keepPages: number): number {
    if (this.space().autoVacuum !== 'incremental') return 0;
    const excess = (this.db.pragma('freelist_count', {simple: true}) as number) - keepPages;
    if (excess <= 0) return 0;
    const before = this.db.pragma('page_count', {simple: true}) as number;
    this.transaction(() => this.db.pragma(`incremental_vacuum(${Math.min(excess, pagesMax)})`));
    const freed = Math.max(0, before - (this.db.pragma('page_count', {simple: true}) as number));
    this.reclaimedPages += freed;
    // the file is cut only by a checkpoint, and SQLite's automatic one waits for 1,000 more pages of WAL, which a quiet
    // broker may not write for a long time; a passive one copies at most this step's pages and never waits for anyone
    if (freed > 0) this.db.pragma('wal_checkpoint(PASSIVE)');
    return freed;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function countRemoval(r: RetentionStats, d: DeleteResult, ms: number): void {
  r.passes++;
  r.messages += d.count;
  r.bytes += d.bytes;
  r.ms += ms;
  r.maxMs = Math.max(r.maxMs, ms);
  r.lastAt = Date.now();
}
