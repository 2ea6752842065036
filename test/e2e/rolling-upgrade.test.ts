import {request} from 'undici';
import {afterAll, describe, expect, it} from 'vitest';
import {ProduceLoad, verifyAcks} from '../../src/bench/cluster-load.js';
import {LocalCluster, until} from '../../src/bench/local-cluster.js';
import {PROTOCOL_VERSION_MAX} from '../../src/cluster/transport/handshake.js';
import type {StatusModel} from '../../src/observe/status-model.js';

/*
 * A rolling upgrade, simulated: three broker processes start as the previous release (--peer-protocol 1, a broker
 * that speaks only the first peer protocol), then each in turn is stopped and started as this one, under a produce
 * load. The mixed cluster keeps serving throughout, each connection on the highest version both ends speak.
 */
let cluster: LocalCluster | undefined;
afterAll(async () => {
  await cluster?.destroy();
});

async function status(c: LocalCluster, id: number): Promise<StatusModel> {
  const r = await request(`${c.url(id)}/status`);
  return (await r.body.json()) as StatusModel;
}

/** "1-2:1": broker 1's connection to broker 2 speaks version 1, as broker 1's /status says. */
async function protocols(c: LocalCluster): Promise<string[]> {
  const out: string[] = [];
  for (const n of c.live()) {
    for (const b of (await status(c, n.id)).cluster.brokers) if (b.id !== n.id) out.push(`${n.id}-${b.id}:${b.protocol}`);
  }
  return out.sort();
}

describe('rolling upgrade', {timeout: 120_000}, () => {
  it('versions - brokers of the old and the new peer protocol form one cluster that keeps serving while each is upgraded in turn', async () => {
    const old = new Set([1, 2, 3]);
    const c = (cluster = await LocalCluster.start(3, {
      args: (id) => (old.has(id) ? ['--peer-protocol', '1'] : []),
      // requests still open when a broker stops are cut after 2 s, not the default 10 s (the load retries them)
      env: {MQ_SHUTDOWN_TIMEOUT_MS: '2000'},
    }));
    const created = await request(`${c.url(1)}/v1/topics`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({name: 'up', partitions: 3})});
    expect(created.statusCode).toBe(201);
    await created.body.dump();
    expect((await status(c, 1)).node.peer_protocol).toEqual({min: 1, max: 1});
    await until(async () => (await protocols(c)).every((p) => p.endsWith(':1')), 15_000, 'an all-version-1 mesh');

    let restarting = 0;
    const load = new ProduceLoad(c, {topic: 'up', concurrency: 3, batch: 10, avoid: () => [restarting]});
    load.start();
    await until(() => load.acked.length >= 200, 20_000, 'acknowledged load on the old release');

    for (const id of [1, 2, 3]) {
      restarting = id;
      // SIGTERM: the broker hands what it leads to a caught-up replica first, as a rolling restart does
      await c.kill(id, 'SIGTERM');
      old.delete(id);
      await c.startNode(id);
      await c.waitReady();
      restarting = 0;
      const ackedNow = load.acked.length;
      await until(() => load.acked.length >= ackedNow + 100, 20_000, `acknowledged load after broker ${id} was upgraded`);
      // every connection speaks version 2 between upgraded brokers, version 1 with a broker not upgraded yet
      const want = c.nodes.flatMap((a) => c.nodes.filter((b) => b.id !== a.id).map((b) => `${a.id}-${b.id}:${old.has(a.id) || old.has(b.id) ? 1 : PROTOCOL_VERSION_MAX}`)).sort();
      await until(async () => JSON.stringify(await protocols(c)) === JSON.stringify(want), 15_000, `connections ${want.join(' ')}`);
    }
    await load.stop();

    // what failed while a broker restarted was refused (written: false) or may be retried by id: nothing was
    // acknowledged and then lost, and no offset was given twice
    const report = await verifyAcks(c, 1, 'up', 3, load.acked);
    expect(report.lost, JSON.stringify(report.lost.slice(0, 5))).toEqual([]);
    expect(report).toMatchObject({conflictingOffsets: 0, gaps: 0});
    expect((await status(c, 3)).node.peer_protocol?.max).toBe(PROTOCOL_VERSION_MAX);
  });
});
