import {describe, expect, it} from 'vitest';
import {HistoryBuilder} from '../lib/history.js';
import {checkGroups} from './groups.js';

const fetched = (member: string, offsets: number[], generation = 1): unknown => ({member, generation, assignment: [0], messages: offsets.map((offset) => ({partition: 0, offset, id: `m${offset}`}))});
const commit = (member: string, offset: number): unknown => ({member, generation: 1, offsets: [{partition: 0, offset}]});
const committed = (offset: number | null): unknown => ({committed: [{partition: 0, offset}]});

describe('chaos checker - consumer groups', () => {
  it('a clean history has no anomaly', () => {
    const h = new HistoryBuilder()
      .op(0, 'g-fetch', {member: 'a'}, 0, 1, 'ok', fetched('a', [0, 1]))
      .op(0, 'g-commit', commit('a', 2), 2, 3, 'ok', committed(2))
      .op(1, 'g-fetch', {member: 'b'}, 4, 5, 'ok', fetched('b', [2, 3], 2))
      .op(1, 'g-commit', commit('b', 4), 6, 7, 'ok', committed(4))
      .op(2, 'g-committed', {}, 8, 9, 'ok', committed(4))
      .build();
    expect(checkGroups(h, {committed: [{partition: 0, offset: 4}]})).toMatchObject({commitRegressions: [], lostCommits: [], resumeSkips: [], neverDelivered: [], delivered: 4, commits: 2});
  });

  it('committed offsets never regress', () => {
    const h = new HistoryBuilder().op(0, 'g-commit', commit('a', 5), 0, 1, 'ok', committed(5)).op(1, 'g-committed', {}, 2, 3, 'ok', committed(3)).build();
    expect(checkGroups(h, undefined).commitRegressions).toEqual([{partition: 0, before: 5, after: 3}]);
  });

  it('committed offsets are durable: acknowledged, then gone after the faults', () => {
    const h = new HistoryBuilder().op(0, 'g-commit', commit('a', 5), 0, 1, 'ok', committed(5)).build();
    expect(checkGroups(h, {committed: [{partition: 0, offset: 2}]}).lostCommits).toEqual([{partition: 0, acked: 5, final: 2}]);
  });

  it('resume without skipping: a new owner starts past the committed offset', () => {
    const h = new HistoryBuilder()
      .op(0, 'g-fetch', {member: 'a'}, 0, 1, 'ok', fetched('a', [0, 1, 2]))
      .op(0, 'g-commit', commit('a', 2), 2, 3, 'ok', committed(2))
      .op(1, 'g-fetch', {member: 'b'}, 4, 5, 'ok', fetched('b', [3, 4], 2))
      .build();
    expect(checkGroups(h, undefined).resumeSkips).toEqual([{member: 'b', partition: 0, first: 3, allowed: 2}]);
  });

  it('resume without skipping: offsets below the final committed offset never delivered', () => {
    const h = new HistoryBuilder().op(0, 'g-fetch', {member: 'a'}, 0, 1, 'ok', fetched('a', [0, 2])).op(0, 'g-commit', commit('a', 3), 2, 3, 'ok', committed(3)).build();
    expect(checkGroups(h, {committed: [{partition: 0, offset: 3}]}).neverDelivered).toEqual([{partition: 0, offset: 1}]);
  });
});
