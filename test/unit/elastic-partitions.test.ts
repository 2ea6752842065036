import {describe, expect, it} from 'vitest';
import {autoscaleFromWire, autoscaleToWire, resolveAutoscale} from '../../src/broker/autoscale-config.js';
import {autoscaleFromFlags} from '../../src/cli/autoscale-flags.js';
import {nextRoundRobin, routeMessage} from '../../src/broker/router.js';
import {applyTopicPatch, resolveTopicConfig, type TopicRecord} from '../../src/broker/topic-config.js';
import {MetadataState} from '../../src/cluster/metadata/metadata-state.js';
import {DEFAULT_LIMITS} from '../../src/config/limits.js';
import {partitionForKey} from '../../src/protocol/murmur2.js';

const msg = (over: Partial<{key: string | null; id: string | null; producer: string | null; partition: number}> = {}) => ({
  key: null,
  id: null,
  producer: null,
  value: Buffer.from('1'),
  valueType: 0,
  headers: null,
  priority: 0,
  notBefore: 0,
  ...over,
}) as unknown as Parameters<typeof routeMessage>[1];

function cluster(autoscale = {maxPartitions: 3}): MetadataState {
  const s = new MetadataState({clusterId: 'c', brokers: [{id: 1, peer: 'h:1', url: null, peerUrl: null, version: null}], topics: [], nextPid: 1});
  const config = resolveTopicConfig({name: 't', partitions: 2, autoscale}, {dedupWindowMs: 0, brokers: 1}, DEFAULT_LIMITS);
  s.apply({op: 'topic.create', name: 't', config, createdAt: 0, topicsMax: 10, defaultReplication: false});
  return s;
}

const add = {op: 'partition.add', topic: 't', reason: 'load', at: 1} as const;

describe('elastic partitions - metadata', () => {
  it('elastic - added partitions stay out of the hashing list; the limit holds', () => {
    const s = cluster();
    s.apply(add);
    const t = s.topics.get('t')!;
    expect(t.base).toEqual([0, 1]);
    expect(t.partitions.map((p) => [p.number, p.autoscaled ?? false])).toEqual([[0, false], [1, false], [2, true]]);
    expect(() => s.apply(add)).toThrow(/maximum of 3 partitions/);
    expect(t.autoscaleEvents).toEqual([{at: 1, kind: 'added', partition: 2, reason: 'load'}]);
  });

  it('elastic - only a drained autoscaled partition is removed, and its number is never used again', () => {
    const s = cluster();
    s.apply(add);
    expect(() => s.apply({op: 'partition.remove', topic: 't', partition: 2, reason: 'idle', at: 2})).toThrow(/drained before/);
    expect(() => s.apply({op: 'partition.drain', topic: 't', partition: 0, reason: 'idle', at: 2})).toThrow(/base partition/);
    s.apply({op: 'partition.drain', topic: 't', partition: 2, reason: 'idle', at: 2});
    expect(s.topics.get('t')!.partitions.find((p) => p.number === 2)!.draining).toBe(true);
    s.apply({op: 'partition.remove', topic: 't', partition: 2, reason: 'idle', at: 3});
    s.apply(add);
    const t = s.topics.get('t')!;
    expect(t.partitions.map((p) => p.number)).toEqual([0, 1, 3]);
    expect(t.base).toEqual([0, 1]);
    expect(t.autoscaleEvents!.map((e) => `${e.kind}:${e.partition}`)).toEqual(['added:2', 'draining:2', 'removed:2', 'added:3']);
  });

  it('elastic - growing the base keeps autoscaled partitions out of it', () => {
    const s = cluster({maxPartitions: 5});
    s.apply(add);
    const t = s.topics.get('t')!;
    s.apply({op: 'topic.update', name: 't', config: applyTopicPatch(t.config, {partitions: 3}, DEFAULT_LIMITS)});
    const after = s.topics.get('t')!;
    expect(after.base).toEqual([0, 1, 3]);
    expect(after.partitions.filter((p) => p.autoscaled).map((p) => p.number)).toEqual([2]);
  });
});

describe('elastic partitions - routing and settings', () => {
  const topic = (): TopicRecord => {
    const s = cluster();
    s.apply(add);
    s.apply({op: 'partition.drain', topic: 't', partition: 2, reason: 'idle', at: 2});
    return s.topics.get('t')!;
  };

  it('elastic - keys, ids and producers hash over the base; draining partitions get nothing new', () => {
    const t = topic();
    for (const key of ['a', 'b', 'order-123', 'zz']) expect(routeMessage(t, msg({key}), 2)).toBe(t.base[partitionForKey(key, 2)]);
    expect(routeMessage(t, msg({id: 'x'}), 2)).toBe(t.base[partitionForKey('x', 2)]);
    expect(() => routeMessage(t, msg({partition: 2}), 0)).toThrow(expect.objectContaining({code: 'PARTITION_DRAINING', written: false}));
    expect([0, 1, 2, 3].map((n) => nextRoundRobin(t, n))).toEqual([0, 1, 0, 1]);
  });

  it('elastic - at the limit, unkeyed traffic goes to the least-loaded partition', () => {
    const s = cluster();
    s.apply(add);
    const t = s.topics.get('t')!;
    const loads = new Map([[0, 50], [1, 7], [2, 30]]);
    expect([0, 1, 2].map((n) => nextRoundRobin(t, n, (p) => loads.get(p)))).toEqual([1, 1, 1]);
    loads.set(1, 30);
    // ties share the traffic in turn
    expect([0, 1, 2].map((n) => nextRoundRobin(t, n, (p) => loads.get(p)))).toEqual([1, 1, 2]);
  });

  it('elastic - settings: defaults, validation, partial updates, off', () => {
    const a = resolveAutoscale({maxPartitions: 8}, undefined, 2, 64)!;
    expect(a).toEqual({maxPartitions: 8, highWater: 0.8, maxLoad: 1000, idleAfterMs: 60_000, checkIntervalMs: 5000, partitionBudget: {memoryBytes: 64 * 1024 * 1024, cpu: 0.25}});
    expect(() => resolveAutoscale({}, undefined, 2, 64)).toThrow(/max_partitions/);
    expect(() => resolveAutoscale({maxPartitions: 1}, undefined, 2, 64)).toThrow(/max_partitions/);
    expect(() => resolveAutoscale({maxPartitions: 4, highWater: 1.5}, undefined, 2, 64)).toThrow(/high_water/);
    expect(resolveAutoscale({idleAfterMs: 50}, a, 2, 64)).toEqual({...a, idleAfterMs: 50});
    expect(resolveAutoscale(null, a, 2, 64)).toBeUndefined();
    expect(() => resolveAutoscale(undefined, a, 9, 64)).toThrow(/below the 9 base/);
  });

  it('elastic - CLI flags and the wire form map onto the settings', () => {
    const wire = autoscaleFromFlags({
      'autoscale-max-partitions': 6,
      'autoscale-high-water': '0.5',
      'autoscale-idle-after': '30s',
      'autoscale-check-interval': '250ms',
      'autoscale-partition-memory': '32MiB',
      'autoscale-partition-cpu': '0.5',
    });
    expect(wire).toEqual({max_partitions: 6, high_water: 0.5, idle_after_ms: 30_000, check_interval_ms: 250, partition_budget: {memory_bytes: 32 * 1024 * 1024, cpu: 0.5}});
    expect(autoscaleFromFlags({})).toBeUndefined();
    expect(() => autoscaleFromFlags({'autoscale-high-water': 'high'})).toThrow(/expects a number/);
    const a = resolveAutoscale(autoscaleFromWire(wire!), undefined, 1, 64)!;
    expect(autoscaleToWire(a)).toEqual({...wire, max_load: 1000});
  });
});
