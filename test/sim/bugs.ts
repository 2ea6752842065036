import type {TestBugs} from '../../src/cluster/raft/index.js';

/**
 * Positive controls: deliberately broken variants the simulator must catch. Library bugs are switched on
 * through `RaftConfig.testBugs`; `ack-before-fsync` breaks the simulated driver instead, proving that the
 * storage model really loses unsynced writes.
 */
export const BUGS = {
  'skip-up-to-date-check': {raft: {skipUpToDateCheck: true}, ackBeforeFsync: false},
  'commit-on-minority': {raft: {commitOnMinority: true}, ackBeforeFsync: false},
  'forget-vote-persist': {raft: {forgetVotePersist: true}, ackBeforeFsync: false},
  'commit-prior-term': {raft: {commitPriorTermByCounting: true}, ackBeforeFsync: false},
  'ack-before-fsync': {raft: {}, ackBeforeFsync: true},
} as const satisfies Record<string, {raft: TestBugs; ackBeforeFsync: boolean}>;

export type BugName = keyof typeof BUGS;

export const BUG_NAMES = Object.keys(BUGS) as BugName[];

export function isBugName(s: string): s is BugName {
  return Object.hasOwn(BUGS, s);
}
