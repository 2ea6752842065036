import {ValueType, type NewMessage} from '../storage/index.js';

/**
 * What a Raft entry of a partition (or of the metadata group) carries: a tag byte, then the payload. Message batches
 * use a compact binary layout (they are most of the traffic); the rest are small JSON documents.
 */
export const Payload = {
  Messages: 1,
  Queue: 4,
  Metadata: 6,
} as const;
export type Payload = (typeof Payload)[keyof typeof Payload];

export interface MessageBatch {
  firstOffset: number;
  timestamp: number;
  messages: NewMessage[];
}

const F_ID = 1;
const F_KEY = 2;
const F_PRODUCER = 4;
const F_HEADERS = 8;
const F_BINARY = 16;

/** Encodes a batch: [1][u32 count][f64 first offset][f64 timestamp] then per message flags, priority, not-before, fields, value. */
export function encodeBatch(b: MessageBatch): Uint8Array {
  let size = 1 + 4 + 8 + 8;
  const strs: Array<Buffer | null> = [];
  for (const m of b.messages) {
    size += 1 + 1 + 8 + 4 + m.value.length;
    for (const s of [m.id, m.key, m.producer, m.headers]) {
      const buf = s === null ? null : Buffer.from(s, 'utf8');
      strs.push(buf);
      if (buf) size += 4 + buf.length;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  out[o++] = Payload.Messages;
  o = out.writeUInt32LE(b.messages.length, o);
  o = out.writeDoubleLE(b.firstOffset, o);
  o = out.writeDoubleLE(b.timestamp, o);
  let si = 0;
  for (const m of b.messages) {
    const fields = strs.slice(si, si + 4);
    si += 4;
    out[o++] = (fields[0] ? F_ID : 0) | (fields[1] ? F_KEY : 0) | (fields[2] ? F_PRODUCER : 0) | (fields[3] ? F_HEADERS : 0) | (m.valueType === ValueType.Binary ? F_BINARY : 0);
    out[o++] = m.priority;
    o = out.writeDoubleLE(m.notBefore, o);
    for (const f of fields) {
      if (!f) continue;
      o = out.writeUInt32LE(f.length, o);
      o += f.copy(out, o);
    }
    o = out.writeUInt32LE(m.value.length, o);
    o += m.value.copy(out, o);
  }
  return out;
}

export function decodeBatch(data: Uint8Array): MessageBatch {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf[0] !== Payload.Messages) throw new Error(`not a message batch (tag ${buf[0]})`);
  let o = 1;
  const count = buf.readUInt32LE(o);
  o += 4;
  const firstOffset = buf.readDoubleLE(o);
  o += 8;
  const timestamp = buf.readDoubleLE(o);
  o += 8;
  const str = (): string => {
    const n = buf.readUInt32LE(o);
    o += 4;
    const s = buf.toString('utf8', o, o + n);
    o += n;
    return s;
  };
  const messages: NewMessage[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const flags = buf[o++]!;
    const priority = buf[o++]!;
    const notBefore = buf.readDoubleLE(o);
    o += 8;
    const id = flags & F_ID ? str() : null;
    const key = flags & F_KEY ? str() : null;
    const producer = flags & F_PRODUCER ? str() : null;
    const headers = flags & F_HEADERS ? str() : null;
    const n = buf.readUInt32LE(o);
    o += 4;
    // a copy, so that a stored message does not pin the whole received frame
    const value = Buffer.from(buf.subarray(o, o + n));
    o += n;
    messages[i] = {id, key, producer, priority, headers, valueType: flags & F_BINARY ? ValueType.Binary : ValueType.Json, value, notBefore};
  }
  return {firstOffset, timestamp, messages};
}

export function payloadKind(data: Uint8Array): number {
  return data.length === 0 ? 0 : data[0]!;
}

export function encodeJson(kind: Payload, doc: unknown): Uint8Array {
  const body = Buffer.from(JSON.stringify(doc));
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = kind;
  body.copy(out, 1);
  return out;
}

export function decodeJson<T>(data: Uint8Array): T {
  return JSON.parse(Buffer.from(data.buffer, data.byteOffset + 1, data.byteLength - 1).toString('utf8')) as T;
}
