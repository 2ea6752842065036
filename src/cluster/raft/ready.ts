import type {Message} from './messages.js';
import type {ConfState, Entry, HardState, Snapshot, SoftState} from './types.js';

/**
 * Everything the driver must do after feeding the node some input, in this order (the persistence contract,
 * see docs/raft.md):
 *   1. persist `snapshot` (if any), then `entries` (first dropping stored entries at and after
 *      `entries[0].index`), then `hardState` (if any); if `mustSync`, fsync before going on;
 *   2. send `messages` (they may promise what step 1 wrote: a vote, an acknowledged append);
 *   3. restore the state machine from `snapshot` (if any), then apply `committedEntries` in order;
 *   4. if `snapshotRequest` is set, store a snapshot of the state machine at exactly that index;
 *   5. call `advance()`.
 */
export interface Ready {
  readonly softState: SoftState;
  /** Present only when it changed since the previous Ready. */
  readonly hardState?: HardState;
  /** To append; may start below the stored last index, in which case the stored tail is replaced. */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader, replacing the whole log. */
  readonly snapshot?: Snapshot;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  /** Entries, a snapshot, or a new term or vote: the writes must be fsynced before any message is sent. */
  readonly mustSync: boolean;
  /** The log has grown past the configured threshold since the last snapshot: snapshot at `index` and compact. */
  readonly snapshotRequest?: SnapshotRequest;
}

export interface SnapshotRequest {
  /** The index the state machine will have applied once this Ready's committed entries are applied. */
  readonly index: number;
  /** The configuration to record with the snapshot: the one in effect at `index`. */
  readonly confState: ConfState;
}
