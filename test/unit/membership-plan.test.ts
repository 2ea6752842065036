import {describe, expect, it} from 'vitest';
import type {TopicRecord} from '../../src/broker/topic-config.js';
import {MetadataState} from '../../src/cluster/metadata/metadata-state.js';
import {planRebalance, planRepairs} from '../../src/cluster/metadata/replica-plan.js';

function topic(name: string, replicas: number[][], opts: {rf?: number; byDefault?: boolean} = {}): TopicRecord {
  return {
    name,
    config: {
      partitions: replicas.length,
      replicationFactor: opts.rf ?? 3,
      replicationDefault: opts.byDefault ?? true,
      retention: {maxMessages: null, maxBytes: null, maxAgeMs: null, untilAcked: false},
      dedupWindowMs: 0,
    },
    createdAt: 0,
    partitions: replicas.map((r, number) => ({number, pid: number + 1, replicas: r})),
    base: replicas.map((_, i) => i),
    nextPartitionNumber: replicas.length,
  };
}

const count = (topics: TopicRecord[], moves: Array<{topic: string; partition: number; replicas: number[]}>): Map<number, number> => {
  const m = new Map<number, number>();
  for (const t of topics) {
    for (const p of t.partitions) {
      const r = moves.find((x) => x.topic === t.name && x.partition === p.number)?.replicas ?? p.replicas;
      for (const id of r) m.set(id, (m.get(id) ?? 0) + 1);
    }
  }
  return m;
};

describe('replica placement plans', () => {
  it('raises default replication factors as brokers join (a single node becoming a cluster)', () => {
    const t = topic('orders', [[1], [1]], {rf: 1});
    const moves = planRepairs({topics: [t], eligible: [1, 2, 3], members: 3});
    expect(moves).toEqual([
      {topic: 'orders', partition: 0, replicas: [1, 2, 3]},
      {topic: 'orders', partition: 1, replicas: [1, 2, 3]},
    ]);
  });

  it('keeps an explicit replication factor', () => {
    const t = topic('one', [[2]], {rf: 1, byDefault: false});
    expect(planRepairs({topics: [t], eligible: [1, 2, 3], members: 3})).toEqual([]);
  });

  it('replaces replicas on brokers that are leaving or given up on, on the least-loaded brokers, keeping the preferred leader', () => {
    const t = topic('t', [[1, 2, 3], [2, 3, 1], [3, 1, 2]]);
    const moves = planRepairs({topics: [t], eligible: [1, 2, 4], members: 3});
    expect(moves).toEqual([
      {topic: 't', partition: 0, replicas: [1, 2, 4]},
      {topic: 't', partition: 1, replicas: [2, 1, 4]},
      {topic: 't', partition: 2, replicas: [1, 2, 4]},
    ]);
  });

  it('puts internal topics on every broker', () => {
    const t = topic('__groups', [[1, 2, 3]]);
    expect(planRepairs({topics: [t], eligible: [1, 2, 3, 4], members: 4})).toEqual([{topic: '__groups', partition: 0, replicas: [1, 2, 3, 4]}]);
  });

  it('rebalances a topic over a new broker and spreads preferred leaders', () => {
    const t = topic('t', [[1, 2, 3], [2, 3, 1], [3, 1, 2], [1, 2, 3]]);
    const moves = planRebalance({topics: [t], eligible: [1, 2, 3, 4], members: 4});
    const load = count([t], moves);
    expect(Math.max(...load.values()) - Math.min(...load.values())).toBeLessThanOrEqual(1);
    expect(load.get(4)).toBe(3);
    const leaders = t.partitions.map((p) => (moves.find((m) => m.partition === p.number)?.replicas ?? p.replicas)[0]);
    expect(new Set(leaders).size).toBe(4);
    // nothing to do the second time
    const applied = {...t, partitions: t.partitions.map((p) => ({...p, replicas: moves.find((m) => m.partition === p.number)?.replicas ?? p.replicas}))};
    expect(planRebalance({topics: [applied], eligible: [1, 2, 3, 4], members: 4})).toEqual([]);
  });
});

describe('metadata membership commands', () => {
  const state = (): MetadataState =>
    new MetadataState({
      clusterId: 'c',
      brokers: [1, 2, 3].map((id) => ({id, peer: `h:${id}`, url: null, peerUrl: null, version: null})),
      topics: [topic('t', [[1, 2, 3]])],
      nextPid: 2,
    });

  it('bumps the cluster version on joins, reassignments and removals', () => {
    const s = state();
    s.apply({op: 'broker.join', broker: {id: 4, peer: 'h:4', url: 'http://h4', peerUrl: null, version: '1', incarnation: 'x'}});
    expect(s.version).toBe(1);
    s.apply({op: 'partition.reassign', topic: 't', partition: 0, replicas: [1, 2, 4]});
    expect(s.topics.get('t')!.partitions[0]!.replicas).toEqual([1, 2, 4]);
    expect(s.version).toBe(2);
    s.apply({op: 'broker.remove', id: 3});
    expect([...s.brokers.keys()]).toEqual([1, 2, 4]);
    expect(s.version).toBe(3);
  });

  it('refuses to remove a broker that still holds replicas, an unknown broker, or invalid replicas', () => {
    const s = state();
    expect(() => s.apply({op: 'broker.remove', id: 1})).toThrow(expect.objectContaining({code: 'BROKER_IN_USE'}));
    expect(() => s.apply({op: 'broker.remove', id: 9})).toThrow(expect.objectContaining({code: 'BROKER_NOT_FOUND'}));
    expect(() => s.apply({op: 'partition.reassign', topic: 't', partition: 0, replicas: [1, 9]})).toThrow(expect.objectContaining({code: 'INVALID_CONFIG'}));
    expect(() => s.apply({op: 'partition.reassign', topic: 't', partition: 0, replicas: [1, 1]})).toThrow(expect.objectContaining({code: 'INVALID_CONFIG'}));
    expect(s.version).toBe(0);
  });
});
