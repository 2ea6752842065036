import type {Random} from '../../src/util/random.js';
import type {TestBugs} from '../../src/cluster/raft/index.js';
import type {NetworkFaults} from './network.js';

/** Everything about a run that the seed decides up front; the schedule of faults is drawn as the run goes. */
export interface SimParams {
  readonly profile: Profile;
  readonly initialVoters: number;
  readonly tickMs: number;
  readonly electionTimeoutTicks: number;
  readonly heartbeatIntervalTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxInflightMsgs: number;
  readonly maxMsgBytes: number;
  readonly maxUncommittedBytes: number;
  readonly snapshotThresholdEntries: number;
  readonly snapshotKeepEntries: number;
  readonly fsyncMaxMs: number;
  /** Length of the fault phase, in ticks (the CLI's --steps). */
  readonly chaosTicks: number;
  readonly nemesisEveryMs: readonly [number, number];
  readonly clientEveryMs: readonly [number, number];
  readonly maxVoters: number;
  /**
   * Chance that a new leader is crashed or cut off within a few ticks of winning. Fast leader turnover is where
   * entries from older terms get committed, overwritten and re-replicated (Figure 8 of the paper).
   */
  readonly leaderKillRate: number;
  readonly testBugs: TestBugs;
  readonly ackBeforeFsync: boolean;
}

export const TICK_MS = 10;
export const ELECTION_TIMEOUT_TICKS = 10;
export const DEFAULT_CHAOS_TICKS = 150;
export const CHURN_LENGTH_FACTOR = 5;

/**
 * Two fault profiles. "mixed" runs a random swarm of every fault. "churn" kills most new leaders within a few
 * ticks, in larger clusters with small messages: entries of old terms then get half-replicated, overwritten and
 * re-replicated across several short terms, which is where vote and commit bugs surface (Figure 8).
 */
export type Profile = 'mixed' | 'churn';

export function drawParams(rng: Random, chaosTicks: number, testBugs: TestBugs, ackBeforeFsync: boolean): SimParams {
  const profile: Profile = rng.next() < 0.4 ? 'churn' : 'mixed';
  const churn = profile === 'churn';
  // In churn seeds, often one entry per message: a follower then acknowledges an old entry without the new no-op.
  const maxMsgBytes = churn ? rng.int(1, 60) : rng.int(40, 400);
  return {
    profile,
    initialVoters: rng.next() < (churn ? 0.3 : 0.6) ? 3 : 5,
    tickMs: TICK_MS,
    electionTimeoutTicks: ELECTION_TIMEOUT_TICKS,
    heartbeatIntervalTicks: rng.int(1, 3),
    preVote: rng.next() < (churn ? 0.3 : 0.75),
    checkQuorum: rng.next() < 0.75,
    // Small messages, shallow or deep pipelines: shallow ones keep old entries half-acknowledged longest.
    maxInflightMsgs: churn ? rng.int(1, 16) : rng.int(1, 8),
    maxMsgBytes,
    // Tied to the message size: how many round trips a follower needs to catch up on a stale leader's backlog
    // is what the liveness bound has to cover.
    maxUncommittedBytes: Math.max(maxMsgBytes, 60) * rng.int(2, 6),
    snapshotThresholdEntries: rng.next() < 0.3 ? 0 : rng.int(5, 40),
    snapshotKeepEntries: rng.int(0, 10),
    fsyncMaxMs: rng.int(0, 4),
    // Churn seeds run longer: the bugs they target need several short terms in a row.
    chaosTicks: churn ? chaosTicks * CHURN_LENGTH_FACTOR : chaosTicks,
    nemesisEveryMs: [10, rng.int(30, 120)],
    clientEveryMs: [2, rng.int(5, churn ? 10 : 30)],
    maxVoters: 5,
    leaderKillRate: churn ? 0.7 + rng.next() * 0.3 : rng.next() < 0.5 ? 0 : 0.2 + rng.next() * 0.6,
    testBugs,
    ackBeforeFsync,
  };
}

/** A fresh set of network faults for the fault phase; some seeds get a calm network, some a very bad one. */
export function drawFaults(rng: Random): NetworkFaults {
  const bad = rng.next() < 0.3;
  return {
    dropRate: bad ? rng.next() * 0.4 : rng.next() * 0.1,
    duplicateRate: rng.next() * 0.08,
    minDelayMs: rng.int(0, 3),
    maxDelayMs: rng.int(4, bad ? 60 : 25),
    spikeRate: rng.next() * 0.05,
    spikeMaxDelayMs: rng.int(50, 400),
    fifo: rng.next() < 0.3,
  };
}
