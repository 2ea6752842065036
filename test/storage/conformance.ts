import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {CorruptionError, EntryKind, ValueType, type LogStore, type NewMessage} from '../../src/storage/index.js';

export interface StoreHarness {
  store: LogStore;
  /** Simulates a process restart after a crash: only committed (synced) data may survive. */
  reopen(): Promise<LogStore>;
  /** Flips a bit in a stored value behind the store's back. */
  corrupt(pid: number, offset: number): void;
  cleanup(): Promise<void>;
}

export function msg(value: string, extra: Partial<NewMessage> = {}): NewMessage {
  return {id: null, key: null, producer: null, priority: 0, headers: null, valueType: ValueType.Json, value: Buffer.from(value), notBefore: 0, ...extra};
}

const ALL = {maxMessages: 1_000_000, maxBytes: Number.MAX_SAFE_INTEGER, endOffset: Number.MAX_SAFE_INTEGER};

/** One suite, run against every LogStore implementation. */
export function runConformance(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`LogStore conformance - ${name}`, () => {
    let h: StoreHarness;
    let s: LogStore;
    beforeEach(async () => {
      h = await makeHarness();
      s = h.store;
      s.createPartition(1);
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('assigns dense offsets across batches and records one entry per batch', () => {
      expect(s.appendMessages(1, {index: 1, term: 1, timestamp: 1000, messages: [msg('1'), msg('2')]})).toBe(0);
      expect(s.appendMessages(1, {index: 2, term: 1, timestamp: 1001, messages: [msg('3')]})).toBe(2);
      const st = s.partitionState(1)!;
      expect(st).toMatchObject({nextOffset: 3, logStart: 0, bytes: 3, lastIndex: 2, lastTerm: 1, lastTimestamp: 1001});
      const entries = s.readEntries(1, 1, 10);
      expect(entries.map((e) => [e.index, e.kind, e.firstOffset, e.count])).toEqual([
        [1, EntryKind.Messages, 0, 2],
        [2, EntryKind.Messages, 2, 1],
      ]);
    });

    it('returns every field byte-identical, binary values included', () => {
      const bin = Buffer.from([0, 255, 1, 254]);
      s.appendMessages(1, {
        index: 1,
        term: 3,
        timestamp: 42,
        messages: [
          msg('{"a": [1, 2 ]}', {id: 'id-1', key: 'k', producer: 'P1', priority: 9, headers: '{"h":"v"}'}),
          {...msg(''), value: bin, valueType: ValueType.Binary},
        ],
      });
      const [a, b] = s.readMessages(1, 0, ALL);
      expect(a).toMatchObject({offset: 0, timestamp: 42, id: 'id-1', key: 'k', producer: 'P1', priority: 9, headers: '{"h":"v"}'});
      expect(a!.value.toString()).toBe('{"a": [1, 2 ]}');
      expect(b!.valueType).toBe(ValueType.Binary);
      expect(Buffer.compare(b!.value, bin)).toBe(0);
      expect(s.readMessage(1, 1)!.offset).toBe(1);
      expect(s.readMessage(1, 2)).toBeUndefined();
    });

    it('honours endOffset, maxMessages and maxBytes, but always returns one message', () => {
      s.appendMessages(1, {index: 1, term: 1, timestamp: 1, messages: ['aaaa', 'bbbb', 'cccc', 'dddd'].map((v) => msg(v))});
      expect(s.readMessages(1, 0, {...ALL, endOffset: 2}).map((m) => m.offset)).toEqual([0, 1]);
      expect(s.readMessages(1, 1, {...ALL, maxMessages: 2}).map((m) => m.offset)).toEqual([1, 2]);
      expect(s.readMessages(1, 0, {...ALL, maxBytes: 9}).map((m) => m.offset)).toEqual([0, 1]);
      expect(s.readMessages(1, 0, {...ALL, maxBytes: 1}).map((m) => m.offset)).toEqual([0]);
      expect(s.readMessages(1, 4, ALL)).toEqual([]);
    });

    it('truncates a divergent suffix: entries and their messages go, offsets are reused', () => {
      s.appendMessages(1, {index: 1, term: 1, timestamp: 10, messages: [msg('a'), msg('b')]});
      s.appendEntry(1, 2, 1, EntryKind.Noop, null);
      s.appendMessages(1, {index: 3, term: 1, timestamp: 11, messages: [msg('c')]});
      s.appendMessages(1, {index: 4, term: 1, timestamp: 12, messages: [msg('d')]});
      s.truncateFrom(1, 3);
      expect(s.partitionState(1)).toMatchObject({nextOffset: 2, lastIndex: 2, lastTerm: 1, bytes: 2, lastTimestamp: 10});
      expect(s.readEntries(1, 1, 10).map((e) => e.index)).toEqual([1, 2]);
      expect(s.appendMessages(1, {index: 3, term: 2, timestamp: 13, messages: [msg('x')]})).toBe(2);
      expect(s.readMessages(1, 0, ALL).map((m) => m.value.toString())).toEqual(['a', 'b', 'x']);
      expect(s.partitionState(1)).toMatchObject({lastIndex: 3, lastTerm: 2});
    });

    it('compacts entries without touching messages', () => {
      for (let i = 1; i <= 5; i++) s.appendMessages(1, {index: i, term: 1, timestamp: i, messages: [msg(String(i))]});
      s.compactEntries(1, 4);
      expect(s.partitionState(1)).toMatchObject({firstIndex: 4, lastIndex: 5});
      expect(s.readEntries(1, 1, 10).map((e) => e.index)).toEqual([4, 5]);
      expect(s.readMessages(1, 0, ALL)).toHaveLength(5);
    });

    it('deletes before an offset (retention) and keeps byte accounting exact', () => {
      s.appendMessages(1, {index: 1, term: 1, timestamp: 100, messages: [msg('aa'), msg('bbb'), msg('c')]});
      s.appendMessages(1, {index: 2, term: 1, timestamp: 200, messages: [msg('dddd')]});
      expect(s.offsetForBytes(1, 5)).toBe(2);
      expect(s.offsetForAge(1, 150)).toBe(3);
      expect(s.offsetForAge(1, 999)).toBe(4);
      expect(s.deleteBefore(1, 2)).toEqual({count: 2, bytes: 5, logStart: 2});
      expect(s.partitionState(1)).toMatchObject({logStart: 2, nextOffset: 4, bytes: 5});
      expect(s.readMessages(1, 0, ALL).map((m) => m.offset)).toEqual([2, 3]);
      expect(s.deleteBefore(1, 1)).toEqual({count: 0, bytes: 0, logStart: 2});
      expect(s.deleteBefore(1, 99)).toMatchObject({count: 2, logStart: 4});
      expect(s.partitionState(1)).toMatchObject({logStart: 4, nextOffset: 4, bytes: 0});
    });

    it('finds offsets by timestamp with a binary search', () => {
      const ts = [10, 10, 20, 30, 30, 40];
      ts.forEach((t, i) => s.appendMessages(1, {index: i + 1, term: 1, timestamp: t, messages: [msg('x')]}));
      expect(s.offsetForTimestamp(1, 0)).toBe(0);
      expect(s.offsetForTimestamp(1, 10)).toBe(0);
      expect(s.offsetForTimestamp(1, 11)).toBe(2);
      expect(s.offsetForTimestamp(1, 30)).toBe(3);
      expect(s.offsetForTimestamp(1, 41)).toBe(6);
      s.deleteBefore(1, 3);
      expect(s.offsetForTimestamp(1, 0)).toBe(3);
    });

    it('scans ids from an offset for the de-duplication index', () => {
      s.appendMessages(1, {index: 1, term: 1, timestamp: 5, messages: [msg('a', {id: 'x'}), msg('b'), msg('c', {id: 'y'})]});
      const seen: Array<[string, number, number]> = [];
      s.scanIds(1, 1, (id, off, ts) => seen.push([id, off, ts]));
      expect(seen).toEqual([['y', 2, 5]]);
    });

    it('rolls back a failed transaction completely', () => {
      s.appendMessages(1, {index: 1, term: 1, timestamp: 1, messages: [msg('keep')]});
      expect(() =>
        s.transaction(() => {
          s.appendMessages(1, {index: 2, term: 1, timestamp: 2, messages: [msg('gone')]});
          s.putMeta('k', 'v');
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(s.partitionState(1)).toMatchObject({nextOffset: 1, lastIndex: 1, bytes: 4});
      expect(s.readMessages(1, 0, ALL)).toHaveLength(1);
      expect(s.getMeta('k')).toBeUndefined();
    });

    it('rolls back a failed nested transaction alone (one bad batch in a group commit)', () => {
      s.transaction(() => {
        s.appendMessages(1, {index: 1, term: 1, timestamp: 1, messages: [msg('a')]});
        try {
          s.transaction(() => {
            s.appendMessages(1, {index: 2, term: 1, timestamp: 2, messages: [msg('b')]});
            throw new Error('bad batch');
          });
        } catch {
          // the group commit carries on with the other batches
        }
        s.appendMessages(1, {index: 2, term: 1, timestamp: 3, messages: [msg('c')]});
      });
      expect(s.readMessages(1, 0, ALL).map((m) => m.value.toString())).toEqual(['a', 'c']);
      expect(s.partitionState(1)).toMatchObject({nextOffset: 2, lastIndex: 2});
    });

    it('keeps every committed write across a crash and restart', async () => {
      s.appendMessages(1, {index: 1, term: 1, timestamp: 7, messages: [msg('durable', {id: 'd1'})]});
      s.setHardState(1, {term: 4, vote: 2, commit: 1});
      s.putMeta('topic/a', '{"x":1}');
      s = await h.reopen();
      expect(s.readMessages(1, 0, ALL).map((m) => m.value.toString())).toEqual(['durable']);
      expect(s.getHardState(1)).toEqual({term: 4, vote: 2, commit: 1});
      expect(s.getMeta('topic/a')).toBe('{"x":1}');
      expect(s.partitionState(1)).toMatchObject({nextOffset: 1, lastIndex: 1});
    });

    it('detects a flipped bit on read and refuses to serve it', () => {
      s.appendMessages(1, {index: 1, term: 1, timestamp: 1, messages: [msg('good'), msg('soon bad')]});
      h.corrupt(1, 1);
      expect(s.readMessages(1, 0, {...ALL, endOffset: 1})).toHaveLength(1);
      expect(() => s.readMessages(1, 0, ALL)).toThrow(CorruptionError);
      expect(() => s.readMessage(1, 1)).toThrow(CorruptionError);
    });

    it('stores de-duplication spill records and expires them by time', () => {
      s.putSpill(1, [
        {id: 'a', offset: 1, timestamp: 100, fingerprint: 7},
        {id: 'b', offset: 2, timestamp: 200, fingerprint: 8},
      ]);
      expect(s.getSpill(1, 'a')).toEqual({id: 'a', offset: 1, timestamp: 100, fingerprint: 7});
      expect(s.listSpill(1, 150).map((r) => r.id)).toEqual(['b']);
      expect(s.expireSpill(150)).toBe(1);
      expect(s.getSpill(1, 'a')).toBeUndefined();
    });

    it('lists metadata by prefix and deletes it', () => {
      s.putMeta('topic/b', '2');
      s.putMeta('topic/a', '1');
      s.putMeta('other', '3');
      expect(s.listMeta('topic/')).toEqual([
        ['topic/a', '1'],
        ['topic/b', '2'],
      ]);
      s.deleteMeta('topic/a');
      expect(s.listMeta('topic/')).toEqual([['topic/b', '2']]);
    });

    it('drops a partition with everything in it', () => {
      s.appendMessages(1, {index: 1, term: 1, timestamp: 1, messages: [msg('a', {id: 'i'})]});
      s.putSpill(1, [{id: 'i', offset: 0, timestamp: 1, fingerprint: 1}]);
      s.createPartition(2);
      s.dropPartition(1);
      expect(s.partitionState(1)).toBeUndefined();
      expect(s.listPartitions().map((p) => p.pid)).toEqual([2]);
      s.createPartition(1);
      expect(s.partitionState(1)).toMatchObject({nextOffset: 0});
      expect(s.readMessages(1, 0, ALL)).toEqual([]);
      expect(s.getSpill(1, 'i')).toBeUndefined();
    });

    it('counts durable commits', () => {
      const before = s.stats().commits;
      s.transaction(() => {
        s.appendMessages(1, {index: 1, term: 1, timestamp: 1, messages: [msg('a')]});
        s.appendMessages(1, {index: 2, term: 1, timestamp: 1, messages: [msg('b')]});
      });
      expect(s.stats().commits).toBe(before + 1);
    });
  });
}
