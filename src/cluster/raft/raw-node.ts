import {AssertionError, assert} from '../../util/assert.js';
import {encodeConfChange, type ConfChange} from './conf-change.js';
import {resolveRaftConfig, type RaftConfigInput} from './config.js';
import {propose, snapshotFailed, transferLeadership, type ProposeResult} from './leader.js';
import type {Message} from './messages.js';
import type {ProgressState} from './progress.js';
import {Raft} from './raft.js';
import type {Ready, SnapshotRequest} from './ready.js';
import type {RaftStorage} from './storage.js';
import {hardStateEqual, type ConfState, type HardState, type NodeId, type SoftState, type StateRole} from './types.js';

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly leader: NodeId;
  readonly role: StateRole;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly conf: ConfState;
  readonly leadTransferee: NodeId;
  /** Only on a leader. */
  readonly progress?: ReadonlyMap<NodeId, ProgressStatus>;
}

/**
 * The driver's handle on one Raft node (etcd's RawNode). Feed it ticks, messages and proposals; whenever
 * `hasReady()`, take a `ready()`, carry it out as its doc comment says, then `advance()`.
 */
export class RawNode {
  private readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private pending: Ready | undefined = undefined;
  private lastSnapshotRequest: number;

  constructor(config: RaftConfigInput, storage: RaftStorage) {
    this.raft = new Raft(resolveRaftConfig(config), storage);
    this.prevSoft = this.raft.softState();
    this.prevHard = storage.hardState();
    this.lastSnapshotRequest = storage.snapshot().metadata.index;
  }

  get id(): NodeId {
    return this.raft.id;
  }

  /**
   * The role, term and applied index without the rest of status() (which copies every follower's progress): hot
   * paths such as a work-queue lease ask for these several times per message.
   */
  basicStatus(): {role: StateRole; term: number; applied: number} {
    return {role: this.raft.role, term: this.raft.term, applied: this.raft.log.applied};
  }

  tick(): void {
    this.raft.tick();
  }

  step(m: Message): void {
    if (m.to !== this.raft.id) throw new AssertionError(`raw node ${this.raft.id}: message for ${m.to} delivered here`);
    this.raft.step(m);
  }

  /** Starts an election now (for tests and for an operator's "campaign" command). */
  campaign(): void {
    this.raft.campaign();
  }

  /** Appends on the leader and replicates; `index`/`term` identify the entry (it is committed iff applied with that term). */
  propose(data: Uint8Array): ProposeResult {
    return propose(this.raft, 'normal', [data]);
  }

  /** Several entries in one append: they travel together, batched into as few AppendEntries as the limits allow. */
  proposeBatch(datas: readonly Uint8Array[]): ProposeResult {
    return propose(this.raft, 'normal', datas);
  }

  /** Refused while another change is uncommitted, before the leader commits in its term, or for an unready learner. */
  proposeConfChange(cc: ConfChange): ProposeResult {
    return propose(this.raft, 'config', [encodeConfChange(cc)]);
  }

  /** Hands leadership to a voter once it has caught up (thesis §3.10); returns false when not possible. */
  transferLeadership(to: NodeId): boolean {
    return transferLeadership(this.raft, to);
  }

  /** The transport could not reach `id`: stop streaming optimistically and probe instead. */
  reportUnreachable(id: NodeId): void {
    const pr = this.raft.role === 'leader' ? this.raft.prs.get(id) : undefined;
    if (pr?.state === 'replicate') pr.becomeProbe();
  }

  /** For transports that send snapshots out of band: a failure makes the leader retry. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    const pr = this.raft.role === 'leader' ? this.raft.prs.get(id) : undefined;
    if (pr?.state !== 'snapshot') return;
    if (ok) {
      pr.becomeProbe();
      pr.probeSent = true;
    } else {
      snapshotFailed(pr);
    }
  }

  hasReady(): boolean {
    if (this.pending !== undefined) return false;
    const r = this.raft;
    const hard = this.prevHard;
    // Field by field rather than through softState()/hardState(): this runs after every input.
    return (
      r.role !== this.prevSoft.role ||
      r.lead !== this.prevSoft.leader ||
      r.term !== hard.term ||
      r.log.committed !== hard.commit ||
      r.persistedVote() !== hard.vote ||
      r.log.unstable.snapshot !== undefined ||
      r.log.unstable.entries.length > 0 ||
      r.msgs.length > 0 ||
      r.log.hasNextCommittedEntries() ||
      this.snapshotRequestAt(r.log.applied) !== undefined
    );
  }

  ready(): Ready {
    assert(this.pending === undefined, 'raw node: ready() again before advance()');
    const r = this.raft;
    const hard = r.hardState();
    const hardChanged = !hardStateEqual(hard, this.prevHard);
    const entries = r.log.unstableEntries();
    const snapshot = r.log.unstable.snapshot;
    const committedEntries = r.log.nextCommittedEntries();
    r.reduceUncommittedBytes(committedEntries);
    const appliedAfter = committedEntries.length > 0 ? committedEntries[committedEntries.length - 1]!.index : r.log.applied;
    const snapshotRequest = snapshot === undefined ? this.snapshotRequestAt(appliedAfter) : undefined;
    // A plain literal (absent fields are undefined): this runs once per input, so no object spreads.
    const rd: Ready = {
      softState: r.softState(),
      hardState: hardChanged ? hard : undefined,
      entries,
      snapshot,
      committedEntries,
      messages: r.takeMessages(),
      mustSync:
        entries.length > 0 || snapshot !== undefined || hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote,
      snapshotRequest,
    };
    this.prevSoft = rd.softState;
    this.prevHard = hard;
    if (snapshotRequest !== undefined) this.lastSnapshotRequest = snapshotRequest.index;
    this.pending = rd;
    return rd;
  }

  /** The driver finished the last Ready: its entries and snapshot are stable, its committed entries applied. */
  advance(): void {
    const rd = this.pending;
    assert(rd !== undefined, 'raw node: advance() without a ready()');
    this.pending = undefined;
    const log = this.raft.log;
    if (rd.snapshot !== undefined) {
      log.stableSnapTo(rd.snapshot.metadata.index);
      log.appliedTo(rd.snapshot.metadata.index);
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined) log.stableTo(last.index, last.term);
    const applied = rd.committedEntries[rd.committedEntries.length - 1];
    if (applied !== undefined) log.appliedTo(applied.index);
    this.raft.history.compact(log.applied);
  }

  status(): RaftStatus {
    const r = this.raft;
    const progress =
      r.role === 'leader'
        ? new Map(
            [...r.prs].map(([id, pr]) => [id, {match: pr.match, next: pr.next, state: pr.state, isLearner: pr.isLearner}]),
          )
        : undefined;
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      leader: r.lead,
      role: r.role,
      commit: r.log.committed,
      applied: r.log.applied,
      firstIndex: r.log.firstIndex(),
      lastIndex: r.log.lastIndex(),
      lastTerm: r.log.lastTerm(),
      conf: r.conf(),
      leadTransferee: r.leadTransferee,
      ...(progress !== undefined ? {progress} : {}),
    };
  }

  /** The configuration in effect at `index` (>= the applied index), e.g. to record with a snapshot. */
  confStateAt(index: number): ConfState {
    return this.raft.history.at(index);
  }

  private snapshotRequestAt(index: number): SnapshotRequest | undefined {
    const threshold = this.raft.cfg.snapshotThresholdEntries;
    const storage = this.raft.log.storage;
    if (threshold === 0 || index <= this.lastSnapshotRequest || index <= storage.snapshot().metadata.index) return undefined;
    if (index - storage.firstIndex() + 1 < threshold) return undefined;
    return {index, confState: this.raft.history.at(index)};
  }
}
