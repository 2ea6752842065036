import {MqError} from '../../errors.js';
import {partitionForKey} from '../../protocol/murmur2.js';
import {ValueType} from '../../storage/index.js';
import type {Broker} from '../broker.js';
import type {PartitionLog} from '../partition.js';
import type {ProduceMessage} from '../router.js';

export const RECEIPTS_TOPIC = '__receipts';

export type ReceiptState = 'in_progress' | 'processed' | 'dead_lettered';

/** A processing receipt: what a queue group's consumer did with a message a named producer sent (the seed's confirm). */
export interface Receipt {
  producer: string;
  /** The message's id (its transaction id). */
  id: string | null;
  topic: string;
  partition: number;
  offset: number;
  group: string;
  consumer: string | null;
  state: ReceiptState;
  time: number;
  deliveries: number;
  error?: string;
}

export interface ReceiptPage {
  receipts: Array<Receipt & {cursor: number}>;
  nextCursor: number;
}

/** A receipt's message id: the same for every attempt to write it, so a retry is absorbed by de-duplication. */
export function receiptId(r: Receipt): string {
  const base = `rcpt/${r.group}/${r.topic}/${r.partition}/${r.offset}/${r.state}/${r.deliveries}`;
  // a message has one terminal receipt; it may have several progress receipts in one delivery
  return r.state === 'in_progress' ? `${base}/${r.time}` : base;
}

/**
 * Receipts are records in the internal topic `__receipts`, keyed by producer id (so one producer's receipts are in
 * one partition, in order). They are written once the ack that causes them has committed, with an id derived from
 * the receipt, and retried until written (de-duplication absorbs a retry of one that was written after all). A
 * producer's cursor is an offset in its partition.
 */
export class Receipts {
  constructor(private readonly broker: Broker) {}

  private partitions(): number {
    return this.broker.topics.mustGet(RECEIPTS_TOPIC).record.partitions.length;
  }

  partitionFor(producer: string): PartitionLog {
    return this.broker.partitionLog(RECEIPTS_TOPIC, partitionForKey(producer, this.partitions()));
  }

  /** Writes receipts (one entry per receipts partition); resolves once they are committed. */
  async append(receipts: readonly Receipt[]): Promise<void> {
    if (receipts.length === 0) return;
    const n = this.partitions();
    // keyed by producer: one producer's receipts share a partition (the key routes them); in a cluster the
    // partition's leader may be another broker, and broker.produce forwards to it
    const msgs = receipts.map((r): ProduceMessage => ({id: receiptId(r), key: r.producer, producer: null, priority: 0, headers: null, valueType: ValueType.Json, value: Buffer.from(JSON.stringify(r)), notBefore: 0, partition: partitionForKey(r.producer, n)}));
    for (const item of await this.broker.produce(RECEIPTS_TOPIC, msgs)) if ('error' in item && item.error.code !== 'ID_CONFLICT') throw item.error;
  }

  /**
   * append, retried through leader changes (of `__receipts` or of the receiving broker's peers) for up to
   * `timeoutMs`: the ack is committed, so its receipt must follow.
   */
  async appendDurably(receipts: readonly Receipt[], timeoutMs: number): Promise<void> {
    const deadline = this.broker.clock.monotonic() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.append(receipts);
      } catch (error) {
        if (this.broker.isClosing || this.broker.clock.monotonic() > deadline) throw error;
        await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 1000)));
      }
    }
  }

  /** One producer's receipts from a cursor; long-polls up to waitMs when there are none yet. */
  async read(producer: string, cursor: number | undefined, max: number, waitMs: number, signal?: AbortSignal): Promise<ReceiptPage> {
    const log = this.partitionFor(producer);
    let at = Math.max(cursor ?? log.logStart, log.logStart);
    if (at > log.highWatermark) throw new MqError('OFFSET_OUT_OF_RANGE', `cursor ${at} is past the end of the receipts log (${log.highWatermark})`);
    const deadline = this.broker.clock.monotonic() + waitMs;
    for (;;) {
      const out: ReceiptPage['receipts'] = [];
      while (at < log.highWatermark && out.length < max) {
        const page = log.read(at, {maxMessages: 1000, maxBytes: 4 * 1024 * 1024});
        if (page.length === 0) break;
        for (const m of page) {
          at = m.offset + 1;
          if (m.key !== producer) continue;
          out.push({...(JSON.parse(m.value.toString('utf8')) as Receipt), cursor: m.offset});
          if (out.length >= max) break;
        }
      }
      const left = deadline - this.broker.clock.monotonic();
      if (out.length > 0 || left <= 0 || signal?.aborted || this.broker.isClosing) return {receipts: out, nextCursor: at};
      await log.waiters.wait(left, signal);
    }
  }
}
