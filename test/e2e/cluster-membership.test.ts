import fs from 'node:fs';
import {request} from 'undici';
import {afterEach, describe, expect, it} from 'vitest';
import {ProduceLoad, verifyAcks, type Ack} from '../../src/bench/cluster-load.js';
import {electionTimeoutMaxMs, FAST_TIMINGS, LocalCluster, until} from '../../src/bench/local-cluster.js';
import {spawnBroker} from '../helpers/process.js';

const ELECTION_MAX_MS = electionTimeoutMaxMs(FAST_TIMINGS);

async function call(url: string, method: 'POST' | 'DELETE' | 'GET', path: string, body?: unknown): Promise<{status: number; body: any}> {
  const r = await request(url + path, {method, headers: body === undefined ? {} : {'content-type': 'application/json'}, body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await r.body.text();
  return {status: r.statusCode, body: text ? JSON.parse(text) : undefined};
}

/** Waits until every live replica of every partition of `topic` holds the same (offset, term, id, crc) sequence. */
async function replicasIdentical(c: LocalCluster, topic: string): Promise<void> {
  await until(
    async () => {
      const view = await c.view(c.live()[0]!.id);
      for (const p of view.partitions.filter((x) => x.topic === topic)) {
        const holders = p.replicas.filter((id) => c.live().some((n) => n.id === id));
        const digests = await Promise.all(holders.map(async (id) => JSON.stringify((await c.replica(id, topic, p.partition)).messages.map((m) => [m.offset, m.term, m.id, m.crc]))));
        if (digests.some((d) => d !== digests[0])) return false;
      }
      return true;
    },
    30_000,
    `identical replicas of ${topic}`,
    200,
  );
}

/** The longest pause between two acknowledgements (a write gap), by the order they were recorded. */
function longestGap(stamps: number[]): number {
  let gap = 0;
  for (let i = 1; i < stamps.length; i++) gap = Math.max(gap, stamps[i]! - stamps[i - 1]!);
  return gap;
}

describe('cluster membership - join, remove, rolling restart, lost data', {timeout: 120_000}, () => {
  let cluster: LocalCluster | undefined;
  afterEach(async () => {
    await cluster?.destroy();
    cluster = undefined;
  });

  it('a fourth broker joins under load while a leader is killed mid catch-up; removing a broker restores the replication factor', async () => {
    const c = (cluster = await LocalCluster.start(3));
    expect((await call(c.url(1), 'POST', '/v1/topics', {name: 'grow', partitions: 3})).status).toBe(201);
    const load = new ProduceLoad(c, {topic: 'grow', concurrency: 4, batch: 50});
    load.start();
    await until(() => load.acked.length >= 5000, 30_000, 'a backlog to catch up on');

    await c.joinNode(4, c.url(2));
    // the join rebalances: broker 4 gets replicas, and leads some once caught up
    const placed = await until(async () => (await c.view(1)).partitions.find((p) => p.topic === 'grow' && p.replicas.includes(4)), 20_000, 'a replica on broker 4');
    const leader = await until(async () => c.leaderOf('grow', placed!.partition, 1), 10_000, 'its leader');
    await c.kill(leader);
    await c.startNode(leader);
    await until(async () => (await c.view(4)).metadata.voters.includes(4), 30_000, 'broker 4 a voter of the metadata group');
    await until(async () => {
      const v = await c.view(4);
      return v.partitions.filter((p) => p.replicas.includes(4)).length >= 3 && v.brokers.length === 4;
    }, 30_000, 'broker 4 holding its share');
    await c.waitReady();
    await replicasIdentical(c, 'grow');

    // remove broker 2: its replicas move to the others, then it leaves the membership
    expect((await call(c.url(1), 'DELETE', '/v1/cluster/brokers/2')).status).toBe(202);
    await until(async () => !(await c.view(1)).brokers.some((b) => b.id === 2), 60_000, 'broker 2 gone');
    const after = (await c.view(1)).partitions;
    for (const p of after) {
      expect(p.replicas, `${p.topic}/${p.partition}`).toHaveLength(3);
      expect(p.replicas).not.toContain(2);
    }
    await c.kill(2);
    await until(async () => (await c.view(1)).metadata.voters.join() === '1,3,4', 20_000, 'metadata voters without broker 2');
    await load.stop();
    await replicasIdentical(c, 'grow');
    const report = await verifyAcks(c, 3, 'grow', 3, load.acked);
    expect(report.lost, JSON.stringify(report.lost.slice(0, 5))).toEqual([]);
    expect(report).toMatchObject({conflictingOffsets: 0, duplicateIds: 0, gaps: 0});
  });

  it('a rolling restart with SIGTERM hands leadership over first: nothing lost, each write gap under 2x the election timeout', async () => {
    const c = (cluster = await LocalCluster.start(3));
    expect((await call(c.url(1), 'POST', '/v1/topics', {name: 'roll', partitions: 3})).status).toBe(201);
    // clients avoid a broker until it is ready again, as a load balancer's health checks make them
    let restarting = 0;
    const load = new ProduceLoad(c, {topic: 'roll', concurrency: 6, batch: 10, timeoutMs: 5000, avoid: () => [restarting]});
    const stamps: number[] = [];
    const acked = load.acked as Ack[];
    const push = acked.push.bind(acked);
    acked.push = (...items: Ack[]): number => {
      for (const _ of items) stamps.push(performance.now());
      return push(...items);
    };
    load.start();
    await until(() => acked.length >= 500, 20_000, 'load');
    const gaps: number[] = [];
    for (const n of [1, 2, 3]) {
      const from = stamps.length;
      restarting = n;
      await c.kill(n, 'SIGTERM');
      await c.startNode(n);
      await c.waitReady();
      restarting = 0;
      await until(() => stamps.length > from + 300, 20_000, `writes after restarting broker ${n}`);
      gaps.push(longestGap(stamps.slice(Math.max(0, from - 1))));
    }
    await load.stop();
    console.log(`rolling restart: longest write gap per restart ${gaps.map((g) => `${g.toFixed(0)} ms`).join(', ')} (election timeout at most ${ELECTION_MAX_MS} ms)`);
    for (const g of gaps) expect(g).toBeLessThan(2 * ELECTION_MAX_MS);
    const report = await verifyAcks(c, 1, 'roll', 3, acked);
    expect(report.lost).toEqual([]);
    expect(report).toMatchObject({conflictingOffsets: 0, duplicateIds: 0, gaps: 0});
    await replicasIdentical(c, 'roll');
  });

  it('a broker restarted with a wiped data directory under its old id re-syncs before it votes', async () => {
    const c = (cluster = await LocalCluster.start(3));
    expect((await call(c.url(1), 'POST', '/v1/topics', {name: 'wipe', partitions: 2})).status).toBe(201);
    const load = new ProduceLoad(c, {topic: 'wipe', concurrency: 3, batch: 20});
    load.start();
    await until(() => load.acked.length >= 2000, 20_000, 'data');
    await c.kill(3);
    fs.rmSync(c.node(3).dataDir, {recursive: true, force: true});
    // the lost directory comes back with --join under its old id: the cluster resets its replicas
    c.node(3).joinVia = c.url(1);
    await c.startNode(3);
    await until(async () => {
      for (const p of [0, 1]) {
        const r = (await c.replica(3, 'wipe', p)) as unknown as {recovering: boolean; role: string};
        if (r.recovering) return false;
      }
      return (await c.view(1)).metadata.voters.includes(3);
    }, 40_000, 'broker 3 re-synced and voting again');
    await load.stop();
    await replicasIdentical(c, 'wipe');
    const report = await verifyAcks(c, 3, 'wipe', 2, load.acked);
    expect(report.lost).toEqual([]);
    expect(report).toMatchObject({conflictingOffsets: 0, duplicateIds: 0, gaps: 0});
    // it went through re-syncing (no votes) for the metadata group and its partitions before voting again
    expect(c.logs(3).match(/replica re-synced: it votes again/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
  });

  it('a single-node data directory becomes the first member of a cluster: its topics keep their data and gain replicas', async () => {
    const single = await spawnBroker({env: FAST_TIMINGS});
    expect((await call(single.url, 'POST', '/v1/topics', {name: 'old', partitions: 2})).status).toBe(201);
    const sent = Array.from({length: 200}, (_, i) => ({id: `m-${i}`, key: `k${i % 7}`, value: `v${i}`}));
    expect((await call(single.url, 'POST', '/v1/topics/old/messages', {messages: sent})).status).toBe(200);
    single.kill('SIGTERM');
    await single.exited;

    // the same directory, restarted as a one-member cluster; two brokers join it
    const c = (cluster = await LocalCluster.start(1, {dataDir: () => single.dataDir}));
    await c.joinNode(2, c.url(1));
    await c.joinNode(3, c.url(1));
    await until(async () => {
      const v = await c.view(1);
      return v.partitions.filter((p) => p.topic === 'old').every((p) => p.replicas.length === 3) && v.metadata.voters.length === 3;
    }, 60_000, 'the old topic replicated on three brokers');
    await replicasIdentical(c, 'old');
    for (const p of [0, 1]) {
      const held = (await c.replica(3, 'old', p)).messages.map((m) => m.id);
      expect(held.length).toBeGreaterThan(0);
      expect(held).toEqual((await c.replica(1, 'old', p)).messages.map((m) => m.id));
    }
    const all = [...(await c.replica(2, 'old', 0)).messages, ...(await c.replica(2, 'old', 1)).messages].map((m) => m.id).sort();
    expect(all).toEqual(sent.map((m) => m.id).sort());
  });
});
