import {describe, expect, test} from 'vitest';
import type {Entry, EntryType, Message, MessageType} from '../../src/cluster/raft/index.js';
import {TransportError} from '../../src/cluster/transport/binary.js';
import {decodeMessages, encodeMessages} from '../../src/cluster/transport/message-codec.js';
import type {GroupMessage} from '../../src/cluster/transport/types.js';
import {SeededRandom} from '../../src/util/random.js';

const TYPES: readonly MessageType[] = ['vote', 'preVote', 'voteResp', 'preVoteResp', 'append', 'appendResp', 'heartbeat', 'heartbeatResp', 'snapshot', 'timeoutNow'];
const ENTRY_TYPES: readonly EntryType[] = ['normal', 'config', 'noop'];

/** Integers biased towards the edges of the varint encoding (one byte, 2^31, 2^32, 2^53 - 1). */
function num(r: SeededRandom): number {
  switch (r.int(0, 5)) {
    case 0:
      return r.int(0, 127);
    case 1:
      return r.int(128, 70_000);
    case 2:
      return 2 ** r.int(30, 52) + r.int(-1, 1);
    case 3:
      return Number.MAX_SAFE_INTEGER - r.int(0, 3);
    default:
      return Math.floor(r.next() * Number.MAX_SAFE_INTEGER);
  }
}

function bytes(r: SeededRandom, max: number): Uint8Array {
  const out = new Uint8Array(r.int(0, max));
  for (let i = 0; i < out.length; i++) out[i] = r.int(0, 255);
  return out;
}

function ids(r: SeededRandom): number[] {
  return Array.from({length: r.int(0, 5)}, () => num(r));
}

function entry(r: SeededRandom): Entry {
  return {index: num(r), term: num(r), type: ENTRY_TYPES[r.int(0, 2)]!, data: bytes(r, 64)};
}

function message(r: SeededRandom, type: MessageType): Message {
  const env = {from: num(r), to: num(r), term: num(r)};
  const flag = r.next() < 0.5;
  switch (type) {
    case 'vote':
    case 'preVote':
      return {type, ...env, lastLogIndex: num(r), lastLogTerm: num(r), transfer: flag};
    case 'voteResp':
    case 'preVoteResp':
      return {type, ...env, reject: flag};
    case 'append':
      return {type, ...env, prevLogIndex: num(r), prevLogTerm: num(r), commit: num(r), entries: Array.from({length: r.int(0, 6)}, () => entry(r))};
    case 'appendResp':
      return {type, ...env, index: num(r), reject: flag, hintIndex: num(r), hintTerm: num(r)};
    case 'heartbeat':
      return {type, ...env, commit: num(r)};
    case 'snapshot':
      return {type, ...env, snapshot: {metadata: {index: num(r), term: num(r), confState: {voters: ids(r), learners: ids(r)}}, data: bytes(r, 256)}};
    case 'heartbeatResp':
    case 'timeoutNow':
      return {type, ...env};
  }
}

function batch(r: SeededRandom): GroupMessage[] {
  return Array.from({length: r.int(0, 12)}, (): GroupMessage => [num(r), message(r, TYPES[r.int(0, TYPES.length - 1)]!)]);
}

function protocolError(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(TransportError);
  expect((caught as TransportError).code).toBe('PROTOCOL_ERROR');
  expect((caught as TransportError).message).toMatch(pattern);
}

const hb = (term: number): GroupMessage => [7, {type: 'heartbeat', from: 1, to: 2, term, commit: 3}];

describe('message codec', () => {
  test('message codec - every message type roundtrips exactly (seeded property test)', () => {
    const seen = new Set<MessageType>();
    for (let seed = 1; seed <= 500; seed++) {
      const r = new SeededRandom(seed);
      const msgs = batch(r);
      for (const [, m] of msgs) seen.add(m.type);
      const decoded = decodeMessages(encodeMessages(msgs));
      expect(decoded, `seed ${seed}`).toEqual(msgs);
    }
    expect([...seen].sort()).toEqual([...TYPES].sort());
  });

  test('message codec - each type alone, including empty entries and empty conf states', () => {
    const r = new SeededRandom(42);
    for (const type of TYPES) {
      const msgs: GroupMessage[] = [[0, message(r, type)]];
      expect(decodeMessages(encodeMessages(msgs))).toEqual(msgs);
    }
    const empty: GroupMessage[] = [
      [1, {type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: []}],
      [2, {type: 'snapshot', from: 1, to: 2, term: 1, snapshot: {metadata: {index: 0, term: 0, confState: {voters: [], learners: []}}, data: new Uint8Array()}}],
    ];
    expect(decodeMessages(encodeMessages(empty))).toEqual(empty);
    expect(decodeMessages(encodeMessages([]))).toEqual([]);
  });

  test('message codec - decoded entry data is a Uint8Array view of the input', () => {
    const data = new Uint8Array([1, 2, 3, 250]);
    const buf = encodeMessages([[3, {type: 'append', from: 1, to: 2, term: 5, prevLogIndex: 1, prevLogTerm: 1, commit: 1, entries: [{index: 2, term: 5, type: 'normal', data}]}]]);
    const [[, m]] = decodeMessages(buf) as [GroupMessage];
    expect(m.type).toBe('append');
    const got = m.type === 'append' ? m.entries[0]!.data : undefined;
    expect(got).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(got)).toBe(false);
    expect(got).toEqual(data);
    expect(got!.buffer).toBe(buf.buffer);
  });

  test('message codec - small heartbeats are compact', () => {
    // count(1) + gid(1) + tag(1) + from, to, term, commit (1 each)
    expect(encodeMessages([hb(9)]).length).toBe(7);
  });

  test('message codec - encoding a number that is not a non-negative safe integer is a programmer error', () => {
    for (const term of [-1, 1.5, 2 ** 53, Number.NaN]) expect(() => encodeMessages([hb(term)])).toThrow(/safe integer/);
  });

  test('message codec - every truncation of a valid batch is rejected', () => {
    const buf = encodeMessages(batch(new SeededRandom(7)).concat([hb(1)]));
    for (let n = 0; n < buf.length; n++) protocolError(() => decodeMessages(buf.subarray(0, n)), /truncated|cannot fit|exceeds/);
  });

  test('message codec - trailing bytes are rejected', () => {
    const buf = encodeMessages([hb(1)]);
    protocolError(() => decodeMessages(Buffer.concat([buf, Buffer.from([0])])), /trailing/);
  });

  test('message codec - an unknown message type tag is rejected', () => {
    const buf = Buffer.from(encodeMessages([hb(1)]));
    buf[2] = 99;
    protocolError(() => decodeMessages(buf), /unknown message type tag 99/);
  });

  test('message codec - an unknown entry type tag is rejected', () => {
    const buf = Buffer.from(
      encodeMessages([[0, {type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [{index: 1, term: 1, type: 'noop', data: new Uint8Array()}]}]]),
    );
    // ... entry: index, term, type, data length; the type byte is the second last.
    expect(buf[buf.length - 2]).toBe(2);
    buf[buf.length - 2] = 3;
    protocolError(() => decodeMessages(buf), /unknown entry type tag 3/);
  });

  test('message codec - a data length beyond the buffer is rejected', () => {
    const buf = Buffer.from(
      encodeMessages([[0, {type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [{index: 1, term: 1, type: 'normal', data: new Uint8Array([5])}]}]]),
    );
    expect(buf[buf.length - 2]).toBe(1);
    buf[buf.length - 2] = 100;
    protocolError(() => decodeMessages(buf), /entry data: length 100 exceeds the 1 bytes left/);
  });

  test('message codec - counts that cannot fit in the remaining bytes are rejected before allocating', () => {
    protocolError(() => decodeMessages(Buffer.from([0xff, 0xff, 0xff, 0x7f])), /message count: .* cannot fit/);
    const buf = Buffer.from(encodeMessages([[0, {type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: []}]]));
    buf[buf.length - 1] = 50;
    protocolError(() => decodeMessages(buf), /entry count: 50 items cannot fit/);
  });

  test('message codec - a flag that is not 0 or 1 is rejected', () => {
    const buf = Buffer.from(encodeMessages([[0, {type: 'voteResp', from: 1, to: 2, term: 1, reject: true}]]));
    buf[buf.length - 1] = 2;
    protocolError(() => decodeMessages(buf), /reject: 2 is not a boolean/);
  });

  test('message codec - varints: too long, past 2^53, or padded are rejected', () => {
    const head = [1, 0, 7]; // one message, gid 0, heartbeat
    protocolError(() => decodeMessages(Buffer.from([...head, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 2, 1, 1])), /longer than 8 bytes/);
    // 2^53 = seven 0x80 continuation bytes... then 0x10 in the eighth (bit 53)
    protocolError(() => decodeMessages(Buffer.from([...head, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 2, 1, 1])), /not below 2\^53/);
    protocolError(() => decodeMessages(Buffer.from([...head, 0x81, 0x00, 2, 1, 1])), /non-canonical/);
    // 2^53 - 1 is the largest accepted
    expect(decodeMessages(Buffer.from([...head, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 2, 1, 1]))[0]![1].from).toBe(Number.MAX_SAFE_INTEGER);
  });

  test('message codec - random garbage never escapes as anything but a PROTOCOL_ERROR', () => {
    const r = new SeededRandom(99);
    for (let i = 0; i < 2000; i++) {
      const junk = bytes(r, 64);
      try {
        decodeMessages(junk);
      } catch (err) {
        expect(err).toBeInstanceOf(TransportError);
      }
    }
  });
});
