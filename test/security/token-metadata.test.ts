import {describe, expect, test} from 'vitest';
import {MetadataState, type MetadataSnapshot} from '../../src/cluster/metadata/metadata-state.js';

const empty: MetadataSnapshot = {clusterId: 'c', brokers: [{id: 1, peer: 'h:1', url: null, peerUrl: null, version: null}], topics: [], nextPid: 1, version: 0};
const token = (name: string, hash = name.padEnd(64, '0')) => ({name, hash, grants: ['produce:orders'], createdAt: 1});

describe('tokens - replicated metadata commands', () => {
  test('tokens - create and revoke apply deterministically and travel in snapshots', () => {
    const s = new MetadataState(empty);
    expect(s.apply({op: 'token.create', token: token('a')})).toEqual({kind: 'token', name: 'a'});
    s.apply({op: 'token.create', token: {...token('b'), messagesPerS: 5}});
    expect(s.apply({op: 'token.revoke', name: 'a'})).toEqual({kind: 'token', name: 'a', removed: true});
    const snap = JSON.parse(JSON.stringify(s.snapshot())) as MetadataSnapshot;
    expect(snap.tokens).toEqual([{...token('b'), messagesPerS: 5}]);
    const restored = new MetadataState(snap);
    expect([...restored.tokens.keys()]).toEqual(['b']);
    expect(restored.tokensByHash.get(token('b').hash)?.name).toBe('b');
    expect(restored.tokensByHash.has(token('a').hash)).toBe(false);
  });

  test('tokens - duplicates and unknown names are refused (the same on every replica)', () => {
    const s = new MetadataState(empty);
    s.apply({op: 'token.create', token: token('a')});
    expect(() => s.apply({op: 'token.create', token: token('a', 'f'.repeat(64))})).toThrow(expect.objectContaining({code: 'TOKEN_EXISTS'}));
    expect(() => s.apply({op: 'token.revoke', name: 'nope'})).toThrow(expect.objectContaining({code: 'TOKEN_NOT_FOUND'}));
    expect(s.tokens.get('a')!.hash).toBe(token('a').hash);
  });

  test('tokens - a snapshot from before tokens existed loads with none', () => {
    const s = new MetadataState(empty);
    expect(s.tokens.size).toBe(0);
    expect(s.snapshot().tokens).toEqual([]);
  });
});
