import fc from 'fast-check';
import {describe, expect, test} from 'vitest';
import {decodeConfChange, encodeConfChange, applyConfChange, confChangeError} from '../../src/cluster/raft/index.js';
import {committedIndex, majority, voteResult} from '../../src/cluster/raft/quorum.js';

describe('quorums (§5.3, §5.2)', () => {
  test('§5.3 the committed index is the highest index a majority of voters hold', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(100), {minLength: 1, maxLength: 9}), (matches) => {
        const voters = matches.map((_, i) => i + 1);
        const c = committedIndex(voters, (id) => matches[id - 1]!, majority(voters.length));
        const holding = (i: number) => matches.filter((m) => m >= i).length;
        expect(holding(c)).toBeGreaterThanOrEqual(majority(voters.length));
        expect(holding(c + 1)).toBeLessThan(majority(voters.length));
      }),
    );
  });

  test('§5.2 any two majorities of the same voters intersect', () => {
    for (let n = 1; n <= 9; n++) expect(2 * majority(n)).toBeGreaterThan(n);
  });

  test('§5.2 an election is won with a majority, lost once a majority is impossible, pending otherwise', () => {
    const voters = [1, 2, 3, 4, 5];
    expect(voteResult(voters, new Map([[1, true], [2, true], [3, true]]))).toBe('won');
    expect(voteResult(voters, new Map([[1, true], [2, false], [3, false], [4, false]]))).toBe('lost');
    expect(voteResult(voters, new Map([[1, true], [2, false], [3, false]]))).toBe('pending');
    // Votes from non-voters (learners, removed nodes) do not count.
    expect(voteResult([1, 2, 3], new Map([[1, true], [7, true], [8, true]]))).toBe('pending');
  });
});

describe('configuration changes (thesis §4.1)', () => {
  test('thesis §4.1 a ConfChange survives encoding for any node id', () => {
    const types = ['addLearner', 'promote', 'remove'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.integer({min: 1, max: Number.MAX_SAFE_INTEGER}), (type, nodeId) => {
        expect(decodeConfChange(encodeConfChange({type, nodeId}))).toEqual({type, nodeId});
      }),
    );
    expect(decodeConfChange(new Uint8Array([9]))).toBeUndefined();
  });

  test('thesis §4.1 single-server changes keep the old and new majorities overlapping', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 7}), fc.integer({min: 1, max: 9}), (n, target) => {
        const conf = {voters: Array.from({length: n}, (_, i) => i + 1), learners: [target + 10]};
        for (const cc of [{type: 'promote' as const, nodeId: target + 10}, {type: 'remove' as const, nodeId: target}]) {
          if (confChangeError(conf, cc) !== undefined) continue;
          const next = applyConfChange(conf, cc);
          const shared = next.voters.filter((v) => conf.voters.includes(v)).length;
          // Two quorums, one from each configuration, must share a voter.
          expect(majority(conf.voters.length) + majority(next.voters.length)).toBeGreaterThan(
            conf.voters.length + next.voters.length - shared,
          );
        }
      }),
    );
  });

  test('thesis §4.1 invalid changes are named, not applied', () => {
    const conf = {voters: [1], learners: [2]};
    expect(confChangeError(conf, {type: 'remove', nodeId: 1})).toBe('cannot remove the last voter');
    expect(confChangeError(conf, {type: 'promote', nodeId: 1})).toBe('node 1 is not a learner');
    expect(confChangeError(conf, {type: 'addLearner', nodeId: 2})).toBe('node 2 is already a member');
    expect(() => applyConfChange(conf, {type: 'remove', nodeId: 3})).toThrow();
  });
});
