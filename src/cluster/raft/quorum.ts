import type {NodeId} from './types.js';

/** The smallest number of voters any two of which overlap: what makes one leader per term and durable commits. */
export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest index that at least `quorum` voters hold. `quorum` is a parameter only so that a test bug can
 * shrink it; real callers pass `majority(voters.length)`.
 */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number, quorum: number): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[Math.min(quorum, matches.length) - 1]!;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** Tallies granted (true) and rejected (false) votes among `voters`; votes from non-voters do not count. */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const need = majority(voters.length);
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  if (granted >= need) return 'won';
  if (granted + missing >= need) return 'pending';
  return 'lost';
}
