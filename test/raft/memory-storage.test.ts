import {describe, expect, test} from 'vitest';
import {MemoryStorage} from '../../src/cluster/raft/index.js';
import {entries} from './harness/single-node.js';

describe('MemoryStorage', () => {
  const conf = {voters: [1, 2, 3], learners: []};

  test('storage - a bootstrap holds the configuration as a snapshot at 1/1 and nothing else', () => {
    const s = MemoryStorage.bootstrap(conf);
    expect(s.snapshot().metadata).toEqual({index: 1, term: 1, confState: conf});
    expect([s.firstIndex(), s.lastIndex(), s.term(1), s.term(0)]).toEqual([2, 1, 1, undefined]);
    expect(s.hardState()).toEqual({term: 1, vote: 0, commit: 1});
  });

  test('storage - append replaces everything from the first new index on', () => {
    const s = MemoryStorage.bootstrap(conf);
    s.append(entries(2, [1, 1, 1]));
    s.append(entries(3, [2]));
    expect(s.lastIndex()).toBe(3);
    expect([s.term(2), s.term(3), s.term(4)]).toEqual([1, 2, undefined]);
    expect(() => s.append(entries(6, [2]))).toThrow(/gap/);
  });

  test('storage - entries are cut at maxBytes but never empty', () => {
    const s = MemoryStorage.bootstrap(conf);
    s.append(entries(2, [1, 1, 1, 1]));
    // Each entry is 16 bytes of overhead + 2 bytes of data ("e2").
    expect(s.entries(2, 6, 36).map((e) => e.index)).toEqual([2, 3]);
    expect(s.entries(2, 6, 1).map((e) => e.index)).toEqual([2]);
    expect(() => s.entries(1, 3, 100)).toThrow(/out of range/);
  });

  test('storage - compaction keeps the compaction point\'s term and refuses to pass the snapshot', () => {
    const s = MemoryStorage.bootstrap(conf);
    s.append(entries(2, [1, 2, 2, 3]));
    expect(() => s.compact(3)).toThrow(/past the latest snapshot/);
    s.createSnapshot(4, conf, new Uint8Array([1]));
    s.compact(3);
    expect([s.firstIndex(), s.lastIndex(), s.term(3), s.term(2)]).toEqual([4, 5, 2, undefined]);
    expect(s.snapshot().metadata).toMatchObject({index: 4, term: 2});
  });

  test('storage - applying a received snapshot discards the whole log', () => {
    const s = MemoryStorage.bootstrap(conf);
    s.append(entries(2, [1, 1]));
    s.applySnapshot({metadata: {index: 10, term: 4, confState: conf}, data: new Uint8Array()});
    expect([s.firstIndex(), s.lastIndex(), s.term(10)]).toEqual([11, 10, 4]);
    expect(() => s.applySnapshot({metadata: {index: 9, term: 4, confState: conf}, data: new Uint8Array()})).toThrow(/older/);
  });

  test('storage - a clone is independent of the original', () => {
    const s = MemoryStorage.bootstrap(conf);
    s.append(entries(2, [1]));
    const c = s.clone();
    s.append(entries(3, [1]));
    s.setHardState({term: 9, vote: 1, commit: 2});
    expect([c.lastIndex(), c.hardState().term]).toEqual([2, 1]);
  });
});
