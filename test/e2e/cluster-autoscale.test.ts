import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {FAST_TIMINGS, LocalCluster, until} from '../../src/bench/local-cluster.js';
import {MqClient} from '../../src/client/index.js';
import type {StatusModel} from '../../src/observe/status-model.js';

/**
 * Three broker processes, replication factor 3: partitions the autoscaler adds are placed through the metadata group
 * on every broker, and every broker drops its replica (and its storage) when the partition is removed.
 */
describe('cluster - elastic partitions across brokers', {timeout: 120_000}, () => {
  let c: LocalCluster;
  const clients: MqClient[] = [];

  beforeAll(async () => {
    c = await LocalCluster.start(3, {env: FAST_TIMINGS});
    await c.waitReady();
    for (const id of [1, 2, 3]) clients.push(new MqClient({url: c.url(id), timeoutMs: 15_000}));
  }, 120_000);

  afterAll(async () => {
    for (const x of clients) await x.close();
    await c?.destroy();
  });

  const localPartitions = async (k: number, topic: string): Promise<number[]> => {
    const st = await clients[k]!.status<StatusModel>();
    return (st.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => p.partition).sort((x, y) => x - y);
  };

  it('cluster - grows under load on every broker, shrinks back and every broker releases the added replicas', async () => {
    const [c1, c2, c3] = clients as [MqClient, MqClient, MqClient];
    await c1.createTopic({name: 'jobs', partitions: 1, replication_factor: 3, autoscale: {max_partitions: 3, max_load: 10, idle_after_ms: 600_000, check_interval_ms: 50}});
    await c1.createGroup({name: 'w', topics: ['jobs'], mode: 'queue', lease_ms: 60_000});
    const sent = new Set<string>();
    let n = 0;
    // producers on every broker, nobody consuming: the backlog passes 0.8 × 10 and the topic grows to its limit
    await until(
      async () => {
        const batch = Array.from({length: 5}, (_, i) => `m-${n}-${i}`);
        const res = await clients[n % 3]!.produce('jobs', batch.map((tag) => ({value: {tag}})));
        n++;
        res.forEach((r, i) => {
          if ('error' in r) throw new Error(r.error.message);
          sent.add(batch[i]!);
        });
        return (await c1.describeTopic('jobs')).partitions === 3;
      },
      45_000,
      'the topic to grow to 3 partitions',
      1,
    );
    const holds = async (k: number, want: string): Promise<void> => {
      let seen = '';
      await until(async () => (seen = (await localPartitions(k, 'jobs')).join()) === want, 30_000, `broker ${k + 1} to hold partitions ${want}`).catch((e: Error) => {
        throw new Error(`${e.message} (it holds ${seen})`);
      });
    };
    for (const k of [0, 1, 2]) await holds(k, '0,1,2');
    expect(await localPartitions(1, 'jobs')).toEqual([0, 1, 2]);

    // workers on every broker drain it: each message acked once
    const got = new Map<string, number>();
    await until(
      async () => {
        await Promise.all(
          [c1, c2, c3].map(async (x) => {
            const ds = await x.lease('w', {maxMessages: 20, waitMs: 50});
            for (const d of ds) got.set((d.value as {tag: string}).tag, (got.get((d.value as {tag: string}).tag) ?? 0) + 1);
            let left = ds.map((d) => d.lease_id);
            while (left.length > 0) {
              const res = await x.ack('w', left);
              const bad = res.find((r) => 'error' in r && !r.error.retriable);
              if (bad) throw new Error(`ack refused: ${JSON.stringify(bad)}`);
              // a retriable refusal (the partition's leader settling) is acked again
              left = res.flatMap((r) => ('error' in r ? [r.lease_id] : []));
              if (left.length > 0) await new Promise((r) => setTimeout(r, 10));
            }
          }),
        );
        return got.size === sent.size;
      },
      30_000,
      'the workers to drain the topic',
      1,
    );
    expect([...got.keys()].sort()).toEqual([...sent].sort());
    expect([...got.values()].every((v) => v === 1)).toBe(true);

    await c1.updateTopic('jobs', {autoscale: {idle_after_ms: 100}});
    await until(async () => (await c2.describeTopic('jobs')).partitions === 1, 30_000, 'the topic to shrink back to its base');
    for (const k of [0, 1, 2]) await holds(k, '0');
    const d = await c3.describeTopic('jobs');
    expect(d.base_partitions).toEqual([0]);
    expect((d.autoscale_events ?? []).filter((e) => e.kind === 'removed').map((e) => e.partition).sort()).toEqual([1, 2]);
  });
});
