import {MqError} from '../errors.js';
import type {MessageBatch} from './codec.js';
import {RawNode, type ConfState, type Entry, type RaftConfigInput, type Snapshot, type SoftState} from './raft/index.js';
import {StoreRaftStorage} from './store-raft-storage.js';

/** Effects that must wait until the Ready's transaction is durable (answering clients, waking readers). */
export interface ApplyScope {
  readonly now: number;
  after(fn: () => void): void;
}

/** The application side of one Raft group: what its entries do. All calls happen inside the Ready's transaction. */
export interface GroupStateMachine {
  /**
   * Entries were written; with truncatedFrom, stored entries from that index on were replaced first. `batches` has
   * the decoded message batches among them, by index.
   */
  persisted(entries: readonly Entry[], batches: ReadonlyMap<number, MessageBatch>, truncatedFrom: number | undefined, scope: ApplyScope): void;
  /** Committed entries, in order. Writes go in the transaction; effects through scope.after. */
  apply(entries: readonly Entry[], scope: ApplyScope): void;
  /** Where a snapshot from the leader leaves the partition: empty, at this offset (read from the snapshot's data). */
  resetFor(snapshot: Snapshot): {nextOffset: number; lastTimestamp: number};
  /** After the storage installed a snapshot from the leader: take on its state. */
  restore(snapshot: Snapshot, scope: ApplyScope): void;
  /** The state as of the last applied entry, for a snapshot (small: message data is not in it). */
  snapshotData(): Uint8Array;
  roleChanged(soft: SoftState, previous: SoftState | undefined): void;
}

interface Waiter {
  term: number;
  resolve: () => void;
  reject: (e: MqError) => void;
  /** acks=leader: resolve once persisted here instead of once committed. */
  local: boolean;
}

/** One Raft group on this broker: its node, storage, state machine, and the proposals waiting to commit. */
export class RaftGroup {
  readonly node: RawNode;
  private readonly waiters = new Map<number, Waiter>();
  /** Waiters settled inside the current round's transaction: their answers run only if it commits (see roundFailed). */
  private readonly settledInRound: Array<[number, Waiter]> = [];
  /** Batches this node proposed, by index, until written: their decoded form saves a decode. */
  readonly decoded = new Map<number, MessageBatch>();
  soft: SoftState | undefined;
  /** The replica that should lead when it can (partitions: the first replica); leadership is handed back to it. */
  preferredLeader: number | undefined;
  /**
   * Consulted before every proposal: an error it returns is thrown at once, before anything reaches Raft (so the
   * error's written: false holds). The host sets it to refuse writes while the disk is full; unset, nothing changes.
   */
  proposalGate: (() => MqError | undefined) | undefined;
  /**
   * Set for a replica that starts without the data it once had (a broker that joins, or comes back with an empty
   * directory): it must not vote until it holds everything the leader had committed when it first heard from it,
   * or a vote it forgot could elect a second leader in a term, or a quorum could count entries it lost.
   */
  recovering = false;
  /** The highest commit index a leader has announced in an append (what "caught up" means for `recovering`). */
  leaderCommitSeen = 0;

  constructor(
    readonly gid: number,
    readonly storage: StoreRaftStorage,
    readonly sm: GroupStateMachine,
    config: RaftConfigInput,
    private readonly schedule: () => void,
  ) {
    this.node = new RawNode(config, storage);
    this.soft = undefined;
  }

  get isLeader(): boolean {
    return this.soft?.role === 'leader';
  }

  get leader(): number {
    return this.soft?.leader ?? 0;
  }

  /**
   * Proposes an entry; resolves once it is committed and applied here (or, with `local`, once it is written here:
   * acks=leader). Throws NOT_LEADER (written: false) at once if this node cannot propose; rejects UNAVAILABLE with
   * written: "unknown" if leadership is lost before the entry commits.
   */
  propose(data: Uint8Array, batch?: MessageBatch, opts: {local?: boolean} = {}): Promise<{index: number; term: number}> {
    const refused = this.proposalGate?.();
    if (refused) throw refused;
    const r = this.node.propose(data);
    if (!r.ok) throw this.refusal(r.reason);
    if (batch) this.decoded.set(r.index, batch);
    this.schedule();
    return new Promise((resolve, reject) => {
      this.waiters.set(r.index, {term: r.term, resolve: () => resolve({index: r.index, term: r.term}), reject, local: opts.local ?? false});
    });
  }

  proposeConfChange(cc: Parameters<RawNode['proposeConfChange']>[0]): void {
    const refused = this.proposalGate?.();
    if (refused) throw refused;
    const r = this.node.proposeConfChange(cc);
    if (!r.ok) throw this.refusal(r.reason);
    this.schedule();
  }

  private refusal(reason: string): MqError {
    if (reason === 'not the leader') return new MqError('NOT_LEADER', `this broker does not lead group ${this.gid}`, {leader: this.leader}, false);
    return new MqError('UNAVAILABLE', `group ${this.gid} refused the proposal: ${reason}`, {leader: this.leader}, false);
  }

  /** Called by the host for entries just written here: settles acks=leader waiters of this term. */
  settlePersisted(entries: readonly Entry[], scope: ApplyScope): void {
    for (const e of entries) {
      const w = this.waiters.get(e.index);
      if (!w?.local) continue;
      this.waiters.delete(e.index);
      this.settledInRound.push([e.index, w]);
      if (w.term === e.term) scope.after(w.resolve);
      else scope.after(() => w.reject(new MqError('UNAVAILABLE', 'the proposal was replaced by another leader', undefined, false)));
    }
  }

  /** Called by the host for committed entries: a waiter's entry is committed iff it comes back with its term. */
  settleApplied(entries: readonly Entry[], scope: ApplyScope): void {
    for (const e of entries) {
      this.decoded.delete(e.index);
      const w = this.waiters.get(e.index);
      if (!w) continue;
      this.waiters.delete(e.index);
      this.settledInRound.push([e.index, w]);
      if (w.term === e.term) scope.after(w.resolve);
      else scope.after(() => w.reject(new MqError('UNAVAILABLE', 'the proposal was lost in a change of leader', undefined, false)));
    }
  }

  /** Lost leadership: what was proposed may still commit under the new leader, or not. */
  failPending(reason: string): void {
    for (const [index, w] of this.waiters) {
      this.waiters.delete(index);
      w.reject(new MqError('UNAVAILABLE', `leadership of group ${this.gid} moved before this was committed (${reason})`, {leader: this.leader}, 'unknown'));
    }
    this.decoded.clear();
  }

  /** The host's round committed: the answers of the waiters it settled go out. */
  roundCommitted(): void {
    this.settledInRound.length = 0;
  }

  /** The host's round was rolled back: the waiters it settled wait again (their answers were never sent). */
  roundFailed(): void {
    for (const [index, w] of this.settledInRound) this.waiters.set(index, w);
    this.settledInRound.length = 0;
  }

  /**
   * Answers every proposal of this group still waiting, now, with `error` (the host cannot write rounds and keeps
   * retrying: see RaftHost's disk-full handling). Unlike failPending, nothing else changes: the entries stay where
   * they are and may still commit, which the error's `written: "unknown"` says.
   */
  failWaiters(error: MqError): void {
    for (const [index, w] of this.waiters) {
      this.waiters.delete(index);
      w.reject(error);
    }
  }

  /** Whether a proposal of this broker waits for the entry at `index`. */
  hasWaiter(index: number): boolean {
    return this.waiters.has(index);
  }

  get pendingProposals(): number {
    return this.waiters.size;
  }

  confState(): ConfState {
    return this.node.status().conf;
  }
}
