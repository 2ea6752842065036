import {pooledRandom} from './random-pool.js';

const HEX: string[] = Array.from({length: 256}, (_, i) => i.toString(16).padStart(2, '0'));
let lastMs = 0;
let seq = 0;

/**
 * Time-ordered UUID (RFC 9562 version 7): 48-bit ms timestamp, then a 12-bit counter within the millisecond, then
 * random bits. Ids from one process sort by creation, so the broker's de-duplication window grows at its end.
 */
export function uuid7(nowMs: number = Date.now()): string {
  const b = pooledRandom(16);
  if (nowMs <= lastMs) {
    seq = (seq + 1) & 0xfff;
    if (seq === 0) lastMs++;
    nowMs = lastMs;
  } else {
    lastMs = nowMs;
    seq = b[6]! & 0x3f;
  }
  b[0] = Math.floor(nowMs / 2 ** 40) & 0xff;
  b[1] = Math.floor(nowMs / 2 ** 32) & 0xff;
  b[2] = (nowMs >>> 24) & 0xff;
  b[3] = (nowMs >>> 16) & 0xff;
  b[4] = (nowMs >>> 8) & 0xff;
  b[5] = nowMs & 0xff;
  b[6] = 0x70 | (seq >>> 8);
  b[7] = seq & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = (i: number): string => HEX[b[i]!]!;
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}
