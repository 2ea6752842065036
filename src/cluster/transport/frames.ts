import {TransportError} from './binary.js';

/**
 * A frame is `[u32 BE length][u8 type][payload]`, where `length` counts the type byte and the payload (everything
 * after the length). The header layout and the REJECT payload must never change between protocol versions: they
 * are how a broker tells a peer of another version that it will not talk to it.
 */
export const FrameType = {
  HELLO: 1,
  WELCOME: 2,
  REJECT: 3,
  MESSAGES: 4,
  PING: 5,
  PONG: 6,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const FRAME_TYPES = new Set<number>(Object.values(FrameType));

export const FRAME_HEADER_BYTES = 5;
/** The default `maxFrameBytes`: a frame carries one send() round for one peer, snapshots included. */
export const FRAME_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

export interface Frame {
  readonly type: FrameType;
  readonly payload: Buffer;
}

export function frameTypeName(t: number): string {
  for (const [name, v] of Object.entries(FrameType)) if (v === t) return name;
  return `type ${t}`;
}

/** The 5 bytes before a payload; the payload is written separately so that large batches are not copied. */
export function frameHeader(type: FrameType, payloadBytes: number): Buffer {
  const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  h.writeUInt32BE(payloadBytes + 1, 0);
  h[4] = type;
  return h;
}

export function encodeFrame(type: FrameType, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  return Buffer.concat([frameHeader(type, payload.length), payload]);
}

/**
 * Cuts a byte stream into frames. Chunks may split a frame anywhere or hold several; the reader keeps the chunks
 * of an incomplete frame in a list and joins them once (appending chunk by chunk would copy a large frame once per
 * chunk). A header announcing more than `maxFrameBytes` is rejected before any of its body is buffered, so a peer
 * cannot make us hold more than one maximum frame plus one chunk. After an error the reader must not be used again:
 * the stream position is lost, and the connection is closed.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Body length (type byte + payload) of the frame being read; -1 until its header has arrived. */
  private bodyBytes = -1;

  /** Can be raised once a peer has authenticated (a stranger only ever gets to send a small HELLO). */
  maxFrameBytes: number;

  constructor(opts: {maxFrameBytes?: number} = {}) {
    this.maxFrameBytes = opts.maxFrameBytes ?? FRAME_BYTES_MAX_DEFAULT;
  }

  /** Bytes held for frames not complete yet. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Frame[] = [];
    for (;;) {
      if (this.bodyBytes < 0) {
        if (this.buffered < 4) break;
        const len = this.take(4).readUInt32BE(0);
        if (len === 0) throw new TransportError('PROTOCOL_ERROR', 'empty frame (no type byte)');
        if (len > this.maxFrameBytes) {
          throw new TransportError('FRAME_TOO_LARGE', `frame of ${len} bytes is over the ${this.maxFrameBytes} byte limit`);
        }
        this.bodyBytes = len;
      }
      if (this.buffered < this.bodyBytes) break;
      const body = this.take(this.bodyBytes);
      this.bodyBytes = -1;
      const type = body[0]!;
      if (!FRAME_TYPES.has(type)) throw new TransportError('PROTOCOL_ERROR', `unknown frame type ${type}`);
      out.push({type: type as FrameType, payload: body.subarray(1)});
    }
    return out;
  }

  /** Removes n (<= buffered) bytes from the front: a view when one chunk holds them, else one copy. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    while (o < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - o);
      c.copy(out, o, 0, k);
      o += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}
