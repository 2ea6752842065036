import {describe, expect, it} from 'vitest';
import {MemoryStore} from '../../src/storage/index.js';
import {msg, runConformance} from './conformance.js';

runConformance('memory', async () => {
  const store = new MemoryStore();
  return {
    store,
    async reopen() {
      store.crash();
      return store;
    },
    corrupt: (pid, offset) => store.corruptMessage(pid, offset),
    async cleanup() {},
  };
});

describe('MemoryStore - volatile writes', () => {
  it('drops commits that were never synced when it crashes', () => {
    const s = new MemoryStore({syncOnCommit: false});
    s.createPartition(1);
    s.appendMessages(1, {index: 1, term: 1, timestamp: 1, messages: [msg('synced')]});
    s.sync();
    s.appendMessages(1, {index: 2, term: 1, timestamp: 2, messages: [msg('lost')]});
    s.setHardState(1, {term: 9, vote: 1, commit: 2});
    s.crash();
    expect(s.partitionState(1)).toMatchObject({nextOffset: 1, lastIndex: 1});
    expect(s.getHardState(1)).toBeUndefined();
  });
});
