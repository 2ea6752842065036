import type {MqError} from '../../errors.js';
import type {QueueRow, StoredMessage} from '../../storage/index.js';
import type {PartitionLog} from '../partition.js';
import type {OutboxItem} from './outbox.js';
import type {QueuePartition} from './queue-partition.js';
import type {Receipt, ReceiptState} from './receipts.js';

export interface Delivery extends StoredMessage {
  topic: string;
  partition: number;
  leaseId: string;
  deliveryCount: number;
  /** Wall-clock ms at which the lease runs out unless extended. */
  leaseExpiresAt: number;
}

export type ConfirmOutcome = {leaseId: string; status: 'acked' | 'extended' | 'requeued' | 'already_done'} | {leaseId: string; error: MqError};

/** What a lease knows beyond its row: for receipts, and whether an in-progress receipt went out already. */
export interface LeaseInfo {
  consumer: string | null;
  id: string | null;
  producer: string | null;
  progressed: boolean;
}

/**
 * A queue entry in a partition's Raft log: the rows that changed, the floor after the change, and what the change owes
 * outside the partition (`out`: receipts, dead-letter copies). Each row is a decision the leader made on its view;
 * every replica checks it against the committed state when the entry applies and leaves it out if it no longer holds
 * (queue-apply.ts), with whatever `out` items belong to it. `n` names the proposal so that its proposer learns which
 * rows were left out. `op: 'relayed'` marks outbox items (`done`, their keys) as relayed.
 */
export interface QueueOp {
  g: string;
  op: string;
  floor: number;
  rows: QueueRow[];
  out?: OutboxItem[];
  done?: string[];
  n?: string;
}

export interface ConfirmContext {
  now(): number;
  mono(): number;
  locate(group: string, id: string): {log: PartitionLog; v: QueuePartition; offset: number} | MqError;
  requireLeader(log: PartitionLog): void;
  leaseInfo: Map<string, LeaseInfo>;
  /** What a lease's receipt needs; read from the message when this leader did not grant the lease itself. */
  infoOf(log: PartitionLog, offset: number, leaseId: string): LeaseInfo;
  receipt(group: string, log: PartitionLog, offset: number, info: LeaseInfo, state: ReceiptState, now: number, deliveries: number, error?: string): Receipt;
  /** The outbox items of a dead letter decided now: the message's copy and its dead_lettered receipt. */
  deadLetter(group: string, log: PartitionLog, offset: number, row: QueueRow, now: number): OutboxItem[];
}
