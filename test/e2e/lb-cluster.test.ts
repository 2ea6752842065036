import {Pool} from 'undici';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ProduceLoad, verifyAcks} from '../../src/bench/cluster-load.js';
import {startLbProcess, type LbProcess} from '../../src/bench/lb-process.js';
import {electionTimeoutMaxMs, FAST_TIMINGS, LocalCluster, sleep, until} from '../../src/bench/local-cluster.js';
import {SseReader, type SseEvent} from '../helpers/sse.js';

const ELECTION_MAX_MS = electionTimeoutMaxMs(FAST_TIMINGS);
const HEALTH_INTERVAL_MS = 100;
const HEALTH_FALL = 2;
/** The bound on the error burst: the longest election, the checks that take a dead broker out, and 1 s. */
const BURST_BOUND_MS = ELECTION_MAX_MS + HEALTH_FALL * HEALTH_INTERVAL_MS + 1000;

describe('lb - three brokers behind mq lb', {timeout: 90_000}, () => {
  let c: LocalCluster;
  let lb: LbProcess;
  let pool: Pool;
  const upstreamOf = async (id: number): Promise<{requests: number; state: string} | undefined> => (await lb.status()).lb!.upstreams.find((u) => u.url === c.url(id));

  beforeAll(async () => {
    c = await LocalCluster.start(3);
    lb = await startLbProcess(['--discover', c.url(1), '--health-interval', `${HEALTH_INTERVAL_MS}ms`, '--health-timeout', `${HEALTH_INTERVAL_MS}ms`, '--fall', String(HEALTH_FALL), '--rise', '2'], {
      env: {MQ_LB_DISCOVER_INTERVAL_MS: '200'},
    });
    pool = new Pool(lb.url, {connections: 16});
    await until(async () => (await lb.status()).lb!.upstreams.filter((u) => u.state === 'up').length === 3, 15_000, 'three upstreams up');
  }, 45_000);

  afterAll(async () => {
    await pool?.close();
    if (lb) expect(await lb.stop()).toBe(0); // SIGTERM drains and exits 0
    await c?.destroy();
  });

  it('kill -9 a broker under load: no acknowledged loss, nothing written twice, a short error burst, and it gets traffic again when it returns', async () => {
    const created = await pool.request({method: 'POST', path: '/v1/topics', headers: {'content-type': 'application/json'}, body: JSON.stringify({name: 'orders', partitions: 3})});
    expect(created.statusCode).toBe(201);
    await created.body.dump();
    await until(async () => (await c.view(1)).partitions.filter((p) => p.topic === 'orders' && p.leader).length === 3, 10_000, 'leaders');
    // six producers through the lb, every request 10 messages; odd loops send no ids (the lb must never repeat those)
    const load = new ProduceLoad(c, {topic: 'orders', concurrency: 6, batch: 10, pauseMs: 5, timeoutMs: 15_000, url: lb.url, withoutIds: (w) => w % 2 === 1});
    load.start();
    await until(() => load.acked.length >= 300, 20_000, 'acknowledged load');
    const victim = await c.leaderOf('orders', 0, 1);
    const killedAt = Date.now();
    await c.kill(victim);
    await until(async () => (await lb.status()).lb!.upstreams.filter((u) => u.state === 'up').length === 2, 10_000, 'the lb to take the dead broker out');
    const ackedAtKill = load.acked.length;
    await until(() => load.acked.length >= ackedAtKill + 300, 20_000, 'load to continue on two brokers');
    // observe well past the bound before the broker returns (its return moves leaders back: a separate event)
    await until(() => Date.now() >= killedAt + 2 * BURST_BOUND_MS, 3 * BURST_BOUND_MS, 'the observation window');

    // it comes back (on a new port: discovery follows), passes its checks and is sent requests again
    const restartedAt = Date.now();
    await c.startNode(victim);
    await until(async () => (await upstreamOf(victim))?.state === 'up', 15_000, 'the restarted broker up at the lb');
    const before = (await upstreamOf(victim))!.requests;
    await until(async () => (await upstreamOf(victim))!.requests > before + 20, 15_000, 'traffic to the restarted broker');
    await load.stop();

    const afterKill = load.failures.filter((f) => f.at < restartedAt);
    const afterReturn = load.failures.filter((f) => f.at >= restartedAt);
    const burst = afterKill.length === 0 ? 0 : Math.max(...afterKill.map((f) => f.at)) - killedAt;
    const codes = (fs: typeof afterKill): string => [...new Set(fs.map((f) => f.code))].join(',') || '-';
    const st = await lb.status();
    process.stdout.write(
      `lb failover: broker ${victim} killed; ${afterKill.length} failed message(s) or request(s) (codes ${codes(afterKill)}); ` +
        `error burst ${burst} ms after the kill (bound ${BURST_BOUND_MS} ms = election max ${ELECTION_MAX_MS} + ${HEALTH_FALL} x ${HEALTH_INTERVAL_MS} ms + 1 s); ` +
        `after it returned: ${afterReturn.length} (${codes(afterReturn)}); lb retries ${st.lb!.retries}, lb errors ${st.lb!.errors}; ${load.acked.length} messages acknowledged\n`,
    );
    expect(burst).toBeLessThanOrEqual(BURST_BOUND_MS);
    expect(load.failures.every((f) => f.at >= killedAt)).toBe(true);

    // no acknowledged message lost; none stored twice (the lb never repeated a write without ids); no holes
    const report = await verifyAcks(c, c.live().find((n) => n.id !== victim)!.id, 'orders', 3, load.acked);
    expect(report.lost).toEqual([]);
    expect(report).toMatchObject({conflictingOffsets: 0, duplicateIds: 0, gaps: 0});
    expect(report.messages).toBeGreaterThanOrEqual(load.acked.length);
  });

  it('an SSE stream through the lb survives the death of the broker serving it: resumed with Last-Event-ID, no gap, no duplicate', async () => {
    const created = await pool.request({method: 'POST', path: '/v1/topics', headers: {'content-type': 'application/json'}, body: JSON.stringify({name: 'feed', partitions: 2})});
    expect(created.statusCode).toBe(201);
    await created.body.dump();
    const events: SseEvent[] = [];
    let reconnects = 0;
    let reader: SseReader | undefined;
    let closed = false;
    // what a browser's EventSource does: reconnect after the stream ends, with the last event id it saw
    const follow = async (): Promise<void> => {
      while (!closed) {
        const last = [...events].reverse().find((e) => e.id !== undefined)?.id;
        reader = new SseReader(`${lb.url}/v1/topics/feed/stream?from=earliest`, last ? {'last-event-id': last} : {});
        await reader.open((e) => void (e.event === 'message' && events.push(e))).catch(() => undefined);
        await reader.finished();
        if (!closed) {
          reconnects++;
          await sleep(100);
        }
      }
    };
    const following = follow();
    let produced = 0;
    let producing = true;
    const producer = (async () => {
      for (let i = 0; producing; i++) {
        // until acknowledged, with the same id: the broker keeps it once
        for (;;) {
          const r = await pool.request({method: 'POST', path: '/v1/topics/feed/messages', headers: {'content-type': 'application/json'}, body: JSON.stringify({id: `f-${i}`, key: `k${i % 5}`, value: {w: 0, seq: i}})});
          await r.body.dump();
          if (r.statusCode === 200) break;
          await sleep(50);
        }
        produced = i + 1;
        await sleep(10);
      }
    })();
    await until(() => events.length >= 50, 15_000, 'events through the lb');
    const serving = await until(async () => (await lb.status()).lb!.upstreams.find((u) => u.open_streams > 0)?.url, 5000, 'the broker serving the stream');
    const victim = c.live().find((n) => c.url(n.id) === serving)!.id;
    const seenAtKill = events.length;
    await c.kill(victim);
    await until(() => reconnects >= 1 && events.length >= seenAtKill + 50, 15_000, 'the stream to resume on another broker');
    producing = false;
    await producer;
    await until(() => events.length >= produced, 15_000, 'every produced message on the stream');
    closed = true;
    reader?.close();
    await following;

    const got = events.map((e) => JSON.parse(e.data) as {partition: number; offset: number; id: string});
    const ids = got.map((m) => m.id);
    expect(ids.length - new Set(ids).size).toBe(0);
    expect(new Set(ids)).toEqual(new Set(Array.from({length: produced}, (_, i) => `f-${i}`)));
    for (const p of [0, 1]) {
      const offsets = got.filter((m) => m.partition === p).map((m) => m.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    process.stdout.write(`lb stream failover: broker ${victim} killed under an SSE stream; ${reconnects} reconnect(s), ${got.length} events, no gap, no duplicate\n`);
  });
});
