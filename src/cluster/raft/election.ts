import {handleAppend, handleHeartbeat, handleSnapshot} from './follower.js';
import {startLeading} from './leader.js';
import type {Message} from './messages.js';
import {voteResult, type VoteResult} from './quorum.js';
import type {Raft} from './raft.js';
import {NONE, type NodeId} from './types.js';

/** Followers and candidates: campaign once the randomized election timeout (§5.2) passes without a leader. */
export function tickElection(r: Raft): void {
  r.electionElapsed++;
  if (r.promotable() && r.electionElapsed >= r.randomizedElectionTimeout) {
    r.electionElapsed = 0;
    hup(r, false);
  }
}

/** Starts a campaign: a pre-vote round first unless disabled or this is a leadership transfer. */
export function hup(r: Raft, transfer: boolean): void {
  if (r.role === 'leader' || !r.promotable()) return;
  if (r.cfg.preVote && !transfer) campaign(r, 'preVote', false);
  else campaign(r, 'vote', transfer);
}

function campaign(r: Raft, kind: 'vote' | 'preVote', transfer: boolean): void {
  let term: number;
  if (kind === 'preVote') {
    r.becomePreCandidate();
    term = r.term + 1;
  } else {
    r.becomeCandidate();
    term = r.term;
  }
  if (poll(r, r.id, true) === 'won') {
    // A single-voter configuration needs nobody else.
    wonRound(r);
    return;
  }
  const lastLogIndex = r.log.lastIndex();
  const lastLogTerm = r.log.lastTerm();
  for (const to of r.voters()) {
    if (to !== r.id) r.send({type: kind, from: r.id, to, term, lastLogIndex, lastLogTerm, transfer});
  }
}

function wonRound(r: Raft): void {
  if (r.role === 'preCandidate') campaign(r, 'vote', false);
  else startLeading(r);
}

function poll(r: Raft, id: NodeId, granted: boolean): VoteResult {
  if (!r.votes.has(id)) r.votes.set(id, granted);
  return voteResult(r.voters(), r.votes);
}

/** Pre-candidates and candidates. Messages reaching here carry our term (or, for granted pre-votes, term + 1). */
export function stepCandidate(r: Raft, m: Message): void {
  switch (m.type) {
    case 'append':
      r.becomeFollower(m.term, m.from);
      handleAppend(r, m);
      return;
    case 'heartbeat':
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return;
    case 'snapshot':
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return;
    case 'voteResp':
    case 'preVoteResp': {
      // A response to the other kind of round (an earlier one) says nothing about this one.
      if ((m.type === 'preVoteResp') !== (r.role === 'preCandidate')) return;
      const result = poll(r, m.from, !m.reject);
      if (result === 'won') wonRound(r);
      else if (result === 'lost') r.becomeFollower(r.term, NONE);
      return;
    }
    default:
      return;
  }
}
