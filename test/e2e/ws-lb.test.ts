import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {MqSocket, type ServerFrame} from '../../src/client/ws-socket.js';
import {startLbProcess, type LbProcess} from '../../src/bench/lb-process.js';
import {LocalCluster, sleep, until} from '../../src/bench/local-cluster.js';
import type {StatusModel} from '../../src/observe/status-model.js';

const TOTAL = 400;
const BATCH = 5;

/** Connects through the lb until a broker takes the connection (right after a kill the lb may still try the dead one). */
async function connectThrough(url: string): Promise<MqSocket> {
  for (let i = 0; ; i++) {
    try {
      return await MqSocket.connect(url);
    } catch (error) {
      if (i > 100) throw error;
      await sleep(50);
    }
  }
}

describe('ws - WebSocket through mq lb in front of three brokers', {timeout: 90_000}, () => {
  let c: LocalCluster;
  let lb: LbProcess;

  beforeAll(async () => {
    c = await LocalCluster.start(3);
    lb = await startLbProcess(['--discover', c.url(1), '--health-interval', '100ms', '--health-timeout', '100ms', '--fall', '2', '--rise', '2'], {env: {MQ_LB_DISCOVER_INTERVAL_MS: '200'}});
    await until(async () => (await lb.status()).lb!.upstreams.filter((u) => u.state === 'up').length === 3, 15_000, 'three upstreams up');
  }, 45_000);

  afterAll(async () => {
    if (lb) await lb.stop();
    await c?.destroy();
  });

  it('a subscription survives the death of the broker serving it: the client reconnects through the lb and resumes with nothing lost or repeated', async () => {
    const admin = await connectThrough(lb.url);
    // produce frames in a cluster: routed to the partitions' leaders (auto-created topic, then 3 partitions)
    const created = await fetch(`${lb.url}/v1/topics`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({name: 'chat', partitions: 3})});
    expect(created.status).toBe(201);
    await until(async () => (await c.view(1)).partitions.filter((p) => p.topic === 'chat' && p.leader).length === 3, 10_000, 'leaders');
    admin.ws.terminate();

    // the subscriber: on any close, reconnect through the lb and subscribe from the last position seen
    const got: ServerFrame[] = [];
    let position: string | undefined;
    let reconnects = 0;
    let stopped = false;
    let sub: MqSocket | undefined;
    const follow = (async () => {
      while (!stopped) {
        sub = await connectThrough(lb.url);
        sub.onFrame((f) => {
          if (f.id !== 'feed' || (f.type !== 'message' && f.type !== 'checkpoint')) return;
          if (f.type === 'message') got.push(f);
          position = f.position;
        });
        // refused (no leader known yet, ...): drop this connection and try again
        await sub.subscribe('feed', 'chat', position === undefined ? {} : {from: position}).catch(() => sub!.ws.terminate());
        await sub.closed;
        if (!stopped) reconnects++;
      }
    })();

    // the producer, over its own WebSocket through the lb: a batch is sent again (same ids) until it is answered
    let acked = 0;
    const producer = (async () => {
      let s = await connectThrough(lb.url);
      for (let i = 0; i < TOTAL; i += BATCH) {
        const batch = Array.from({length: BATCH}, (_, k) => ({id: `m-${i + k}`, key: `k${(i + k) % 7}`, value: {seq: i + k}}));
        for (;;) {
          const r = await s.produce('chat', batch).catch((e: unknown) => e as Error);
          if (!(r instanceof Error) && r.errors === 0) break;
          if (s.ws.readyState !== s.ws.OPEN) s = await connectThrough(lb.url);
          else await sleep(50);
        }
        acked = i + BATCH;
        await sleep(5);
      }
      s.ws.terminate();
    })();

    await until(() => got.length >= 100, 20_000, 'messages on the subscription');
    // subscriptions count as streams in a broker's /status: that one serves the subscriber
    const streamsOf = async (id: number): Promise<number> => ((await (await fetch(`${c.url(id)}/status`)).json()) as StatusModel).streams.open;
    const victim = await until(async () => {
      for (const n of c.live()) if ((await streamsOf(n.id)) > 0) return n.id;
      return undefined;
    }, 5000, 'the broker serving the subscription');
    const seenAtKill = got.length;
    await c.kill(victim!);
    await until(() => reconnects >= 1 && got.length >= seenAtKill + 50, 20_000, 'the subscription to resume on another broker');
    await producer;
    expect(acked).toBe(TOTAL);
    await until(() => got.length >= TOTAL, 20_000, 'every produced message on the subscription');
    stopped = true;
    sub?.ws.terminate();
    await follow;

    const messages = got.map((f) => f.message!);
    const ids = messages.map((m) => m.id);
    expect(ids.length - new Set(ids).size).toBe(0);
    expect(new Set(ids)).toEqual(new Set(Array.from({length: TOTAL}, (_, i) => `m-${i}`)));
    for (const p of [0, 1, 2]) {
      const offsets = messages.filter((m) => m.partition === p).map((m) => m.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    process.stdout.write(`ws lb failover: broker ${victim} killed under a WebSocket subscription; ${reconnects} reconnect(s), ${messages.length} messages, no gap, no duplicate\n`);
  });
});
