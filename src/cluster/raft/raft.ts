import {assert} from '../../util/assert.js';
import type {RaftConfig} from './config.js';
import {hup, stepCandidate, tickElection} from './election.js';
import {stepFollower} from './follower.js';
import {stepLeader, syncProgress, tickLeader} from './leader.js';
import {ConfigHistory} from './membership.js';
import {isFromLeader, type Message, type VoteRequest} from './messages.js';
import type {Progress} from './progress.js';
import {RaftLog} from './raft-log.js';
import type {RaftStorage} from './storage.js';
import {NONE, type ConfState, type Entry, type HardState, type NodeId, type SoftState, type StateRole} from './types.js';

/**
 * The Raft state machine of one node. It does no I/O: inputs are `step`, `tick` and proposals; outputs are the
 * fields the RawNode turns into a Ready (unstable log, hard state, `msgs`, commit index). Role-specific logic
 * lives in election.ts, follower.ts and leader.ts, which work on this object's fields.
 */
export class Raft {
  readonly id: NodeId;
  readonly log: RaftLog;
  readonly history: ConfigHistory;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: StateRole = 'follower';
  /** Per-member replication state; only meaningful on a leader. */
  prs = new Map<NodeId, Progress>();
  /** Votes received in the current (pre-)campaign. */
  readonly votes = new Map<NodeId, boolean>();
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  leadTransferee: NodeId = NONE;
  /** Payload bytes this leader appended that have not yet been handed out as committed (flow control). */
  uncommittedBytes = 0;
  msgs: Message[] = [];

  constructor(
    readonly cfg: RaftConfig,
    storage: RaftStorage,
  ) {
    this.id = cfg.id;
    this.log = new RaftLog(storage, cfg.maxApplyBytes);
    this.history = ConfigHistory.fromStorage(storage);
    const hs = storage.hardState();
    const snapIndex = storage.snapshot().metadata.index;
    this.term = hs.term;
    this.vote = hs.vote;
    // The commit index is persisted lazily (no fsync of its own), so it may lag the snapshot; a snapshot is committed.
    this.log.commitTo(Math.max(hs.commit, snapIndex));
    const applied = cfg.applied ?? snapIndex;
    assert(
      applied >= storage.firstIndex() - 1 && applied <= this.log.committed,
      `raft: applied ${applied} must lie in [${storage.firstIndex() - 1}, ${this.log.committed}]`,
    );
    this.log.applied = applied;
    this.becomeFollower(this.term, NONE);
  }

  voters(): readonly NodeId[] {
    return this.history.current().voters;
  }

  conf(): ConfState {
    return this.history.current();
  }

  /** Only voters of the configuration in our own log may campaign: learners and removed nodes never do. */
  promotable(): boolean {
    return this.voters().includes(this.id);
  }

  hardState(): HardState {
    return {term: this.term, vote: this.persistedVote(), commit: this.log.committed};
  }

  /** The vote as handed to the driver for persisting (a test bug can leave it out). */
  persistedVote(): NodeId {
    return this.cfg.testBugs?.forgetVotePersist ? NONE : this.vote;
  }

  softState(): SoftState {
    return {leader: this.lead, role: this.role};
  }

  send(m: Message): void {
    this.msgs.push(m);
  }

  takeMessages(): Message[] {
    const out = this.msgs;
    this.msgs = [];
    return out;
  }

  tick(): void {
    if (this.role === 'leader') tickLeader(this);
    else tickElection(this);
  }

  step(m: Message): void {
    if (m.term > this.term) {
      if ((m.type === 'vote' || m.type === 'preVote') && !m.transfer && this.inLease()) return;
      // Pre-votes are asked in a term the sender has not entered yet; answering one must not move our term.
      const preVoteTraffic = m.type === 'preVote' || (m.type === 'preVoteResp' && !m.reject);
      if (!preVoteTraffic) this.becomeFollower(m.term, isFromLeader(m) ? m.from : NONE);
    } else if (m.term < this.term) {
      this.answerStale(m);
      return;
    }
    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return;
    }
    if (this.role === 'leader') stepLeader(this, m);
    else if (this.role === 'follower') stepFollower(this, m);
    else stepCandidate(this, m);
  }

  /**
   * Thesis §4.2.3: while a node believes a live leader exists it ignores vote requests, so a removed or
   * partitioned node cannot depose a healthy leader. Only meaningful with check-quorum, which makes a leader
   * that lost its majority step down rather than hold the lease forever.
   */
  private inLease(): boolean {
    return this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.cfg.electionTimeoutTicks;
  }

  private answerStale(m: Message): void {
    if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
      // A leader from an old term that we no longer follow: with pre-vote or check-quorum our higher term may
      // never reach it through votes, so tell it directly and let it step down.
      this.send({type: 'appendResp', from: this.id, to: m.from, term: this.term, index: 0, reject: false, hintIndex: 0, hintTerm: 0});
    } else if (m.type === 'preVote') {
      this.send({type: 'preVoteResp', from: this.id, to: m.from, term: this.term, reject: true});
    }
  }

  private handleVoteRequest(m: VoteRequest): void {
    // §5.2: one vote per term (re-granting the same candidate is idempotent); a pre-vote for a future term is free.
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === 'preVote' && m.term > this.term);
    const upToDate = this.cfg.testBugs?.skipUpToDateCheck || this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm);
    const type = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    if (canVote && upToDate) {
      this.send({type, from: this.id, to: m.from, term: m.term, reject: false});
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({type, from: this.id, to: m.from, term: this.term, reject: true});
    }
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.lead = lead;
  }

  /** A pre-candidate changes neither term nor vote: a lost pre-election leaves no trace. */
  becomePreCandidate(): void {
    assert(this.role !== 'leader', 'raft: leader cannot become pre-candidate');
    this.role = 'preCandidate';
    this.votes.clear();
    this.lead = NONE;
  }

  becomeCandidate(): void {
    assert(this.role !== 'leader', 'raft: leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  becomeLeader(): void {
    assert(this.role === 'candidate', `raft: ${this.role} cannot become leader`);
    this.reset(this.term);
    this.role = 'leader';
    this.lead = this.id;
    this.uncommittedBytes = 0;
    this.prs = new Map();
    syncProgress(this);
    const self = this.prs.get(this.id);
    if (self) {
      self.match = this.log.lastIndex();
      self.becomeReplicate();
      self.recentActive = true;
    }
    // A no-op of our own term lets us commit what earlier leaders left uncommitted (§5.4.2, §8).
    this.appendEntries([{type: 'noop', data: new Uint8Array(0)}]);
  }

  /** Leader only: stamps new entries with our term and the next indexes, then counts our own copy. */
  appendEntries(ents: readonly Pick<Entry, 'type' | 'data'>[]): void {
    const base = this.log.lastIndex();
    const stamped = ents.map((e, i) => ({index: base + i + 1, term: this.term, type: e.type, data: e.data}));
    for (const e of stamped) this.uncommittedBytes += e.data.length;
    this.appendToLog(stamped);
    this.prs.get(this.id)?.maybeUpdate(this.log.lastIndex());
  }

  /** Every append goes through here so that the configuration follows the log, rollbacks included. */
  appendToLog(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const before = this.history.current();
    this.history.truncateFrom(ents[0]!.index);
    this.log.append(ents);
    this.history.append(ents);
    if (this.history.current() !== before) this.onConfigChange();
  }

  onConfigChange(): void {
    if (this.role === 'leader') syncProgress(this);
  }

  /** Committed entries were handed to the driver: they no longer count against `maxUncommittedBytes`. */
  reduceUncommittedBytes(committed: readonly Entry[]): void {
    if (this.role !== 'leader') return;
    for (const e of committed) this.uncommittedBytes -= e.data.length;
    // Entries from earlier terms were never counted; never go below zero because of them.
    if (this.uncommittedBytes < 0) this.uncommittedBytes = 0;
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  campaign(): void {
    hup(this, false);
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.random.int(this.cfg.electionTimeoutTicks, 2 * this.cfg.electionTimeoutTicks - 1);
    this.abortLeaderTransfer();
    this.votes.clear();
  }
}
