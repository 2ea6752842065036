import type {QueueRow} from '../../storage/index.js';
import type {PartitionLog} from '../partition.js';
import {deadLetterCopy, dlqMessageId} from './dead-letter.js';
import {deadLetterItem, receiptItem, type OutboxItem} from './outbox.js';
import type {LeaseInfo} from './queue-types.js';
import type {Receipt, ReceiptState} from './receipts.js';

/** What a queue decision owes outside its partition (receipts, dead-letter copies), built when it is decided. */

export function receiptOf(group: string, log: PartitionLog, offset: number, info: LeaseInfo, state: ReceiptState, now: number, deliveries: number, error?: string): Receipt {
  return {producer: info.producer!, id: info.id, topic: log.topic, partition: log.number, offset, group, consumer: info.consumer, state, time: now, deliveries, ...(error ? {error} : {})};
}

/** A lease's receipt details; a lease granted by an earlier leader has them only in its message (consumer unknown). */
export function leaseInfoOf(leaseInfo: Map<string, LeaseInfo>, log: PartitionLog, offset: number, id: string): LeaseInfo {
  let info = leaseInfo.get(id);
  if (!info) {
    const m = log.read(offset, {maxMessages: 1, maxBytes: 1})[0];
    const here = m?.offset === offset ? m : undefined;
    info = {consumer: null, id: here?.id ?? null, producer: here?.producer ?? null, progressed: false};
    leaseInfo.set(id, info);
  }
  return info;
}

/** The outbox items of a dead letter decided now: the message's copy (if retention left it) and its receipt. */
export function deadLetterItems(group: string, log: PartitionLog, offset: number, row: QueueRow, now: number, target: string): OutboxItem[] {
  const m = log.read(offset, {maxMessages: 1, maxBytes: 1})[0];
  if (!m || m.offset !== offset) return [];
  const out = [deadLetterItem(log.pid, now, deadLetterCopy(group, log, row, m, target), dlqMessageId(group, log.topic, log.number, offset))];
  if (m.producer) {
    const info: LeaseInfo = {consumer: null, id: m.id, producer: m.producer, progressed: true};
    out.push(receiptItem(log.pid, receiptOf(group, log, offset, info, 'dead_lettered', now, row.deliveries, row.error ?? undefined)));
  }
  return out;
}
