/** Node ids are positive integers; 0 (`NONE`) means "nobody" (no vote, no known leader). */
export type NodeId = number;
export const NONE: NodeId = 0;

/**
 * `noop` is what a new leader appends so that it can commit entries of earlier terms (§5.4.2, and the thesis's
 * fix for single-server membership changes); `config` carries an encoded `ConfChange`.
 */
export type EntryType = 'normal' | 'config' | 'noop';

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be on stable storage before any message that depends on it leaves the node. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({term: 0, vote: NONE, commit: 0});

/** Voters count towards quorums; learners only receive the log. A node is never in both lists. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export const EMPTY_CONF_STATE: ConfState = Object.freeze({voters: [], learners: []});

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  /** The configuration in effect at `index` (the last config entry at or below it). */
  readonly confState: ConfState;
}

/** `data` is opaque to Raft: the application's state machine as of `metadata.index`. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

export type StateRole = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state a driver may want to show or react to; never persisted. */
export interface SoftState {
  readonly leader: NodeId;
  readonly role: StateRole;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function entryBytes(e: Entry): number {
  // A fixed overhead stands in for index, term and type, so that empty entries still count against limits.
  return e.data.length + 16;
}
