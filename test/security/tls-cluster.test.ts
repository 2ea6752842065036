import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {LocalCluster, until} from '../../src/bench/local-cluster.js';
import {MqClient} from '../../src/client/index.js';
import {FrameType, encodeFrame} from '../../src/cluster/transport/frames.js';
import {MqError} from '../../src/errors.js';
import {resolveLbConfig, startLb, type RunningLb} from '../../src/lb/index.js';
import {makeDevCerts, writeDevCerts} from '../../src/security/cert-dev.js';
import {tempDir} from '../helpers/broker.js';

/*
 * Three broker processes with https on the client API and mutual TLS between them (Raft transport and the
 * broker-to-broker HTTP calls), and `mq lb` with its own https in front of them, trusting their CA.
 */

const dir = tempDir('mq-tls-cluster-');
const files = writeDevCerts(path.join(dir, 'certs'), ['localhost', '127.0.0.1', '::1']);
const ca = fs.readFileSync(files.ca, 'utf8');
let cluster: LocalCluster | undefined;
let lb: RunningLb | undefined;
const clients: MqClient[] = [];

function client(url: string, trust = true): MqClient {
  const c = new MqClient({url, ca: trust ? ca : undefined, timeoutMs: 15_000});
  clients.push(c);
  return c;
}

/**
 * Dials a broker's peer port over TLS and sends a HELLO that no broker accepts: a TLS session the broker accepted
 * gets its REJECT frame back ('answered'); one it refused ends without a byte ('refused').
 */
function peerPortOutcome(port: number, identity: {cert?: string; key?: string}): Promise<'answered' | 'refused'> {
  return new Promise((resolve) => {
    const s = tls.connect({host: '127.0.0.1', port, ca, ...identity});
    s.once('secureConnect', () => s.write(encodeFrame(FrameType.HELLO, Buffer.from('not a greeting'))));
    s.once('data', () => (resolve('answered'), s.destroy()));
    s.once('error', () => resolve('refused'));
    s.once('close', () => resolve('refused'));
  });
}

beforeAll(async () => {
  cluster = await LocalCluster.start(3, {tls: {cert: files.cert, key: files.key, ca: files.ca}});
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await lb?.close();
  await cluster?.destroy();
  fs.rmSync(dir, {recursive: true, force: true});
});

describe('a cluster with TLS and peer mTLS', {timeout: 120_000}, () => {
  it('replicates a write to every broker over mutual TLS, forwarding over https', async () => {
    const c = cluster!;
    for (const n of c.nodes) expect(c.url(n.id)).toMatch(/^https:\/\//);
    const view = await c.view(1);
    expect(view.brokers.map((b) => [b.id, b.status])).toEqual([[1, 'self'], [2, 'connected'], [3, 'connected']]);
    expect(view.brokers.every((b) => b.url?.startsWith('https://'))).toBe(true);

    await client(c.url(2)).createTopic({name: 'replicated', partitions: 1, replication_factor: 3});
    // produced through a broker that does not lead the partition: it forwards to the leader over https (peer CA)
    const leader = await until(() => c.leaderOf('replicated', 0, 1), 15_000, 'a leader for replicated/0');
    const via = [1, 2, 3].find((id) => id !== leader)!;
    const [ack] = await client(c.url(via)).produce('replicated', [{id: 'w1', value: {secret: 'over TLS'}}]);
    expect(ack).toMatchObject({partition: 0, offset: 0});
    for (const id of [1, 2, 3]) {
      const r = await until(async () => {
        const rep = await c.replica(id, 'replicated', 0);
        return rep.messages.some((m) => m.id === 'w1' && m.committed) ? rep : undefined;
      }, 15_000, `the write on broker ${id}'s replica`);
      expect(r!.messages.map((m) => m.id)).toEqual(['w1']);
    }
  });

  it('the peer port speaks TLS and admits only certificates signed by the cluster CA', async () => {
    const port = cluster!.node(1).peerPort;
    const rogue = makeDevCerts(['localhost', '127.0.0.1']);
    const [withCert, withoutCert, withRogue] = await Promise.all([
      peerPortOutcome(port, {cert: fs.readFileSync(files.cert, 'utf8'), key: fs.readFileSync(files.key, 'utf8')}),
      peerPortOutcome(port, {}),
      peerPortOutcome(port, {cert: rogue.cert, key: rogue.key}),
    ]);
    expect(withCert).toBe('answered');
    expect(withoutCert).toBe('refused');
    expect(withRogue).toBe('refused');
    await until(() => /refused a peer connection[^\n]*TLS/.test(cluster!.logs(1)) || /TLS[^\n]*refused a peer connection/.test(cluster!.logs(1)), 10_000, 'the refusal in broker 1\'s log');
  });

  it('mq lb serves https in front of the https brokers, trusting their CA', async () => {
    const c = cluster!;
    lb = await startLb(
      resolveLbConfig({
        env: {},
        // checks that a loaded machine cannot fail on time: what is tested is that they pass over https at all
        flags: {listen: '127.0.0.1:0', discover: [c.url(1)], tlsCert: files.cert, tlsKey: files.key, ca: files.ca, healthIntervalMs: 5000, healthTimeoutMs: 5000},
      }),
    );
    expect(lb.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    // discovery (GET /v1/cluster over https) found the three brokers, and a health check (GET /ready) passed on each
    const states = (): string => JSON.stringify(lb!.upstreams.list.map((u) => [u.url, u.health.active, u.health.lastError]));
    await until(() => lb!.upstreams.list.length === 3 && lb!.upstreams.list.every((u) => u.health.lastOkAt !== null), 60_000, 'a good https check of each broker').catch((e: Error) => {
      throw new Error(`${e.message}: ${states()}`);
    });

    const through = client(lb.url);
    await through.createTopic({name: 'via-lb', partitions: 1, replication_factor: 3});
    const acks = await through.produce('via-lb', [{id: 'via-lb-1', value: 1}, {id: 'via-lb-2', value: 2}]);
    expect(acks).toMatchObject([{offset: 0}, {offset: 1}]);
    const page = await through.fetch('via-lb', 0, {offset: 0});
    expect(page.messages.map((m) => m.id)).toEqual(['via-lb-1', 'via-lb-2']);

    const err = await client(lb.url, false).fetch('via-lb', 0, {offset: 0}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MqError);
    expect((err as MqError).code).toBe('TLS_CERT_UNTRUSTED');
  });
});
