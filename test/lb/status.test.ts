import {request} from 'undici';
import {afterEach, describe, expect, it} from 'vitest';
import {statusOnce} from '../../src/cli/status-run.js';
import type {RunningLb} from '../../src/lb/index.js';
import {healthOf, type BrokerSnapshot} from '../../src/observe/snapshots.js';
import {appendHistory} from '../../src/tui/history.js';
import {brokersTable, groupsTable, topicsTable} from '../../src/tui/views.js';
import {json, lbStatus, Recorder, startTestLb, until} from './helpers.js';

async function mqStatus(url: string, json_ = false): Promise<{code: number; text: string}> {
  let text = '';
  const code = await statusOnce({urls: [url], json: json_, intervalMs: 100, timeoutMs: 1000, redraw: false, out: (t) => (text += t), err: () => {}, signal: new AbortController().signal});
  return {code, text};
}

describe('lb - health checks and /status', () => {
  let ups: Recorder[] = [];
  let lb: RunningLb | undefined;
  afterEach(async () => {
    await lb?.close();
    lb = undefined;
    await Promise.all(ups.map((u) => u.close()));
    ups = [];
  });

  it('an upstream whose /ready fails `fall` times is taken out, and comes back after `rise` good checks', async () => {
    ups = [await new Recorder(1).listen(), await new Recorder(2).listen()];
    for (const u of ups) u.handle = (_req, res) => json(res, 200, {node: u.nodeId});
    lb = await startTestLb(
      ups.map((u) => u.url),
      {healthIntervalMs: 200, healthTimeoutMs: 200, healthFall: 2, healthRise: 2},
    );
    await until(async () => (await lbStatus(lb!)).lb!.upstreams.every((u) => u.state === 'up'), 5000, 'both up');
    ups[0]!.ready = false;
    await until(async () => (await lbStatus(lb!)).lb!.upstreams[0]!.state === 'down', 5000, 'broker 1 down');
    const before = ups[0]!.seen.length;
    for (let i = 0; i < 6; i++) expect(await (await request(`${lb.url}/v1/topics`)).body.json()).toEqual({node: 2});
    expect(ups[0]!.seen.length).toBe(before);
    const st = await lbStatus(lb);
    expect(st.cluster.status).toBe('degraded');
    expect(st.cluster.brokers.map((b) => [b.id, b.status])).toEqual([[1, 'unreachable'], [2, 'active']]);
    expect(healthOf({url: lb.url, ok: true, status: st, fetchedAt: 0, latencyMs: 0})).toMatchObject({healthy: true, warnings: [expect.stringContaining('is down')]});
    ups[0]!.ready = true;
    await until(async () => (await lbStatus(lb!)).lb!.upstreams[0]!.state === 'up', 5000, 'broker 1 back');
    const seen = new Set<number>();
    for (let i = 0; i < 4; i++) seen.add(((await (await request(`${lb.url}/v1/topics`)).body.json()) as {node: number}).node);
    expect([...seen].sort()).toEqual([1, 2]);
  });

  it('/status is the brokers\' model with node.role lb, and mq status renders it; /health, /ready, 405', async () => {
    ups = [await new Recorder(7).listen()];
    lb = await startTestLb([ups[0]!.url]);
    await until(async () => (await lbStatus(lb!)).lb!.upstreams[0]!.state === 'up', 5000, 'up');
    for (let i = 0; i < 3; i++) await (await request(`${lb.url}/v1/topics/t/messages`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{"messages":[{"value":1},{"value":2}]}'})).body.dump();
    const st = await lbStatus(lb);
    expect(st).toMatchObject({
      schema: 1,
      node: {id: 0, role: 'lb', url: lb.url, state: 'serving'},
      cluster: {status: 'healthy', brokers: [{id: 7, url: ups[0]!.url, status: 'active'}]},
      topics: [],
      groups: [],
      totals: {messages_in: 6},
      lb: {strategy: 'round-robin', requests: expect.any(Number), errors: 0, upstreams: [{url: ups[0]!.url, node_id: 7, state: 'up', requests: 3, responses: {'2xx': 3}}]},
    });
    expect(st.lb!.upstreams[0]!.latency_ms.samples).toBe(3);
    // mq top's views take the lb's snapshot like a broker's: one row, node "lb", its traffic; no topics or groups
    const snaps: BrokerSnapshot[] = [{url: lb.url, ok: true, status: st, fetchedAt: 0, latencyMs: 0}];
    const history = appendHistory(new Map(), snaps);
    const row = brokersTable(snaps, history, 'url', 8).rows;
    expect(row).toHaveLength(1);
    expect(row[0]!.slice(1, 4).map((c) => c.text)).toEqual([lb.url, 'lb', 'serving']);
    expect(topicsTable(snaps, history, 'name', 8).rows).toEqual([]);
    expect(groupsTable(snaps, history, 'name', 8).rows).toEqual([]);
    const text = await mqStatus(lb.url);
    expect(text.code).toBe(0);
    expect(text.text).toContain('UPSTREAM');
    expect(text.text).toContain(ups[0]!.url);
    expect(await (await request(`${lb.url}/health`)).body.json()).toEqual({status: 'ok', role: 'lb'});
    expect((await request(`${lb.url}/ready`)).statusCode).toBe(200);
    const post = await request(`${lb.url}/status`, {method: 'POST'});
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET');
    await post.body.dump();
    // no healthy upstream: unhealthy for mq status (exit 4) and for an outer load balancer (/ready 503)
    ups[0]!.ready = false;
    await until(async () => (await lbStatus(lb!)).lb!.upstreams[0]!.state === 'down', 5000, 'down');
    expect((await mqStatus(lb.url)).code).toBe(4);
    const ready = await request(`${lb.url}/ready`);
    expect(ready.statusCode).toBe(503);
    expect(await ready.body.json()).toEqual({ready: false, reason: 'no healthy upstream'});
  });
});
