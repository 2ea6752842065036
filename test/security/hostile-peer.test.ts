import net from 'node:net';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {FrameReader, FrameType, encodeFrame, type Frame} from '../../src/cluster/transport/frames.js';
import {decodeReject, encodeGreeting, newNonce, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN} from '../../src/cluster/transport/handshake.js';
import {encodeMessages} from '../../src/cluster/transport/message-codec.js';
import {startTestBroker, waitFor, type TestBroker} from '../helpers/broker.js';
import {expectAllIntact, expectErrorBody, type Acked} from './hostile-kit.js';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Sends `bytes` to the peer port; resolves with the frames that came back once the broker closes the connection. */
function peerExchange(port: number, bytes: Buffer[]): Promise<Frame[]> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const reader = new FrameReader();
    const frames: Frame[] = [];
    s.on('data', (d: Buffer) => {
      try {
        frames.push(...reader.push(d));
      } catch {
        // what the broker sent is not ours to judge here; it closes next
      }
    });
    s.on('error', () => {});
    s.on('close', () => resolve(frames));
    for (const b of bytes) s.write(b);
  });
}

interface ClusterView {
  cluster_id: string;
  metadata: {leader: number; term: number; voters: number[]};
  brokers: Array<{id: number}>;
}

/**
 * Forged peer traffic against a broker that is a (one-member) cluster, so it listens for peers and holds a cluster
 * secret: malformed and unauthenticated handshakes are closed without changing Raft state, and a forged internal
 * write (x-mq-internal-auth with a guessed MAC) cannot reach an internal topic.
 */
describe('hostile peers - forged RPCs are refused and change nothing', () => {
  let b: TestBroker;
  let peerPort: number;
  let before: ClusterView;
  const acked: Acked[] = [];
  const view = async (): Promise<ClusterView> => (await (await fetch(`${b.url}/v1/cluster`)).json()) as ClusterView;

  beforeAll(async () => {
    peerPort = await freePort();
    b = await startTestBroker({bootstrap: `1@127.0.0.1:${peerPort}`, peerListen: `127.0.0.1:${peerPort}`, unsafeNoFsync: true});
    before = (await waitFor(async () => {
      const v = await view();
      return v.metadata?.leader === 1 ? v : undefined;
    }, {what: 'the one-broker cluster to elect itself'}))!;
    await b.client.createTopic({name: 'kept', partitions: 1});
    const rs = await b.client.produce('kept', [{key: 'k', value: 'v'}]);
    acked.push({topic: 'kept', ...(rs[0] as {partition: number; offset: number}), value: '"v"', key: 'k'});
  });

  afterAll(async () => {
    await b.stop({purge: true});
  });

  const hello = (over: Record<string, unknown> = {}): Buffer =>
    encodeFrame(
      FrameType.HELLO,
      encodeGreeting('hello', {protocol: 0, range: {min: PROTOCOL_VERSION_MIN, max: PROTOCOL_VERSION_MAX}, clusterId: before.cluster_id, from: 2, to: 1, url: 'http://evil.example', peerUrl: 'tcp://evil.example:1', nonce: newNonce(), ...over}, Buffer.from('a guess at the cluster secret')),
    );
  const vote = (): Buffer => encodeFrame(FrameType.MESSAGES, encodeMessages([[0, {type: 'vote', from: 2, to: 1, term: before.metadata.term + 1000, lastLogIndex: 1e6, lastLogTerm: before.metadata.term + 1000, transfer: true}]]));

  const cases: Record<string, () => Buffer[]> = {
    'an HTTP request on the peer port': () => [Buffer.from('GET /v1/cluster HTTP/1.1\r\nHost: x\r\n\r\n')],
    'a frame header claiming 4 GiB': () => [Buffer.from([0xff, 0xff, 0xff, 0xff, FrameType.HELLO])],
    'an unknown frame type': () => [Buffer.from([0, 0, 0, 1, 0x7f])],
    'a vote before any handshake': () => [vote()],
    'a truncated HELLO': () => [hello().subarray(0, 20)],
    'a HELLO with a guessed secret, then a vote at a huge term': () => [hello(), vote()],
    'a HELLO from this broker\'s own id': () => [hello({from: 1})],
    'a HELLO naming another cluster': () => [hello({clusterId: 'f'.repeat(16)})],
    'a WELCOME sent by the dialer': () => [encodeFrame(FrameType.WELCOME, hello().subarray(5))],
  };

  for (const [name, bytes] of Object.entries(cases)) {
    it(`closes ${name}; Raft state is unchanged and the broker serves`, async () => {
      const frames = await peerExchange(peerPort, bytes());
      // anything the broker says before closing is a REJECT with a reason, never a WELCOME or messages
      for (const f of frames) expect(f.type).toBe(FrameType.REJECT);
      const reject = frames[0] && decodeReject(frames[0].payload);
      if (reject) expect(reject.code).toMatch(/^(PROTOCOL_ERROR|FRAME_TOO_LARGE|BAD_AUTH|UNKNOWN_PEER|CLUSTER_MISMATCH|WRONG_NODE|WRONG_DIRECTION|PROTOCOL_MISMATCH)$/);
      const after = await view();
      expect(after.metadata.term).toBe(before.metadata.term);
      expect(after.metadata.leader).toBe(1);
      expect(after.brokers.map((x) => x.id)).toEqual([1]);
      expect((await b.client.health()).status).toBe('ok');
    });
  }

  const forged: Record<string, string> = {
    'a MAC of the right shape but a guessed key': 'ab'.repeat(32),
    'a MAC that is not hex': 'zz'.repeat(32),
    'an empty MAC': '',
  };
  for (const [name, mac] of Object.entries(forged)) {
    it(`a write to __receipts with ${name} in x-mq-internal-auth is 400 INVALID_TOPIC_NAME, written: false`, async () => {
      const res = await fetch(`${b.url}/v1/topics/__receipts/messages`, {method: 'POST', headers: {'content-type': 'application/json', 'x-mq-internal-auth': mac}, body: '{"value":{"forged":true}}'});
      expect(res.status).toBe(400);
      expectErrorBody(await res.text(), 'INVALID_TOPIC_NAME');
    });
  }

  it('kept the acknowledged message; the internal topic holds nothing forged', async () => {
    await expectAllIntact(b.client, acked);
    const d = (await (await fetch(`${b.url}/v1/topics`)).json()) as {topics: Array<{name: string}>};
    expect(d.topics.map((t) => t.name)).toEqual(['kept']);
  });
});
