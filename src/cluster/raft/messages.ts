import type {Entry, NodeId, Snapshot} from './types.js';

/**
 * Every message names its sender, receiver and the sender's term. For pre-votes `term` is the term the sender
 * *would* campaign in (its own term + 1), which is why a pre-vote never changes anyone's term.
 */
interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

export interface VoteRequest extends Envelope {
  readonly type: 'vote' | 'preVote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /** Set by a leadership transfer: voters skip the leader-lease check (§3.10 of the thesis). */
  readonly transfer: boolean;
}

export interface VoteResponse extends Envelope {
  readonly type: 'voteResp' | 'preVoteResp';
  readonly reject: boolean;
}

export interface AppendRequest extends Envelope {
  readonly type: 'append';
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/**
 * On success `index` is the last index the follower now matches. On rejection `index` echoes the rejected
 * `prevLogIndex` and (`hintIndex`, `hintTerm`) let the leader skip a whole term of mismatches at once.
 */
export interface AppendResponse extends Envelope {
  readonly type: 'appendResp';
  readonly index: number;
  readonly reject: boolean;
  readonly hintIndex: number;
  readonly hintTerm: number;
}

export interface Heartbeat extends Envelope {
  readonly type: 'heartbeat';
  /** min(follower's match, leader's commit): a follower must never commit past what it is known to hold. */
  readonly commit: number;
}

export interface HeartbeatResponse extends Envelope {
  readonly type: 'heartbeatResp';
}

export interface InstallSnapshot extends Envelope {
  readonly type: 'snapshot';
  readonly snapshot: Snapshot;
}

/** Tells a caught-up follower to campaign at once (leadership transfer). */
export interface TimeoutNow extends Envelope {
  readonly type: 'timeoutNow';
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | Heartbeat
  | HeartbeatResponse
  | InstallSnapshot
  | TimeoutNow;

export type MessageType = Message['type'];

/** Messages only a leader sends: receiving one at a term >= ours names the leader. */
export function isFromLeader(m: Message): m is AppendRequest | Heartbeat | InstallSnapshot {
  return m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot';
}
