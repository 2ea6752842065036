import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {FAST_TIMINGS, LocalCluster, until} from '../../src/bench/local-cluster.js';
import {MqClient} from '../../src/client/index.js';
import {SseReader} from '../helpers/sse.js';

/**
 * Four brokers, replication factor 3: every broker lacks some partition of a four-partition topic. A stream or a
 * stream group served by such a broker must still deliver every partition (read from a replica elsewhere), the
 * exact bytes, once each.
 */
describe('more brokers than replicas - streams and groups read partitions held elsewhere', {timeout: 120_000}, () => {
  let c: LocalCluster;
  let client: MqClient;
  const sent: string[] = [];

  beforeAll(async () => {
    c = await LocalCluster.start(4, {env: FAST_TIMINGS});
    client = new MqClient({url: c.url(1), timeoutMs: 15_000});
    await client.createTopic({name: 'wide', partitions: 4});
    await c.waitReady();
    const batch = Array.from({length: 200}, (_, i) => ({id: `a-${i}`, key: `k${i}`, value: {i, text: 'exact  bytes'}}));
    await client.produce('wide', batch);
    sent.push(...batch.map((m) => m.id));
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await c?.destroy();
  });

  it('a batch to a topic that does not exist yet, sent to a broker that does not lead the metadata, is written once', async () => {
    const leader = (await c.view(1)).metadata.leader;
    const via = c.live().find((n) => n.id !== leader)!.id;
    const r = await fetch(`${c.url(via)}/v1/topics/fresh/messages`, {method: 'POST', headers: {'content-type': 'application/x-ndjson'}, body: '{"value":"a"}\n{"value":"b"}\n{"value":"c"}\n'});
    expect(r.status).toBe(200);
    const d = await client.describeTopic('fresh');
    // a replica that just took over a new topic's partition may answer an empty read until it commits in its term:
    // read until all three are visible, then there must be exactly three
    const read = async (): Promise<{values: string[]; hws: number}> => {
      const values: string[] = [];
      let hws = 0;
      for (let p = 0; p < d.partitions; p++) {
        const f = await client.fetch('fresh', p, {offset: 0});
        values.push(...f.messages.map((m) => m.value as string));
        hws += f.high_watermark;
      }
      return {values, hws};
    };
    const all = await until(async () => {
      const got = await read();
      return got.values.length >= 3 ? got : undefined;
    }, 10_000, 'the batch to be readable');
    expect(all!.values.sort()).toEqual(['a', 'b', 'c']);
    expect(all!.hws).toBe(3);
  });

  /** A broker that holds no replica of at least one partition of `wide`. */
  async function brokerMissingAPartition(): Promise<{id: number; missing: number[]}> {
    const v = await c.view(1);
    for (const n of c.live()) {
      const missing = v.partitions.filter((p) => p.topic === 'wide' && !p.replicas.includes(n.id)).map((p) => p.partition);
      if (missing.length > 0) return {id: n.id, missing};
    }
    throw new Error('every broker holds every partition');
  }

  it('an SSE stream from a broker without a replica delivers every partition, then follows new messages', async () => {
    const {id, missing} = await brokerMissingAPartition();
    const ids = new Map<string, number>();
    const sse = new SseReader(`${c.url(id)}/v1/topics/wide/stream?from=earliest&heartbeat_ms=500`);
    const partitions = new Set<number>();
    let exact = true;
    await sse.open((e) => {
      if (e.event !== 'message') return;
      const m = JSON.parse(e.data) as {id: string; partition: number};
      ids.set(m.id, (ids.get(m.id) ?? 0) + 1);
      partitions.add(m.partition);
      if (!e.data.includes('"text":"exact  bytes"')) exact = false;
    });
    await until(() => ids.size >= 200, 30_000, 'the first 200 messages');
    // new messages on a partition held elsewhere arrive through the long-poll
    const more = Array.from({length: 100}, (_, i) => ({id: `b-${i}`, key: `k${i}`, value: {i, text: 'exact  bytes'}}));
    await client.produce('wide', more);
    await until(() => ids.size >= 300, 30_000, 'the next 100 messages');
    sse.close();
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect([...ids.keys()].sort()).toEqual([...sent, ...more.map((m) => m.id)].sort());
    for (const p of missing) expect(partitions.has(p)).toBe(true);
    expect(exact).toBe(true);
    sent.push(...more.map((m) => m.id));
  });

  it('a stream group whose coordinator lacks a partition consumes all of them once, and describes their lag', async () => {
    // whichever broker coordinates the group lacks a partition: here every broker does
    const v = await c.view(1);
    for (const n of c.live()) expect(v.partitions.filter((p) => p.topic === 'wide' && !p.replicas.includes(n.id)).length, `broker ${n.id}`).toBeGreaterThan(0);
    const {id} = await brokerMissingAPartition();
    const via = new MqClient({url: c.url(id), timeoutMs: 15_000});
    try {
      await via.createGroup({name: 'wide-readers', topics: ['wide'], mode: 'stream', from: 'earliest'});
      const join = await via.join('wide-readers');
      const got = new Map<string, number>();
      await until(async () => {
        const r = await via.groupFetch('wide-readers', join.member_id, {maxMessages: 500, waitMs: 200, autoCommit: true});
        for (const m of r.messages) got.set(m.id!, (got.get(m.id!) ?? 0) + 1);
        return got.size >= sent.length;
      }, 30_000, 'every message through the group');
      expect([...got.values()].every((n) => n === 1)).toBe(true);
      expect([...got.keys()].sort()).toEqual([...sent].sort());
      // the next fetch commits what the last one delivered; then the lag is 0 on every partition
      await via.groupFetch('wide-readers', join.member_id, {maxMessages: 1, waitMs: 0, autoCommit: true});
      const d = await via.describeGroup('wide-readers');
      expect(d.partitions).toHaveLength(4);
      expect(d.partitions.every((p) => p.lag === 0)).toBe(true);
      await via.leave('wide-readers', join.member_id);
    } finally {
      await via.close();
    }
  });
});
