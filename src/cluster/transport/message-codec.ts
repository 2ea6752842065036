import type {Entry, EntryType, Message, MessageType, NodeId, Snapshot} from '../raft/index.js';
import {ByteReader, ByteWriter, TransportError} from './binary.js';
import type {GroupMessage} from './types.js';

/**
 * The binary layout of a MESSAGES frame's payload. Integers are unsigned varints (exact below 2^53, one byte for
 * the small ids and recent terms that dominate heartbeat traffic); byte strings are a varint length then the bytes.
 *
 *   payload  = count, message*
 *   message  = gid, tag:u8, from, to, term, body (by tag, see below)
 *   entry    = index, term, type:u8, data
 *   snapshot = index, term, voters (count, id*), learners (count, id*), data
 *
 * Tags are part of the wire protocol: never renumber them; add new ones (and bump PROTOCOL_VERSION).
 */
const TAGS = {
  vote: 1,
  preVote: 2,
  voteResp: 3,
  preVoteResp: 4,
  append: 5,
  appendResp: 6,
  heartbeat: 7,
  heartbeatResp: 8,
  snapshot: 9,
  timeoutNow: 10,
} as const satisfies Record<MessageType, number>;

const TYPE_BY_TAG = new Map<number, MessageType>(Object.entries(TAGS).map(([t, n]) => [n, t as MessageType]));

const ENTRY_TAGS = {normal: 0, config: 1, noop: 2} as const satisfies Record<EntryType, number>;
const ENTRY_TYPES: readonly EntryType[] = ['normal', 'config', 'noop'];

/** The fewest bytes a message (gid, tag, from, to, term) and an entry (index, term, type, data length) can take. */
const MESSAGE_BYTES_MIN = 5;
const ENTRY_BYTES_MIN = 4;

export function encodeMessages(msgs: readonly GroupMessage[]): Buffer {
  let hint = 16;
  for (const [, m] of msgs) hint += 32 + dataBytes(m);
  const w = new ByteWriter(hint);
  w.uvarint(msgs.length);
  for (const [gid, m] of msgs) encodeMessage(w, gid, m);
  return w.finish();
}

function dataBytes(m: Message): number {
  if (m.type === 'snapshot') return m.snapshot.data.length;
  if (m.type !== 'append') return 0;
  let n = 0;
  for (const e of m.entries) n += e.data.length + 16;
  return n;
}

function encodeMessage(w: ByteWriter, gid: number, m: Message): void {
  w.uvarint(gid);
  w.u8(TAGS[m.type]);
  w.uvarint(m.from);
  w.uvarint(m.to);
  w.uvarint(m.term);
  switch (m.type) {
    case 'vote':
    case 'preVote':
      w.uvarint(m.lastLogIndex);
      w.uvarint(m.lastLogTerm);
      w.bool(m.transfer);
      return;
    case 'voteResp':
    case 'preVoteResp':
      w.bool(m.reject);
      return;
    case 'append':
      w.uvarint(m.prevLogIndex);
      w.uvarint(m.prevLogTerm);
      w.uvarint(m.commit);
      w.uvarint(m.entries.length);
      for (const e of m.entries) {
        w.uvarint(e.index);
        w.uvarint(e.term);
        w.u8(ENTRY_TAGS[e.type]);
        w.bytes(e.data);
      }
      return;
    case 'appendResp':
      w.uvarint(m.index);
      w.bool(m.reject);
      w.uvarint(m.hintIndex);
      w.uvarint(m.hintTerm);
      return;
    case 'heartbeat':
      w.uvarint(m.commit);
      return;
    case 'snapshot': {
      const {metadata, data} = m.snapshot;
      w.uvarint(metadata.index);
      w.uvarint(metadata.term);
      encodeIds(w, metadata.confState.voters);
      encodeIds(w, metadata.confState.learners);
      w.bytes(data);
      return;
    }
    case 'heartbeatResp':
    case 'timeoutNow':
      return;
  }
}

function encodeIds(w: ByteWriter, ids: readonly NodeId[]): void {
  w.uvarint(ids.length);
  for (const id of ids) w.uvarint(id);
}

/**
 * Throws a `TransportError` (`PROTOCOL_ERROR`) for anything that is not exactly one encoded batch: truncation, an
 * unknown tag, a length past the end, a non-boolean flag, trailing bytes. Entry and snapshot data are views into
 * `buf`, not copies.
 */
export function decodeMessages(buf: Uint8Array): GroupMessage[] {
  const r = new ByteReader(buf);
  const n = r.count(MESSAGE_BYTES_MIN, 'message count');
  const out: GroupMessage[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = decodeMessage(r);
  r.end('message batch');
  return out;
}

function decodeMessage(r: ByteReader): GroupMessage {
  const gid = r.uvarint('group id');
  const tag = r.u8('message tag');
  const type = TYPE_BY_TAG.get(tag);
  if (type === undefined) throw new TransportError('PROTOCOL_ERROR', `unknown message type tag ${tag}`);
  const from = r.uvarint('from');
  const to = r.uvarint('to');
  const term = r.uvarint('term');
  return [gid, decodeBody(r, type, from, to, term)];
}

function decodeBody(r: ByteReader, type: MessageType, from: NodeId, to: NodeId, term: number): Message {
  switch (type) {
    case 'vote':
    case 'preVote': {
      const lastLogIndex = r.uvarint('lastLogIndex');
      const lastLogTerm = r.uvarint('lastLogTerm');
      return {type, from, to, term, lastLogIndex, lastLogTerm, transfer: r.bool('transfer')};
    }
    case 'voteResp':
    case 'preVoteResp':
      return {type, from, to, term, reject: r.bool('reject')};
    case 'append': {
      const prevLogIndex = r.uvarint('prevLogIndex');
      const prevLogTerm = r.uvarint('prevLogTerm');
      const commit = r.uvarint('commit');
      const n = r.count(ENTRY_BYTES_MIN, 'entry count');
      const entries: Entry[] = new Array(n);
      for (let i = 0; i < n; i++) entries[i] = decodeEntry(r);
      return {type, from, to, term, prevLogIndex, prevLogTerm, entries, commit};
    }
    case 'appendResp': {
      const index = r.uvarint('index');
      const reject = r.bool('reject');
      const hintIndex = r.uvarint('hintIndex');
      return {type, from, to, term, index, reject, hintIndex, hintTerm: r.uvarint('hintTerm')};
    }
    case 'heartbeat':
      return {type, from, to, term, commit: r.uvarint('commit')};
    case 'snapshot':
      return {type, from, to, term, snapshot: decodeSnapshot(r)};
    case 'heartbeatResp':
    case 'timeoutNow':
      return {type, from, to, term};
  }
}

function decodeEntry(r: ByteReader): Entry {
  const index = r.uvarint('entry index');
  const term = r.uvarint('entry term');
  const tag = r.u8('entry type');
  const type = ENTRY_TYPES[tag];
  if (type === undefined) throw new TransportError('PROTOCOL_ERROR', `unknown entry type tag ${tag}`);
  return {index, term, type, data: r.bytes('entry data')};
}

function decodeSnapshot(r: ByteReader): Snapshot {
  const index = r.uvarint('snapshot index');
  const term = r.uvarint('snapshot term');
  const voters = decodeIds(r, 'voters');
  const learners = decodeIds(r, 'learners');
  return {metadata: {index, term, confState: {voters, learners}}, data: r.bytes('snapshot data')};
}

function decodeIds(r: ByteReader, what: string): NodeId[] {
  const n = r.count(1, `${what} count`);
  const ids: NodeId[] = new Array(n);
  for (let i = 0; i < n; i++) ids[i] = r.uvarint(what);
  return ids;
}
