import type {StoredMessage} from '../../storage/index.js';
import type {PartitionLog} from '../partition.js';

/**
 * The stored messages at these offsets: one read per run of consecutive offsets (a lease usually takes a run), not
 * one per message. Offsets deleted by retention meanwhile are absent.
 */
export function readOffsets(log: PartitionLog, offsets: readonly number[]): Map<number, StoredMessage> {
  const out = new Map<number, StoredMessage>();
  const sorted = [...offsets].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[j - 1]! + 1) j++;
    const from = sorted[i]!;
    const to = sorted[j - 1]!;
    for (const m of log.read(from, {maxMessages: to - from + 1, maxBytes: Number.MAX_SAFE_INTEGER})) {
      if (m.offset <= to) out.set(m.offset, m);
    }
    i = j;
  }
  return out;
}
