import {request} from 'undici';
import {afterEach, describe, expect, it} from 'vitest';
import {ProduceLoad, verifyAcks} from '../../src/bench/cluster-load.js';
import {MqClient} from '../../src/client/index.js';
import {electionTimeoutMaxMs, FAST_TIMINGS, LocalCluster, sleep, until} from '../../src/bench/local-cluster.js';

const ELECTION_MAX_MS = electionTimeoutMaxMs(FAST_TIMINGS);

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{status: number; body: any}> {
  const r = await request(url + path, {method: 'POST', headers: {'content-type': 'application/json', ...headers}, body: JSON.stringify(body)});
  const text = await r.body.text();
  return {status: r.statusCode, body: text ? JSON.parse(text) : undefined};
}

async function get(url: string, path: string, headers: Record<string, string> = {}): Promise<{status: number; body: any}> {
  const r = await request(url + path, {headers});
  return {status: r.statusCode, body: await r.body.json()};
}

/** Each replica's messages as (offset, term, id, crc), for comparing replicas. */
async function replicaDigest(c: LocalCluster, id: number, topic: string, partition: number): Promise<string[]> {
  return (await c.replica(id, topic, partition)).messages.map((m) => `${m.offset}:${m.term}:${m.id}:${m.crc}`);
}

async function expectReplicasIdentical(c: LocalCluster, topic: string, partitions: number): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    await until(
      async () => {
        const digests = await Promise.all(c.live().map((n) => replicaDigest(c, n.id, topic, p)));
        return digests.every((d) => JSON.stringify(d) === JSON.stringify(digests[0]));
      },
      15_000,
      `identical replicas of ${topic}/${p}`,
    );
  }
}

describe('cluster - three broker processes', {timeout: 60_000}, () => {
  let cluster: LocalCluster | undefined;
  afterEach(async () => {
    await cluster?.destroy();
    cluster = undefined;
  });

  it('forms a cluster; any broker accepts any request and forwards to the leader; 421 with forwarding off', async () => {
    const c = (cluster = await LocalCluster.start(3));
    const view = await c.view(1);
    expect(view.brokers.map((b) => [b.id, b.status])).toEqual([[1, 'self'], [2, 'connected'], [3, 'connected']]);
    expect(view.metadata.leader).toBeGreaterThan(0);

    // a topic created through one broker is known to all; its leaders are spread over the brokers
    expect((await post(c.url(2), '/v1/topics', {name: 'orders', partitions: 3})).status).toBe(201);
    const parts = (await c.view(3)).partitions.filter((p) => p.topic === 'orders');
    expect(parts.map((p) => p.replicas.length)).toEqual([3, 3, 3]);
    await until(async () => new Set((await c.view(1)).partitions.filter((p) => p.topic === 'orders').map((p) => p.leader)).size === 3, 15_000, 'leaders on three brokers');

    // a keyed batch through broker 3 lands on all partitions (forwarded per leader), in order per key
    const messages = Array.from({length: 90}, (_, i) => ({key: `k${i % 9}`, id: `o-${i}`, value: {i}}));
    const produced = await post(c.url(3), '/v1/topics/orders/messages', {messages});
    expect(produced.status).toBe(200);
    expect(produced.body.errors).toBe(0);
    expect(new Set(produced.body.results.map((r: {partition: number}) => r.partition)).size).toBe(3);

    // every broker reads every partition
    for (const n of [1, 2, 3]) {
      // (a follower may be a moment behind; it forwards reads past its own high watermark)
      let total = 0;
      for (let p = 0; p < 3; p++) total += (await get(c.url(n), `/v1/topics/orders/partitions/${p}/messages?offset=0`)).body.messages.length;
      expect(total).toBe(90);
    }

    // with forwarding off, a broker that does not lead a partition names the leader
    const led = (await c.view(1)).partitions.find((p) => p.topic === 'orders' && p.leader !== 1)!;
    const direct = await post(c.url(1), '/v1/topics/orders/messages', {value: 1, partition: led.partition}, {'x-mq-no-forward': '1'});
    expect(direct.status).toBe(421);
    expect(direct.body.error).toMatchObject({code: 'NOT_LEADER', written: false, details: {leader: led.leader, leader_url: c.url(led.leader!)}});

    // a client that routes by itself sends each leader its share directly, (from the cached leaders)
    const router = new MqClient({url: c.url(1), routing: 'direct'});
    try {
      const keyed = Array.from({length: 30}, (_, i) => ({key: `k${i % 9}`, value: {i}}));
      const rs = await router.produce('orders', keyed);
      expect(rs.filter((r) => 'error' in r)).toEqual([]);
      // same key, same partition as the broker's own routing
      expect(rs.map((r) => r.partition)).toEqual(produced.body.results.slice(0, 30).map((r: {partition: number}) => r.partition));
    } finally {
      await router.close();
    }

    // a queue group leases from every partition leader through any broker, and acks go back to each leader
    expect((await post(c.url(1), '/v1/groups', {name: 'workers', topics: ['orders'], mode: 'queue'})).status).toBe(201);
    const leaseIds = (r: {body: {messages: Array<{lease_id: string}>}}): string[] => r.body.messages.map((m) => m.lease_id);
    const fetched = await post(c.url(2), '/v1/groups/workers/fetch', {max_messages: 100});
    expect(fetched.body.messages).toHaveLength(100);
    // the next fetch acks the first batch (on each lease's leader) and leases the rest
    const rest = await post(c.url(3), '/v1/groups/workers/fetch', {max_messages: 200, ack: leaseIds(fetched)});
    expect(rest.body.acked).toMatchObject({errors: 0});
    expect(rest.body.acked.results).toHaveLength(100);
    expect(rest.body.messages).toHaveLength(20);
    const acked = await post(c.url(1), '/v1/groups/workers/ack', {lease_ids: leaseIds(rest)});
    expect(acked.body.errors).toBe(0);
    expect((await post(c.url(2), '/v1/groups/workers/fetch', {max_messages: 200})).body.messages).toEqual([]);

    await expectReplicasIdentical(c, 'orders', 3);
    const healthy = await until(async () => {
      const st = (await get(c.url(2), '/status')).body.cluster;
      return st.status === 'healthy' ? st : undefined;
    }, 10 * ELECTION_MAX_MS, 'a healthy cluster in /status');
    expect(healthy).toMatchObject({mode: 'raft', partitions: {leaderless: 0, under_replicated: 0}});
  });

  it('kill -9 the leader under acks=all load: nothing acknowledged is lost, a new leader within 2x the election timeout', async () => {
    const c = (cluster = await LocalCluster.start(3));
    expect((await post(c.url(1), '/v1/topics', {name: 'load', partitions: 1})).status).toBe(201);
    const load = new ProduceLoad(c, {topic: 'load', concurrency: 6, batch: 20});
    load.start();
    await until(() => load.acked.length >= 500, 20_000, 'some acknowledged load');
    const leader = await until(async () => c.leaderOf('load', 0, 1), 5000, 'a leader');
    // a client routing by itself (through a broker that survives), its leader cache filled before the kill
    const router = new MqClient({url: c.url(leader === 1 ? 2 : 1), routing: 'direct'});
    expect((await router.produce('load', [{id: 'router-0', value: 0}]))[0]).not.toHaveProperty('error');
    const killedAt = Date.now();
    await c.kill(leader);
    const survivor = c.live()[0]!.id;
    const next = await until(async () => {
      const l = await c.leaderOf('load', 0, survivor);
      return l !== 0 && l !== leader ? l : 0;
    }, 10 * ELECTION_MAX_MS, 'a new leader');
    const failover = Date.now() - killedAt;
    expect(failover, `new leader ${next} after ${failover} ms`).toBeLessThanOrEqual(2 * ELECTION_MAX_MS);
    // its cached leader is gone: the refused connection wrote nothing, so it asks again and reaches the new one
    const moved = await router.produce('load', [{id: 'router-1', value: 1}]);
    await router.close();
    expect(moved[0], JSON.stringify(moved[0])).toMatchObject({leader: next});
    const ackedBefore = load.acked.length;
    await until(() => load.acked.length > ackedBefore + 200, 20_000, 'writes acknowledged by the new leader');
    await load.stop();

    // the killed broker comes back, catches up, and every replica holds the same log
    await c.startNode(leader);
    await c.waitReady();
    const report = await verifyAcks(c, leader, 'load', 1, load.acked);
    expect(report.lost, JSON.stringify(report.lost.slice(0, 5))).toEqual([]);
    expect(report).toMatchObject({conflictingOffsets: 0, duplicateIds: 0, gaps: 0});
    expect(report.messages).toBeGreaterThanOrEqual(load.acked.length);
    await expectReplicasIdentical(c, 'load', 1);
  });

  it('a zombie leader (SIGSTOP past the election timeout, then SIGCONT) acknowledges nothing that is lost', async () => {
    const c = (cluster = await LocalCluster.start(3));
    expect((await post(c.url(1), '/v1/topics', {name: 'z', partitions: 1})).status).toBe(201);
    const zombie = await until(async () => c.leaderOf('z', 0, 1), 5000, 'a leader');
    // clients pinned to the leader's address, forwarding off
    const pinned = new ProduceLoad(c, {topic: 'z', concurrency: 4, batch: 5, pinned: zombie, noForward: true, timeoutMs: 30_000});
    const others = new ProduceLoad(c, {topic: 'z', concurrency: 2, batch: 5});
    pinned.start();
    others.start();
    await until(() => pinned.acked.length >= 100, 20_000, 'pinned writes');
    c.pause(zombie);
    const survivor = c.nodes.find((n) => n.id !== zombie)!.id;
    await until(async () => {
      const l = await c.leaderOf('z', 0, survivor);
      return l !== 0 && l !== zombie;
    }, 10 * ELECTION_MAX_MS, 'a new leader while the old one is stopped');
    await sleep(ELECTION_MAX_MS);
    c.resume(zombie);
    await sleep(2 * ELECTION_MAX_MS);
    await pinned.stop();
    await others.stop();
    // what the zombie answered after the heal: acknowledged (then present), or NOT_LEADER/503
    expect(pinned.failures.length, 'requests the zombie received while stopped were answered after the heal').toBeGreaterThan(0);
    for (const f of pinned.failures) expect(['NOT_LEADER', 'UNAVAILABLE', 'TIMEOUT'], JSON.stringify(f)).toContain(f.code);
    const report = await verifyAcks(c, survivor, 'z', 1, [...pinned.acked, ...others.acked]);
    expect(report.lost, JSON.stringify(report.lost.slice(0, 5))).toEqual([]);
    expect(report).toMatchObject({conflictingOffsets: 0, duplicateIds: 0, gaps: 0});
    await expectReplicasIdentical(c, 'z', 1);
  });

  it('positive control: with --unsafe-ack-leader-only, a partitioned leader that is then killed loses what it acknowledged, and the check says so', async () => {
    const c = (cluster = await LocalCluster.start(3, {args: () => ['--unsafe-ack-leader-only'], proxies: true}));
    expect((await post(c.url(1), '/v1/topics', {name: 'pc', partitions: 1})).status).toBe(201);
    const leader = await until(async () => c.leaderOf('pc', 0, 1), 5000, 'a leader');
    const load = new ProduceLoad(c, {topic: 'pc', concurrency: 1, batch: 10, pinned: leader, noForward: true});
    await load.send(leader, ['before-0', 'before-1']);
    const followers = c.nodes.filter((n) => n.id !== leader).map((n) => n.id);
    await until(async () => (await c.replica(followers[0]!, 'pc', 0)).messages.length === 2, 5000, 'replicated');
    // the leader is cut off (what it sends now never arrives) but still believes it leads for an election timeout
    c.partition();
    for (let i = 0; i < 5; i++) await load.send(leader, Array.from({length: 10}, (_, k) => `lost-${i}-${k}`));
    expect(load.acked.length).toBe(52);
    await c.kill(leader);
    c.heal();
    await until(async () => ![0, leader].includes(await c.leaderOf('pc', 0, followers[0]!)), 10 * ELECTION_MAX_MS, 'a new leader');
    const report = await verifyAcks(c, followers[0]!, 'pc', 1, load.acked);
    expect(report.lost.map((a) => a.id).sort()).toEqual(load.acked.filter((a) => a.id.startsWith('lost-')).map((a) => a.id).sort());
  });
});
