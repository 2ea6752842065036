import type {MqError} from '../../errors.js';
import type {QueueRow, StoredMessage} from '../../storage/index.js';
import type {PartitionLog} from '../partition.js';
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

/** A queue entry in a partition's Raft log: the rows that changed and the floor after the change. */
export interface QueueOp {
  g: string;
  op: string;
  floor: number;
  rows: QueueRow[];
}

export interface ConfirmContext {
  now(): number;
  mono(): number;
  locate(group: string, id: string): {log: PartitionLog; v: QueuePartition; offset: number} | MqError;
  requireLeader(log: PartitionLog): void;
  leaseInfo: Map<string, LeaseInfo>;
  receipt(group: string, log: PartitionLog, offset: number, info: LeaseInfo, state: ReceiptState, now: number, deliveries: number, error?: string): Receipt;
}
