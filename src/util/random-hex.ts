import {randomFillSync} from 'node:crypto';

const pool = Buffer.alloc(4096);
let at = pool.length;

/**
 * `bytes` cryptographically random bytes as hex, taken from a pool refilled 4 KiB at a time: a work queue hands out
 * a lease id per delivery, and one `randomBytes` call per id was 7 % of the broker's time in the queue benchmark.
 */
export function randomHex(bytes: number): string {
  if (bytes > pool.length) throw new RangeError(`randomHex: at most ${pool.length} bytes`);
  if (at + bytes > pool.length) {
    randomFillSync(pool);
    at = 0;
  }
  const s = pool.toString('hex', at, at + bytes);
  at += bytes;
  return s;
}
