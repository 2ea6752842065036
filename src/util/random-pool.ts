import {randomFillSync} from 'node:crypto';

const pool = Buffer.alloc(4096);
let at = pool.length;

/**
 * `bytes` cryptographically random bytes, taken from a pool refilled 4 KiB at a time (a view into it, never handed
 * out twice): ids and lease nonces are made per message, and one `randomBytes` call each was 7 % of the broker's time
 * in the queue benchmark.
 */
export function pooledRandom(bytes: number): Buffer {
  if (bytes > pool.length) throw new RangeError(`pooledRandom: at most ${pool.length} bytes`);
  if (at + bytes > pool.length) {
    randomFillSync(pool);
    at = 0;
  }
  const b = pool.subarray(at, at + bytes);
  at += bytes;
  return b;
}

/** `bytes` random bytes from the pool, as hex. */
export function randomHex(bytes: number): string {
  return pooledRandom(bytes).toString('hex');
}
