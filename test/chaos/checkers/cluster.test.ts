import {describe, expect, it} from 'vitest';
import {HistoryBuilder} from '../lib/history.js';
import type {FinalLog, Observation} from '../lib/model.js';
import {checkCluster, checkServed} from './cluster.js';

const obs = (o: Partial<Observation>): Observation => ({topic: 't', node: 1, incarnation: 0, life: 0, partition: 0, role: 'follower', term: 1, leader: 1, commit: 0, hw: 0, ...o});

function replicas(sigs: Array<Array<[string, number]>>, hw?: number[]): FinalLog {
  return {
    committed: new Map([[0, sigs[0]!.map(([id], offset) => ({offset, id, value: '{}'}))]]),
    replicas: sigs.map((s, i) => ({node: i + 1, partition: 0, hw: hw?.[i] ?? s.length, logStart: 0, nextOffset: s.length, messages: s.map(([id, crc], offset) => ({offset, term: 1, id, crc, committed: true}))})),
    replicationFactor: 3,
    complete: true,
  };
}

describe('chaos checker - cluster', () => {
  it('a clean history has no anomaly', () => {
    const h = new HistoryBuilder()
      .op(0, 'observe', {}, 0, 1, 'ok', obs({node: 1, role: 'leader', term: 2, leader: 1, commit: 3}))
      .op(1, 'observe', {}, 0, 1, 'ok', obs({node: 2, term: 2, leader: 1, commit: 2}))
      .op(2, 'observe', {}, 2, 3, 'ok', obs({node: 2, term: 3, leader: 3, commit: 4}))
      .build();
    const r = checkCluster(h, replicas([[['a', 1]], [['a', 1]], [['a', 1]]]));
    expect(r).toMatchObject({leaderConflicts: [], commitRegressions: [], hwRegressions: [], replicaDivergence: [], laggingReplicas: [], leaderChanges: 2});
  });

  it('one leader per term: two brokers lead term 2', () => {
    const h = new HistoryBuilder()
      .op(0, 'observe', {}, 0, 1, 'ok', obs({node: 1, role: 'leader', term: 2, leader: 1}))
      .op(1, 'observe', {}, 0, 1, 'ok', obs({node: 3, role: 'leader', term: 2, leader: 3}))
      .build();
    expect(checkCluster(h, undefined).leaderConflicts).toEqual([{topic: 't', partition: 0, term: 2, leaders: [1, 3]}]);
  });

  it('acknowledgements are truthful: an ack naming a leader the brokers did not have in that term', () => {
    const ack = {acks: [{id: 'm', partition: 0, offset: 3, term: 5, leader: 2}], refused: []};
    const h = new HistoryBuilder()
      .op(0, 'observe', {}, 0, 1, 'ok', obs({node: 1, role: 'leader', term: 5, leader: 1}))
      .op(1, 'append', {topic: 't', partition: 0, messages: []}, 0, 1, 'ok', ack)
      .build();
    expect(checkCluster(h, undefined).ackTermMismatch).toEqual([{topic: 't', partition: 0, term: 5, acked: 2, observed: [1], id: 'm'}]);
  });

  it('observations of different topics do not mix', () => {
    const h = new HistoryBuilder()
      .op(0, 'observe', {}, 0, 1, 'ok', obs({topic: 'a', node: 1, role: 'leader', term: 2, leader: 1, commit: 9}))
      .op(1, 'observe', {}, 2, 3, 'ok', obs({topic: 'b', node: 1, role: 'follower', term: 2, leader: 3, commit: 1}))
      .build();
    expect(checkCluster(h, undefined)).toMatchObject({leaderConflicts: [], commitRegressions: []});
  });

  it('commit index never goes back while the process lives (it is volatile in Raft: a restart may begin lower)', () => {
    const h = new HistoryBuilder()
      .op(0, 'observe', {}, 0, 1, 'ok', obs({node: 2, commit: 9, hw: 5}))
      .op(0, 'observe', {}, 2, 3, 'ok', obs({node: 2, commit: 4, hw: 5}))
      .op(0, 'observe', {}, 4, 5, 'ok', obs({node: 2, life: 1, commit: 2, hw: 5}))
      .build();
    expect(checkCluster(h, undefined).commitRegressions).toEqual([{node: 2, topic: 't', partition: 0, from: 9, to: 4}]);
  });

  it('high watermark never goes back, across restarts too, unless the data directory was wiped', () => {
    const h = new HistoryBuilder()
      .op(0, 'observe', {}, 0, 1, 'ok', obs({node: 2, hw: 7}))
      .op(0, 'observe', {}, 2, 3, 'ok', obs({node: 2, life: 1, hw: 6}))
      .op(0, 'observe', {}, 4, 5, 'ok', obs({node: 2, life: 2, incarnation: 1, hw: 0}))
      .build();
    expect(checkCluster(h, undefined).hwRegressions).toEqual([{node: 2, topic: 't', partition: 0, from: 7, to: 6}]);
  });

  it('replicas agree: a committed offset with a different CRC on one replica', () => {
    const r = checkCluster([], replicas([[['a', 1], ['b', 2]], [['a', 1], ['b', 2]], [['a', 1], ['b', 99]]]));
    expect(r.replicaDivergence).toHaveLength(1);
    expect(r.replicaDivergence[0]).toMatchObject({partition: 0, offset: 1});
  });

  it('replicas catch up: a replica whose committed prefix ends early', () => {
    const r = checkCluster([], replicas([[['a', 1], ['b', 2]], [['a', 1], ['b', 2]], [['a', 1]]], [2, 2, 1]));
    expect(r.laggingReplicas).toEqual([{node: 3, partition: 0, hw: 1, expected: 2}]);
  });
});

describe('chaos checker - what each replica serves', () => {
  const committed = new Map([[0, [{offset: 0, id: 'a', value: '{"id":"a"}'}]]]);
  it('never serves corrupt data: a value that differs from the committed log', () => {
    const r = checkServed([{node: 2, partition: 0, messages: [{offset: 0, id: 'a', value: '{"id":"q"}'}]}], committed);
    expect(r.corruptServed).toEqual([{node: 2, partition: 0, offset: 0}]);
  });
  it('re-syncs damage: a replica that refuses its own committed prefix', () => {
    const r = checkServed([{node: 3, partition: 0, error: 'DATA_CORRUPTED'}, {node: 1, partition: 0, messages: committed.get(0)!}], committed);
    expect(r).toEqual({corruptServed: [], unservable: [{node: 3, partition: 0, error: 'DATA_CORRUPTED'}]});
  });
});
