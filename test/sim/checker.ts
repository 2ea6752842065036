import type {NodeId} from '../../src/cluster/raft/index.js';
import type {LogChain} from './log-chain.js';

export type FailureKind =
  | 'election-safety'
  | 'log-matching'
  | 'leader-completeness'
  | 'state-machine-safety'
  | 'commit-monotonicity'
  | 'lost-ack'
  | 'liveness'
  | 'assertion';

/** A broken invariant (or a library assertion) found while simulating one seed. */
export class SimFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(`${kind}: ${message}`);
  }
}

/** An entry a client was told is committed: (index, term, prefix hash) as the proposing leader applied it. */
export interface Ack {
  readonly index: number;
  readonly term: number;
  readonly hash: number;
  readonly seq: number;
}

/**
 * The safety properties of Raft (Figure 3 of the paper), checked online against everything every node ever
 * persists, commits or applies. Entries are compared by chained prefix hashes (see hash.ts), so one equality
 * covers a whole log prefix.
 */
export class Checker {
  private readonly leaders = new Map<number, NodeId>();
  /** (index, term) → prefix hash: log matching says any two logs agreeing on (index, term) agree on the prefix. */
  private readonly entryHashes = new Map<number, number>();
  /** index → prefix hash of the committed log. */
  private readonly committed = new Map<number, number>();
  /** index → the lowest term in which any node reported it committed (its leader's term, in practice). */
  private readonly commitTerm = new Map<number, number>();
  maxCommitted = 0;
  readonly acks: Ack[] = [];
  elections = 0;

  onEntry(node: NodeId, index: number, term: number, hash: number): void {
    const key = index * 1_000_000 + term;
    const seen = this.entryHashes.get(key);
    if (seen === undefined) this.entryHashes.set(key, hash);
    else if (seen !== hash) {
      throw new SimFailure('log-matching', `n${node} holds an entry at index ${index} term ${term} whose log prefix differs from another node's`);
    }
  }

  /** A node in `term` moved its commit index from `from` to `to` over its log `chain`. */
  onCommit(node: NodeId, term: number, from: number, to: number, chain: LogChain): void {
    for (let i = Math.max(from + 1, chain.baseIndex); i <= to; i++) {
      const h = chain.hashAt(i);
      if (h !== undefined) this.recordCommitted(i, h, term, `n${node} commits`);
    }
  }

  onApply(node: NodeId, term: number, index: number, hash: number): void {
    this.recordCommitted(index, hash, term, `n${node} applies`);
  }

  /** Election safety, leader completeness, and that every acknowledged entry survives in the new leader's log. */
  onLeader(node: NodeId, term: number, chain: LogChain): void {
    const prev = this.leaders.get(term);
    if (prev === node) return;
    if (prev !== undefined) throw new SimFailure('election-safety', `term ${term} has two leaders: n${prev} and n${node}`);
    this.leaders.set(term, node);
    this.elections++;
    // Leader completeness binds leaders of later terms only: a delayed leader of an older term may lack entries
    // committed since (it will fail to replicate anything and step down).
    const m = this.maxCommittedBefore(term);
    if (m > chain.baseIndex) {
      const h = chain.hashAt(m);
      if (h === undefined) {
        throw new SimFailure('leader-completeness', `n${node} leads term ${term} with a log ending at ${chain.lastIndex}, below committed index ${m}`);
      }
      if (h !== this.committed.get(m)) {
        throw new SimFailure('leader-completeness', `n${node} leads term ${term} with a log that differs from the committed prefix at index ${m}`);
      }
    }
    for (const a of this.acks) {
      if (a.index > chain.baseIndex && (this.commitTerm.get(a.index) ?? term) < term && chain.hashAt(a.index) !== a.hash) {
        throw new SimFailure('lost-ack', `n${node} leads term ${term} without entry ${a.index}/${a.term} (client seq ${a.seq}), acknowledged as committed`);
      }
    }
  }

  onAck(a: Ack): void {
    this.acks.push(a);
  }

  committedHash(index: number): number | undefined {
    return this.committed.get(index);
  }

  leaderOf(term: number): NodeId | undefined {
    return this.leaders.get(term);
  }

  /** The highest index known committed in a term below `term`. */
  private maxCommittedBefore(term: number): number {
    for (let i = this.maxCommitted; i > 0; i--) {
      const t = this.commitTerm.get(i);
      if (t !== undefined && t < term) return i;
    }
    return 0;
  }

  private recordCommitted(index: number, hash: number, term: number, who: string): void {
    const seen = this.committed.get(index);
    if (seen === undefined || term < this.commitTerm.get(index)!) this.commitTerm.set(index, term);
    if (seen === undefined) {
      this.committed.set(index, hash);
      if (index > this.maxCommitted) this.maxCommitted = index;
    } else if (seen !== hash) {
      throw new SimFailure('state-machine-safety', `${who} a different entry at index ${index} than was committed before`);
    }
  }
}
