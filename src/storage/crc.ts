import {crc32} from 'node:zlib';
import type {EntryKind, NewMessage} from './types.js';

/** Reused scratch space for the fixed-width fields folded into a CRC (hot path: no allocation per message). */
const scratch = Buffer.allocUnsafe(24);

function chainString(s: string | null, crc: number, tag: number): number {
  // A tag byte per field keeps ("ab", null) and (null, "ab") apart.
  scratch[0] = s === null ? 0 : tag;
  crc = crc32(scratch.subarray(0, 1), crc);
  return s === null ? crc : crc32(s, crc);
}

/** CRC-32 of everything stored about a message except its offset: checked on every read and at start-up. */
export function messageCrc(m: NewMessage, timestamp: number): number {
  scratch.writeDoubleLE(timestamp, 0);
  scratch[8] = m.priority;
  scratch[9] = m.valueType;
  let crc = crc32(scratch.subarray(0, 10));
  crc = chainString(m.id, crc, 1);
  crc = chainString(m.key, crc, 2);
  crc = chainString(m.producer, crc, 3);
  crc = chainString(m.headers, crc, 4);
  return crc32(m.value, crc);
}

/**
 * The payload fingerprint for de-duplication: a retry with the same id must carry the same key, value, headers and
 * priority, or it is an ID_CONFLICT. It is 32 bits; the rare different payload that collides is answered as a
 * duplicate rather than a conflict, never written twice.
 */
export function messageFingerprint(m: Pick<NewMessage, 'key' | 'headers' | 'priority' | 'valueType' | 'value'>): number {
  scratch[0] = m.priority;
  scratch[1] = m.valueType;
  scratch.writeUInt32LE(m.value.length, 2);
  let crc = crc32(scratch.subarray(0, 6));
  crc = chainString(m.key, crc, 2);
  crc = chainString(m.headers, crc, 4);
  return crc32(m.value, crc);
}

export function entryCrc(kind: EntryKind, term: number, firstOffset: number, count: number, data: Buffer | null): number {
  scratch[0] = kind;
  scratch.writeDoubleLE(term, 1);
  scratch.writeDoubleLE(firstOffset, 9);
  scratch.writeUInt32LE(count, 17);
  const crc = crc32(scratch.subarray(0, 21));
  return data === null ? crc : crc32(data, crc);
}
