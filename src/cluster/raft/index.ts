/**
 * The Raft core: a pure, deterministic state machine (no I/O, no timers, no ambient randomness). A driver
 * owns a `RawNode` and a `RaftStorage`, ticks it, delivers messages, and carries out each `Ready`.
 */
export {RawNode, type RaftStatus, type ProgressStatus} from './raw-node.js';
export type {Ready, SnapshotRequest} from './ready.js';
export {resolveRaftConfig, RAFT_DEFAULTS, type RaftConfig, type RaftConfigInput, type TestBugs} from './config.js';
export type {RaftStorage} from './storage.js';
export {MemoryStorage} from './memory-storage.js';
export type {ProposeResult} from './leader.js';
export {
  applyConfChange,
  confChangeError,
  confStateEqual,
  decodeConfChange,
  encodeConfChange,
  type ConfChange,
  type ConfChangeType,
} from './conf-change.js';
export type {
  AppendRequest,
  AppendResponse,
  Heartbeat,
  HeartbeatResponse,
  InstallSnapshot,
  Message,
  MessageType,
  TimeoutNow,
  VoteRequest,
  VoteResponse,
} from './messages.js';
export {
  EMPTY_CONF_STATE,
  EMPTY_HARD_STATE,
  NONE,
  type ConfState,
  type Entry,
  type EntryType,
  type HardState,
  type NodeId,
  type Snapshot,
  type SnapshotMetadata,
  type SoftState,
  type StateRole,
} from './types.js';
