import type {LogStore, ValueType} from '../../storage/index.js';
import type {Receipt} from './receipts.js';
import {receiptId} from './receipts.js';

/** A dead letter's copy, taken when the decision to dead-letter was made (retention may delete the original later). */
export interface DeadLetterCopy {
  group: string;
  topic: string;
  partition: number;
  offset: number;
  /** The dead-letter topic named when it was decided. */
  target: string;
  deliveries: number;
  error: string;
  id: string | null;
  key: string | null;
  producer: string | null;
  priority: number;
  headers: string | null;
  valueType: ValueType;
  /** base64 */
  value: string;
}

/**
 * Something a committed queue entry owes the world outside its partition: a receipt to write to `__receipts`, or a
 * dead letter's copy to write to the dead-letter topic. It is recorded by the entry itself, on every replica, in the
 * transaction that applies it (so it exists exactly when the ack or the dead letter does), and relayed by the
 * partition's leader; `key` orders the outbox and names the item in the entry that marks it relayed.
 */
export type OutboxItem = {key: string; o: number; receipt: Receipt} | {key: string; o: number; dlq: DeadLetterCopy};

const PREFIX = 'qob/';
const pad = (n: number, width: number): string => String(Math.max(0, Math.trunc(n))).padStart(width, '0');

/** The outbox of one partition: its keys in the store's meta table start with this. */
export const outboxPrefix = (pid: number): string => `${PREFIX}${pid}/`;

/** Keys sort by decision time, then by the item's own id (a message's in_progress receipt sorts before processed). */
export function receiptItem(pid: number, r: Receipt): OutboxItem {
  return {key: `${outboxPrefix(pid)}${pad(r.time, 15)}/r/${receiptId(r)}`, o: r.offset, receipt: r};
}

export function deadLetterItem(pid: number, time: number, c: DeadLetterCopy, id: string): OutboxItem {
  return {key: `${outboxPrefix(pid)}${pad(time, 15)}/d/${id}`, o: c.offset, dlq: c};
}

/** The outbox as stored (inside an apply's transaction for writes). */
export const outboxStore = {
  put(store: LogStore, items: readonly OutboxItem[]): void {
    for (const it of items) store.putMeta(it.key, JSON.stringify(it));
  },
  remove(store: LogStore, keys: readonly string[]): void {
    for (const k of keys) store.deleteMeta(k);
  },
  list(store: LogStore, pid: number, max: number): OutboxItem[] {
    const out: OutboxItem[] = [];
    for (const [, v] of store.listMeta(outboxPrefix(pid))) {
      out.push(JSON.parse(v) as OutboxItem);
      if (out.length >= max) break;
    }
    return out;
  },
  /** Partitions (storage ids) with something in their outbox. */
  pids(store: LogStore): number[] {
    const pids = new Set<number>();
    for (const [k] of store.listMeta(PREFIX)) pids.add(Number(k.slice(PREFIX.length, k.indexOf('/', PREFIX.length))));
    return [...pids];
  },
  /** Dead letters of a group decided here and not yet written to their dead-letter topic. */
  pendingDeadLetters(store: LogStore, pid: number, group: string): number {
    let n = 0;
    for (const [k, v] of store.listMeta(outboxPrefix(pid))) {
      if (k.includes('/d/') && (JSON.parse(v) as OutboxItem & {dlq?: DeadLetterCopy}).dlq?.group === group) n++;
    }
    return n;
  },
  /** For a partition snapshot: the whole outbox. */
  entries(store: LogStore, pid: number): Array<[string, string]> {
    return store.listMeta(outboxPrefix(pid));
  },
  /** Installing a snapshot: its outbox replaces this replica's. */
  replace(store: LogStore, pid: number, entries: ReadonlyArray<[string, string]>): void {
    for (const [k] of store.listMeta(outboxPrefix(pid))) store.deleteMeta(k);
    for (const [k, v] of entries) store.putMeta(k, v);
  },
};
