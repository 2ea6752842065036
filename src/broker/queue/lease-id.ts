import {randomHex} from '../../util/random-pool.js';

/**
 * A lease id names the partition (by storage id), the offset and the delivery, plus a random part so it cannot be
 * guessed: `L<pid>.<offset>.<delivery>.<nonce>`. The broker finds the message from the id alone.
 */
export function leaseId(pid: number, offset: number, delivery: number): string {
  return `L${pid}.${offset}.${delivery}.${randomHex(6)}`;
}

export function parseLeaseId(id: string): {pid: number; offset: number; delivery: number} | undefined {
  const m = /^L(\d{1,9})\.(\d{1,16})\.(\d{1,6})\.[0-9a-f]{12}$/.exec(id);
  if (!m) return undefined;
  return {pid: Number(m[1]), offset: Number(m[2]), delivery: Number(m[3])};
}
