import type {Random} from '../../util/random.js';
import {assert} from '../../util/assert.js';
import type {NodeId} from './types.js';

/**
 * Deliberately broken variants, for positive controls only: the simulator must catch each of them. They exist so
 * that a green simulator run means something. Never set in production code.
 */
export interface TestBugs {
  /** Grant votes without the §5.4.1 log up-to-date check. */
  skipUpToDateCheck?: boolean;
  /** Count a commit quorum as floor(n/2) instead of floor(n/2)+1. */
  commitOnMinority?: boolean;
  /** Leave the vote out of the HardState handed to the driver, so a restart forgets it. */
  forgetVotePersist?: boolean;
  /** Commit entries of earlier terms by counting replicas (the Figure 8 bug that §5.4.2 forbids). */
  commitPriorTermByCounting?: boolean;
}

export interface RaftConfig {
  readonly id: NodeId;
  /** Followers campaign after a random timeout in [electionTimeoutTicks, 2 * electionTimeoutTicks - 1]. */
  readonly electionTimeoutTicks: number;
  readonly heartbeatIntervalTicks: number;
  /** Drives the randomized election timeout; inject a seeded one for determinism. */
  readonly random: Random;
  /** Thesis §9.6: a node campaigns only after a pre-vote round shows it could win, so a rejoining node does not disrupt. */
  readonly preVote: boolean;
  /** Thesis §6.2: a leader that has not heard from a quorum within an election timeout steps down. */
  readonly checkQuorum: boolean;
  /** Flow control: AppendEntries in flight per follower in the replicate state. */
  readonly maxInflightMsgs: number;
  /** Flow control: byte budget of one AppendEntries (at least one entry is always sent). */
  readonly maxMsgBytes: number;
  /**
   * A leader refuses proposals once its uncommitted entries exceed this many bytes (0: no limit), so a leader
   * cut off from its followers cannot pile up a backlog that takes them unboundedly long to catch up on.
   */
  readonly maxUncommittedBytes: number;
  /** Byte budget of the committed entries handed out in one Ready (at least one entry). */
  readonly maxApplyBytes: number;
  /** Ask the driver for a snapshot once this many applied entries sit in storage; 0 never asks. */
  readonly snapshotThresholdEntries: number;
  /** The index the application's state machine has already applied (restart); defaults to the snapshot index. */
  readonly applied?: number;
  readonly testBugs?: TestBugs;
}

export type RaftConfigInput = Pick<RaftConfig, 'id' | 'random'> & Partial<Omit<RaftConfig, 'id' | 'random'>>;

export const RAFT_DEFAULTS = Object.freeze({
  electionTimeoutTicks: 10,
  heartbeatIntervalTicks: 1,
  preVote: true,
  checkQuorum: true,
  maxInflightMsgs: 256,
  maxMsgBytes: 1 << 20,
  maxApplyBytes: 64 << 20,
  maxUncommittedBytes: 64 << 20,
  snapshotThresholdEntries: 0,
});

/** Fills defaults and validates once; the result is frozen (programmer errors assert). */
export function resolveRaftConfig(input: RaftConfigInput): RaftConfig {
  const c: RaftConfig = Object.freeze({...RAFT_DEFAULTS, ...input});
  assert(Number.isSafeInteger(c.id) && c.id > 0, `raft: node id must be a positive integer, got ${c.id}`);
  assert(c.heartbeatIntervalTicks >= 1, 'raft: heartbeatIntervalTicks must be >= 1');
  assert(
    c.electionTimeoutTicks > c.heartbeatIntervalTicks,
    'raft: electionTimeoutTicks must be greater than heartbeatIntervalTicks',
  );
  assert(c.maxInflightMsgs >= 1, 'raft: maxInflightMsgs must be >= 1');
  assert(c.maxMsgBytes >= 1 && c.maxApplyBytes >= 1, 'raft: byte limits must be >= 1');
  assert(c.maxUncommittedBytes >= 0, 'raft: maxUncommittedBytes must be >= 0');
  assert(c.snapshotThresholdEntries >= 0, 'raft: snapshotThresholdEntries must be >= 0');
  return c;
}
