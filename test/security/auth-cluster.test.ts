import fs from 'node:fs';
import net from 'node:net';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {LocalCluster} from '../../src/bench/local-cluster.js';
import {clusterIdFor} from '../../src/cluster/bootstrap.js';
import {FrameReader, FrameType, encodeFrame, type Frame} from '../../src/cluster/transport/frames.js';
import {PROTOCOL_V1, decodeReject, encodeGreeting, newNonce} from '../../src/cluster/transport/handshake.js';
import {encodeMessages} from '../../src/cluster/transport/message-codec.js';
import {SseReader} from '../helpers/sse.js';
import {waitFor} from '../helpers/broker.js';

const ADMIN = 'cluster-admin-token-0123456789abcdef';

async function call(url: string, method: string, path: string, opts: {token?: string; body?: unknown} = {}): Promise<{status: number; body: any}> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, {method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body)});
  const text = await res.text();
  return {status: res.status, body: text ? JSON.parse(text) : undefined};
}

/**
 * Auth across a real three-broker cluster (processes): tokens live in the replicated metadata, forwarded requests
 * and broker-originated calls keep working with auth on, and the Raft transport refuses an outsider.
 */
describe('auth - a three-broker cluster', () => {
  let c: LocalCluster;
  const ids = [1, 2, 3];

  beforeAll(async () => {
    c = await LocalCluster.start(3, {env: {MQ_ADMIN_TOKEN: ADMIN}});
    const created = await call(c.url(1), 'POST', '/v1/topics', {token: ADMIN, body: {name: 'orders', partitions: 3}});
    expect(created.status).toBe(201);
    await waitFor(async () => (await Promise.all(ids.map((id) => call(c.url(id), 'GET', '/v1/topics/orders', {token: ADMIN})))).every((r) => r.status === 200), {what: 'orders on every broker'});
  }, 60_000);
  afterAll(async () => c?.destroy());

  test('auth - a token created on one broker works on every broker, through forwarding to partition leaders', async () => {
    const created = await call(c.url(2), 'POST', '/v1/tokens', {token: ADMIN, body: {name: 'P1', grants: ['produce:orders', 'consume:orders']}});
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    for (const id of ids) {
      // every broker learns it from the metadata log; keys spread the batch over partitions led by different brokers
      const batch = {messages: [0, 1, 2, 3, 4, 5].map((i) => ({key: `k${i}`, value: `from-${id}-${i}`}))};
      const r = await waitFor(async () => {
        const res = await call(c.url(id), 'POST', '/v1/topics/orders/messages', {token, body: batch});
        return res.status === 401 ? undefined : res;
      }, {what: `P1 known on broker ${id}`});
      expect(r!.status).toBe(200);
      expect(r!.body.errors).toBe(0);
      expect((await call(c.url(id), 'POST', '/v1/topics/payments/messages', {token, body: {value: 1}})).status).toBe(403);
      expect((await call(c.url(id), 'POST', '/v1/topics/orders/messages', {body: {value: 1}})).status).toBe(401);
    }
    // a broker signature that is not made with the cluster secret does not stand in for a token
    const forged = await fetch(`${c.url(1)}/v1/topics/orders/messages`, {
      method: 'POST',
      headers: {'content-type': 'application/json', 'x-mq-peer-auth': `${Date.now()}.${'0'.repeat(64)}`},
      body: '{"value":"forged"}',
    });
    expect(forged.status).toBe(401);
    // reads forwarded to each partition's leader (a read past a follower's high watermark) carry on too
    for (const p of [0, 1, 2]) expect((await call(c.url(1), 'GET', `/v1/topics/orders/partitions/${p}/messages?wait_ms=0`, {token})).status).toBe(200);
  });

  test('auth - an ephemeral token issued by one broker opens a stream on another (stateless, cluster-secret HMAC)', async () => {
    const created = await call(c.url(1), 'POST', '/v1/tokens', {token: ADMIN, body: {name: 'reader', grants: ['consume:orders']}});
    const eph = await call(c.url(1), 'POST', '/v1/tokens/ephemeral', {token: created.body.token, body: {topic: 'orders', ttl_ms: 60_000}});
    expect(eph.status).toBe(201);
    const sse = new SseReader(`${c.url(3)}/v1/topics/orders/stream?access_token=${encodeURIComponent(eph.body.token)}`);
    await sse.open();
    expect(sse.status).toBe(200);
    await waitFor(() => sse.events.length >= 18, {what: 'every produced message on the stream'});
    sse.close();
  });

  test('auth - a queue group fetch fans out to the other leaders with auth on (signed broker-to-broker calls)', async () => {
    const created = await call(c.url(1), 'POST', '/v1/tokens', {token: ADMIN, body: {name: 'worker', grants: ['consume:orders']}});
    const token = created.body.token as string;
    await waitFor(async () => (await call(c.url(2), 'POST', '/v1/groups', {token, body: {name: 'workers', topics: ['orders'], mode: 'queue'}})).status < 300, {what: 'queue group created'});
    const got: unknown[] = [];
    await waitFor(async () => {
      const r = await call(c.url(2), 'POST', '/v1/groups/workers/fetch', {token, body: {max_messages: 100, wait_ms: 0}});
      expect(r.status).toBe(200);
      got.push(...r.body.messages);
      return got.length >= 18;
    }, {what: 'leases from every partition'});
    expect(new Set(got.map((m) => (m as {partition: number}).partition))).toEqual(new Set([0, 1, 2]));
  });

  test('auth - acks on every partition leader write receipts across brokers with auth on', async () => {
    expect((await call(c.url(1), 'POST', '/v1/topics', {token: ADMIN, body: {name: 'jobs', partitions: 3}})).status).toBe(201);
    const created = await call(c.url(1), 'POST', '/v1/tokens', {token: ADMIN, body: {name: 'svc', grants: ['produce:jobs', 'consume:jobs', 'receipts:svc']}});
    const token = created.body.token as string;
    await waitFor(async () => (await call(c.url(3), 'POST', '/v1/groups', {token, body: {name: 'jobbers', topics: ['jobs'], mode: 'queue'}})).status < 300, {what: 'queue group'});
    const batch = {messages: Array.from({length: 9}, (_, i) => ({key: `j${i}`, producer: 'svc', id: `job-${i}`, value: i}))};
    expect((await call(c.url(3), 'POST', '/v1/topics/jobs/messages', {token, body: batch})).body.errors).toBe(0);
    const leases: string[] = [];
    await waitFor(async () => {
      const r = await call(c.url(3), 'POST', '/v1/groups/jobbers/fetch', {token, body: {max_messages: 100, wait_ms: 0}});
      leases.push(...(r.body.messages as Array<{lease_id: string}>).map((m) => m.lease_id));
      return leases.length >= 9;
    }, {what: 'all nine leased'});
    const acked = await call(c.url(3), 'POST', '/v1/groups/jobbers/ack', {token, body: {lease_ids: leases}});
    expect(acked.body.errors).toBe(0);
    const seen = new Set<string>();
    await waitFor(async () => {
      const r = await call(c.url(2), 'GET', '/v1/receipts/svc?wait_ms=500', {token});
      for (const x of r.body.receipts as Array<{id: string}>) seen.add(x.id);
      return seen.size >= 9;
    }, {what: 'nine receipts'});
    expect((await call(c.url(2), 'GET', '/v1/receipts/other', {token})).status).toBe(403);
  });

  test('auth - revoke through one broker takes effect on every broker', async () => {
    const created = await call(c.url(1), 'POST', '/v1/tokens', {token: ADMIN, body: {name: 'doomed', grants: ['produce:orders']}});
    const token = created.body.token as string;
    for (const id of ids) await waitFor(async () => (await call(c.url(id), 'POST', '/v1/topics/orders/messages', {token, body: {value: 'ok'}})).status === 200, {what: `doomed works on ${id}`});
    expect((await call(c.url(3), 'DELETE', '/v1/tokens/doomed', {token: ADMIN})).status).toBe(204);
    for (const id of ids) {
      await waitFor(async () => (await call(c.url(id), 'POST', '/v1/topics/orders/messages', {token, body: {value: 'no'}})).status === 401, {what: `revoked on ${id}`});
    }
    const list = await call(c.url(2), 'GET', '/v1/tokens', {token: ADMIN});
    expect(list.body.tokens.map((t: {name: string}) => t.name)).not.toContain('doomed');
  });

  test('auth - a forged vote and append from outside the cluster (no secret) are refused and change nothing', async () => {
    const before = (await call(c.url(1), 'GET', '/v1/cluster')).body;
    const clusterId = clusterIdFor(Buffer.from(fs.readFileSync(c.secretFile, 'utf8').trim()));
    expect(clusterId).toBe(before.cluster_id);
    const socket = net.connect({host: '127.0.0.1', port: c.node(1).peerPort});
    await new Promise((r) => socket.once('connect', r));
    const frames: Frame[] = [];
    const reader = new FrameReader();
    let closed = false;
    socket.on('data', (d: Buffer) => frames.push(...reader.push(d)));
    socket.on('error', () => {});
    socket.on('close', () => (closed = true));
    // posing as broker 2, with the right cluster id but a guessed secret; then a vote and an append at a huge term
    const hello = {protocol: PROTOCOL_V1, clusterId, from: 2, to: 1, url: 'http://evil', peerUrl: 'tcp://evil', nonce: newNonce()};
    socket.write(encodeFrame(FrameType.HELLO, encodeGreeting('hello', hello, Buffer.from('a guess at the cluster secret'))));
    const term = before.metadata.term + 1000;
    socket.write(encodeFrame(FrameType.MESSAGES, encodeMessages([
      [0, {type: 'vote', from: 2, to: 1, term, lastLogIndex: 1e6, lastLogTerm: term, transfer: true}],
      [0, {type: 'append', from: 2, to: 1, term, prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: []}],
    ])));
    await waitFor(() => closed, {what: 'the broker to close the forged connection'});
    const reject = frames.find((f) => f.type === FrameType.REJECT);
    expect(reject && decodeReject(reject.payload).code).toBe('BAD_AUTH');
    const after = (await call(c.url(1), 'GET', '/v1/cluster')).body;
    expect(after.metadata.term).toBe(before.metadata.term);
    expect(after.metadata.leader).toBe(before.metadata.leader);
    // the transport-level cases (wrong secret, wrong cluster, unknown sender) are in test/cluster/transport.test.ts
  });
});
