import {assert} from '../../util/assert.js';

/**
 * `PROTOCOL_ERROR`: bytes from a peer that do not parse. `FRAME_TOO_LARGE`: a frame header announcing more than the
 * receiver accepts. Both close the connection. src/errors.ts has no protocol code (its registry is for client-facing
 * HTTP errors), so the transport keeps its own small error type rather than stretching that registry.
 */
export type TransportErrorCode = 'PROTOCOL_ERROR' | 'FRAME_TOO_LARGE';

export class TransportError extends Error {
  override name = 'TransportError';

  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function protocolError(message: string): TransportError {
  return new TransportError('PROTOCOL_ERROR', message);
}

/** An unsigned LEB128 varint holds any integer < 2^53 in at most 8 bytes (8 * 7 = 56 bits). */
const VARINT_BYTES_MAX = 8;

/** Appends to a buffer that doubles as needed: encoders need not compute sizes up front. */
export class ByteWriter {
  private buf: Buffer;
  private len = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  /** Ids, terms and indexes: exact for every safe non-negative integer, one byte for the common small values. */
  uvarint(v: number): void {
    assert(Number.isSafeInteger(v) && v >= 0, `not a non-negative safe integer: ${v}`);
    this.ensure(VARINT_BYTES_MAX);
    // Bit operators truncate to 32 bits, so large values divide instead.
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  bytes(b: Uint8Array): void {
    this.uvarint(b.length);
    this.raw(b);
  }

  string(s: string): void {
    this.bytes(Buffer.from(s, 'utf8'));
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** Reads what ByteWriter wrote; every read checks bounds and throws a PROTOCOL_ERROR instead of reading garbage. */
export class ByteReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.remaining) throw protocolError(`truncated: ${what} needs ${n} bytes, ${this.remaining} left`);
  }

  u8(what = 'byte'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  bool(what = 'flag'): boolean {
    const b = this.u8(what);
    if (b > 1) throw protocolError(`${what}: ${b} is not a boolean`);
    return b === 1;
  }

  uvarint(what = 'integer'): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < VARINT_BYTES_MAX; i++) {
      const b = this.u8(what);
      v += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        // One encoding per value: a zero final byte after a continuation is padding nobody writes.
        if (b === 0 && i > 0) throw protocolError(`${what}: non-canonical varint`);
        if (v > Number.MAX_SAFE_INTEGER) throw protocolError(`${what}: ${v} is not below 2^53`);
        return v;
      }
      scale *= 0x80;
    }
    throw protocolError(`${what}: varint longer than ${VARINT_BYTES_MAX} bytes`);
  }

  /** A count of items that each take at least `itemBytesMin` bytes: checked before anything is allocated for them. */
  count(itemBytesMin: number, what: string): number {
    const n = this.uvarint(what);
    if (n * itemBytesMin > this.remaining) throw protocolError(`${what}: ${n} items cannot fit in ${this.remaining} bytes`);
    return n;
  }

  /** A view, not a copy: a decoded entry keeps the frame's buffer alive until the entry itself is dropped. */
  raw(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = new Uint8Array(this.buf.buffer, this.buf.byteOffset + this.pos, n);
    this.pos += n;
    return out;
  }

  bytes(what = 'bytes', bytesMax = Infinity): Uint8Array {
    const n = this.uvarint(`${what} length`);
    if (n > bytesMax) throw protocolError(`${what}: ${n} bytes is more than the ${bytesMax} allowed`);
    if (n > this.remaining) throw protocolError(`${what}: length ${n} exceeds the ${this.remaining} bytes left`);
    return this.raw(n, what);
  }

  string(what: string, bytesMax: number): string {
    const b = this.bytes(what, bytesMax);
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  }

  end(what: string): void {
    if (this.remaining !== 0) throw protocolError(`${what}: ${this.remaining} trailing bytes`);
  }
}
