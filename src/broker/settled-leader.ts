import {MqError} from '../errors.js';
import type {Clock} from '../util/clock.js';
import type {PartitionLog} from './partition.js';

/**
 * A decision from a partition's in-memory state needs its leader caught up with everything committed before its
 * term: once it has applied an entry of its own term, every earlier one is applied too. A leader elected a moment
 * ago still replaying its predecessor's entries would otherwise answer from stale state (a consumer group's
 * committed offsets, say, from before the last commits of the previous coordinator).
 */
export function requireSettledLeader(log: PartitionLog): void {
  const st = log.group?.node.basicStatus();
  if (!st || st.role !== 'leader' || log.group.storage.term(st.applied) !== st.term) {
    throw new MqError('UNAVAILABLE', `${log.topic}/${log.number} has no settled leader here yet`, {leader: log.group?.leader ?? 0}, false);
  }
}

/**
 * As requireSettledLeader, but a leader elected a moment ago gets up to `waitMs` to apply its first entry (a few
 * ticks), so a request right after start-up or a failover is served instead of refused.
 */
export async function awaitSettledLeader(log: PartitionLog, waitMs: number, clock: Clock): Promise<void> {
  const deadline = clock.monotonic() + waitMs;
  for (;;) {
    try {
      requireSettledLeader(log);
      return;
    } catch (error) {
      if (!log.isLeader || clock.monotonic() >= deadline) throw error;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A linearizable read point: an empty entry committed in this leader's term proves that this broker still led
 * after the read began (a leader cut off from its majority cannot commit it), and once it is applied the state
 * reflects every write acknowledged before. Every replica skips empty entries when it applies them.
 */
export async function readBarrier(log: PartitionLog, waitMs: number, clock: Clock): Promise<void> {
  await awaitSettledLeader(log, waitMs, clock);
  await log.group.propose(new Uint8Array(0));
}
