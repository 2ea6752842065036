import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {afterEach, describe, expect, test} from 'vitest';
import type {Message, NodeId} from '../../src/cluster/raft/index.js';
import {FrameReader, FrameType, encodeFrame, type Frame} from '../../src/cluster/transport/frames.js';
import {PROTOCOL_V1, PROTOCOL_RANGE, checkHello, decodeReject, encodeGreeting, newNonce, type Greeting} from '../../src/cluster/transport/handshake.js';
import {decodeMessages, encodeMessages} from '../../src/cluster/transport/message-codec.js';
import {type RejectEvent, type TcpTransport} from '../../src/cluster/transport/tcp-transport.js';
import type {GroupMessage} from '../../src/cluster/transport/types.js';
import {connected, mesh, useTransports, waitUntil} from '../helpers/transport.js';

const HOST = '127.0.0.1';
const SECRET = Buffer.from('test-secret-test-secret-32-bytes');
const CLUSTER = 'test-cluster';
const rawSockets: net.Socket[] = [];
const rawServers: net.Server[] = [];
const start = useTransports({clusterId: CLUSTER, secret: SECRET});
const waitFor = waitUntil;

afterEach(async () => {
  for (const s of rawSockets.splice(0)) s.destroy();
  await Promise.all(rawServers.splice(0).map((s) => new Promise((r) => s.close(r))));
});





function inbox(t: TcpTransport): Array<[NodeId, GroupMessage[]]> {
  const got: Array<[NodeId, GroupMessage[]]> = [];
  t.onMessages((from, msgs) => got.push([from, msgs]));
  return got;
}

function rejects(t: TcpTransport): RejectEvent[] {
  const got: RejectEvent[] = [];
  t.onReject((ev) => got.push(ev));
  return got;
}

/** One message of every type from `from` to `to`, in groups 0..9. */
function everyType(from: NodeId, to: NodeId, term = 3): GroupMessage[] {
  const env = {from, to, term};
  const data = new Uint8Array([from, to, 0, 255]);
  const msgs: Message[] = [
    {type: 'vote', ...env, lastLogIndex: 10, lastLogTerm: 2, transfer: false},
    {type: 'preVote', ...env, lastLogIndex: 2 ** 40, lastLogTerm: 2, transfer: true},
    {type: 'voteResp', ...env, reject: false},
    {type: 'preVoteResp', ...env, reject: true},
    {type: 'append', ...env, prevLogIndex: 9, prevLogTerm: 2, commit: 8, entries: [{index: 10, term: 3, type: 'normal', data}, {index: 11, term: 3, type: 'config', data}, {index: 12, term: 3, type: 'noop', data: new Uint8Array()}]},
    {type: 'appendResp', ...env, index: 9, reject: true, hintIndex: 5, hintTerm: 1},
    {type: 'heartbeat', ...env, commit: 7},
    {type: 'heartbeatResp', ...env},
    {type: 'snapshot', ...env, snapshot: {metadata: {index: 100, term: 3, confState: {voters: [1, 2, 3], learners: [4]}}, data: new Uint8Array(5000).fill(9)}},
    {type: 'timeoutNow', ...env},
  ];
  return msgs.map((m, i): GroupMessage => [i, m]);
}

/** A hand-driven peer speaking the wire protocol, to test what a well-behaved transport never sends. */
class RawPeer {
  readonly frames: Frame[] = [];
  readonly reader = new FrameReader();
  closed = false;

  constructor(readonly socket: net.Socket) {
    rawSockets.push(socket);
    socket.on('data', (c: Buffer) => this.frames.push(...this.reader.push(c)));
    socket.on('error', () => {});
    socket.on('close', () => (this.closed = true));
  }

  static async dial(port: number): Promise<RawPeer> {
    const s = net.connect({host: HOST, port});
    await new Promise((r) => s.once('connect', r));
    return new RawPeer(s);
  }

  async next(type: FrameType): Promise<Frame> {
    return waitFor(() => this.frames.find((f) => f.type === type), `a frame of type ${type}`);
  }

  /** Writes in pieces of `step` bytes, each in its own write, waiting for each to be flushed. */
  async write(b: Buffer, step = b.length): Promise<void> {
    for (let o = 0; o < b.length; o += step) await new Promise((r) => this.socket.write(b.subarray(o, o + step), r));
  }

  async hello(g: Partial<Greeting> & {to: NodeId}, secret = SECRET, step?: number): Promise<void> {
    const greeting: Greeting = {protocol: PROTOCOL_V1, clusterId: CLUSTER, from: 1, url: 'http://raw', peerUrl: 'tcp://raw', nonce: newNonce(), ...g};
    await this.write(encodeFrame(FrameType.HELLO, encodeGreeting('hello', greeting, secret)), step);
  }
}

/** A raw acceptor posing as node `self`: answers one HELLO with a WELCOME, then does what `after` says. */
async function rawAcceptor(self: NodeId, after: (peer: RawPeer) => void): Promise<{port: number; peers: RawPeer[]}> {
  const peers: RawPeer[] = [];
  const server = net.createServer((socket) => {
    const p = new RawPeer(socket);
    peers.push(p);
    void p.next(FrameType.HELLO).then((f) => {
      const r = checkHello(f.payload, {clusterId: CLUSTER, secret: SECRET, self, isPeer: () => true});
      if (!r.ok) throw new Error(r.message);
      // laid out as the HELLO was, with the version the check agreed on
      const welcome: Greeting = {protocol: r.protocol, clusterId: CLUSTER, from: self, to: r.greeting.from, url: 'http://raw', peerUrl: 'tcp://raw', nonce: newNonce(), ...(r.greeting.range ? {range: PROTOCOL_RANGE} : {})};
      socket.write(encodeFrame(FrameType.WELCOME, encodeGreeting('welcome', welcome, SECRET, r.greeting.nonce)));
      after(p);
    });
  });
  rawServers.push(server);
  await new Promise<void>((r) => server.listen(0, HOST, r));
  return {port: (server.address() as net.AddressInfo).port, peers};
}

describe('tcp transport', () => {
  test('tcp transport - three brokers exchange messages of every type over one connection per pair', async () => {
    const ts = [await start(1), await start(2), await start(3)];
    const inboxes = ts.map(inbox);
    const infos: Array<[NodeId, NodeId, string]> = [];
    for (const t of ts) t.onPeerInfo((peer, info) => infos.push([t.nodeId, peer, info.url]));
    mesh(ts);
    await waitFor(() => ts.every((t) => t.peers().every((p) => p.connected)), 'a full mesh');

    for (const t of ts) t.send(new Map(ts.filter((o) => o !== t).map((o) => [o.nodeId, everyType(t.nodeId, o.nodeId)])));
    await waitFor(() => inboxes.every((b) => b.length === 2), 'every delivery');
    for (const [i, t] of ts.entries()) {
      const got = new Map(inboxes[i]!);
      for (const o of ts) if (o !== t) expect(got.get(o.nodeId), `${o.nodeId} -> ${t.nodeId}`).toEqual(everyType(o.nodeId, t.nodeId));
    }

    // One socket per pair: each broker holds two open connections and sent one frame to each peer.
    for (const t of ts) {
      expect(t.connections()).toEqual({open: 2, handshaking: 0, closing: 0});
      for (const p of t.peers()) expect([p.connects, p.sentFrames, p.receivedFrames >= 1, p.dialer]).toEqual([1, 1, true, t.nodeId < p.id]);
    }
    expect(ts[0]!.peerInfo(3)).toEqual({url: 'http://broker-3', peerUrl: 'tcp://broker-3'});
    expect(ts[2]!.peerInfo(1)).toEqual({url: 'http://broker-1', peerUrl: 'tcp://broker-1'});
    expect(infos).toHaveLength(6);
  });

  test('tcp transport - messages not from the connection peer or not for this node are dropped and counted', async () => {
    const [a, b] = [await start(1), await start(2)];
    const got = inbox(b);
    mesh([a, b]);
    await waitFor(() => connected(a, 2), 'connection');
    const good = everyType(1, 2).slice(0, 1);
    a.send(new Map([[2, [...good, [0, {type: 'heartbeatResp', from: 3, to: 2, term: 1}], [0, {type: 'heartbeatResp', from: 1, to: 3, term: 1}]]]]));
    await waitFor(() => got.length === 1, 'delivery');
    expect(got[0]).toEqual([1, good]);
    expect(b.peers()[0]!.droppedMessages).toBe(2);
  });

  test('tcp transport - messages to a disconnected or unknown peer are dropped and reported unreachable', async () => {
    const a = await start(1);
    const unreachable: NodeId[] = [];
    a.onUnreachable((p) => unreachable.push(p));
    a.setPeer(2, {host: HOST, port: 1});
    a.send(new Map([[2, everyType(1, 2)], [9, everyType(1, 9)]]));
    expect(unreachable).toEqual([2, 9]);
    expect(a.peers()[0]!.droppedFrames).toBe(1);
  });

  test('tcp transport - a wrong cluster id is refused, with the reason on both sides', async () => {
    const [a, b] = [await start(1, {clusterId: 'other'}), await start(2)];
    const [ra, rb] = [rejects(a), rejects(b)];
    mesh([a, b]);
    await waitFor(() => ra.length > 0 && rb.length > 0, 'rejects');
    expect(rb[0]).toMatchObject({direction: 'sent', code: 'CLUSTER_MISMATCH', peer: 1});
    expect(ra[0]).toMatchObject({direction: 'received', code: 'CLUSTER_MISMATCH', peer: 2});
    expect(ra[0]!.message).toMatch(/cluster 'other' is not 'test-cluster'/);
    expect(a.peers()[0]).toMatchObject({connected: false, lastReject: {code: 'CLUSTER_MISMATCH'}});
    expect(a.peers()[0]!.rejects).toBeGreaterThanOrEqual(1);
    expect(connected(b, 1)).toBe(false);
  });

  test('tcp transport - a wrong secret is refused as BAD_AUTH', async () => {
    const [a, b] = [await start(1, {secret: Buffer.from('not the cluster secret')}), await start(2)];
    const [ra, rb] = [rejects(a), rejects(b)];
    mesh([a, b]);
    await waitFor(() => ra.length > 0 && rb.length > 0, 'rejects');
    expect([ra[0]!.code, rb[0]!.code]).toEqual(['BAD_AUTH', 'BAD_AUTH']);
  });

  test('tcp transport - a node that is not a configured peer is refused as UNKNOWN_PEER', async () => {
    const [a, b] = [await start(1), await start(2)];
    const [ra, rb] = [rejects(a), rejects(b)];
    a.setPeer(2, b.address());
    await waitFor(() => ra.length > 0 && rb.length > 0, 'rejects');
    expect([ra[0]!.code, rb[0]!.code]).toEqual(['UNKNOWN_PEER', 'UNKNOWN_PEER']);
    // Once configured, the next retry gets through.
    b.setPeer(1, a.address());
    await waitFor(() => connected(a, 2) && connected(b, 1), 'connection after the fix');
  });

  test('tcp transport - reaching another node than the one dialed is refused as WRONG_NODE', async () => {
    const [a, c] = [await start(1), await start(3)];
    const [ra, rc] = [rejects(a), rejects(c)];
    c.setPeer(1, a.address());
    a.setPeer(2, c.address());
    await waitFor(() => ra.length > 0 && rc.length > 0, 'rejects');
    expect([ra[0]!.code, rc[0]!.code]).toEqual(['WRONG_NODE', 'WRONG_NODE']);
    expect(rc[0]!.message).toMatch(/addressed to node 2, but this is node 3/);
  });

  test('tcp transport - another protocol version is refused as PROTOCOL_MISMATCH', async () => {
    const b = await start(2);
    const rb = rejects(b);
    b.setPeer(1, {host: HOST, port: 1});
    const raw = await RawPeer.dial(b.address().port);
    await raw.hello({to: 2, protocol: PROTOCOL_V1 + 1});
    expect(decodeReject((await raw.next(FrameType.REJECT)).payload).code).toBe('PROTOCOL_MISMATCH');
    await waitFor(() => raw.closed, 'close');
    expect(rb[0]).toMatchObject({direction: 'sent', code: 'PROTOCOL_MISMATCH'});
  });

  test('tcp transport - a HELLO from the higher id is refused: only the lower id dials', async () => {
    const b = await start(2);
    b.setPeer(5, {host: HOST, port: 1});
    const raw = await RawPeer.dial(b.address().port);
    await raw.hello({from: 5, to: 2});
    expect(decodeReject((await raw.next(FrameType.REJECT)).payload).code).toBe('WRONG_DIRECTION');
  });

  test('tcp transport - a second connection from the same peer replaces the first', async () => {
    const b = await start(2);
    b.setPeer(1, {host: HOST, port: 1});
    const first = await RawPeer.dial(b.address().port);
    await first.hello({to: 2});
    await first.next(FrameType.WELCOME);
    const second = await RawPeer.dial(b.address().port);
    await second.hello({to: 2});
    await second.next(FrameType.WELCOME);
    await waitFor(() => first.closed, 'the older connection to close');
    expect(second.closed).toBe(false);
    await waitFor(() => b.connections().open === 1 && b.connections().closing === 0, 'one open connection');
    expect(b.peers()[0]!.connects).toBe(2);
  });

  test('tcp transport - reconnects after the peer restarts on the same port', async () => {
    const a = await start(1, {reconnectBackoffMaxMs: 200});
    let b = await start(2);
    const unreachable: NodeId[] = [];
    a.onUnreachable((p) => unreachable.push(p));
    mesh([a, b]);
    await waitFor(() => connected(a, 2), 'first connection');
    const {port} = b.address();
    await b.close();
    await waitFor(() => !connected(a, 2), 'disconnect');
    expect(unreachable).toContain(2);

    b = await start(2, {listen: {host: HOST, port}});
    const got = inbox(b);
    b.setPeer(1, a.address());
    await waitFor(() => connected(a, 2) && connected(b, 1), 'reconnection');
    a.send(new Map([[2, everyType(1, 2)]]));
    await waitFor(() => got.length === 1, 'delivery after reconnecting');
    expect(a.peers()[0]!.connects).toBe(2);
  });

  test('tcp transport - setInfo before peers connect is what they learn; a moved peer is redialed; a removed one is not', async () => {
    const a = await start(1);
    a.setInfo({url: 'http://advertised', peerUrl: 'tcp://advertised:9'});
    const [b, b2] = [await start(2), await start(2)];
    b.setPeer(1, a.address());
    b2.setPeer(1, a.address());
    a.setPeer(2, b.address());
    await waitFor(() => connected(b, 1), 'connection to the first address');
    expect(b.peerInfo(1)).toEqual({url: 'http://advertised', peerUrl: 'tcp://advertised:9'});

    a.setPeer(2, b2.address());
    await waitFor(() => connected(b2, 1) && !connected(b, 1), 'connection to the new address');
    expect(a.peers()[0]).toMatchObject({address: `${HOST}:${b2.address().port}`, connected: true});
    // at least the two dials (under load a slow handshake may be retried)
    expect(a.peers()[0]!.connects).toBeGreaterThanOrEqual(2);

    a.removePeer(2);
    await waitFor(() => !connected(b2, 1), 'disconnect');
    expect(a.peers()).toEqual([]);
    expect(a.connections()).toEqual({open: 0, handshaking: 0, closing: 0});
  });

  test('tcp transport - frames split into 1-byte chunks are reassembled', async () => {
    const b = await start(2);
    const got = inbox(b);
    b.setPeer(1, {host: HOST, port: 1});
    const raw = await RawPeer.dial(b.address().port);
    raw.socket.setNoDelay(true);
    await raw.hello({to: 2}, SECRET, 1);
    await raw.next(FrameType.WELCOME);
    const msgs = everyType(1, 2).slice(0, 7);
    await raw.write(encodeFrame(FrameType.MESSAGES, encodeMessages(msgs)), 1);
    await waitFor(() => got.length === 1, 'delivery');
    expect(got[0]).toEqual([1, msgs]);
  });

  test('tcp transport - an oversized frame closes the connection, before and after the handshake', async () => {
    const b = await start(2, {maxFrameBytes: 1024});
    const rb = rejects(b);
    b.setPeer(1, {host: HOST, port: 1});
    const early = await RawPeer.dial(b.address().port);
    await early.write(Buffer.from([0, 1, 0, 1])); // 64 KiB + 1 bytes: over the limit for strangers
    await waitFor(() => early.closed, 'close before the handshake');

    const raw = await RawPeer.dial(b.address().port);
    await raw.hello({to: 2});
    await raw.next(FrameType.WELCOME);
    await waitFor(() => connected(b, 1), 'connection');
    await raw.write(encodeFrame(FrameType.MESSAGES, Buffer.alloc(1024)));
    expect(decodeReject((await raw.next(FrameType.REJECT)).payload).code).toBe('FRAME_TOO_LARGE');
    await waitFor(() => raw.closed, 'close after the handshake');
    expect(connected(b, 1)).toBe(false);
    expect(rb.map((r) => r.code)).toEqual(['FRAME_TOO_LARGE', 'FRAME_TOO_LARGE']);
  });

  test('tcp transport - garbage in a MESSAGES frame closes the connection', async () => {
    const b = await start(2);
    const got = inbox(b);
    b.setPeer(1, {host: HOST, port: 1});
    const raw = await RawPeer.dial(b.address().port);
    await raw.hello({to: 2});
    await raw.next(FrameType.WELCOME);
    await raw.write(encodeFrame(FrameType.MESSAGES, Buffer.from([1, 0, 99])));
    expect(decodeReject((await raw.next(FrameType.REJECT)).payload)).toMatchObject({code: 'PROTOCOL_ERROR'});
    await waitFor(() => raw.closed, 'close');
    expect(got).toHaveLength(0);
  });

  test('tcp transport - a connection without a handshake in time is closed', async () => {
    const b = await start(2, {connectTimeoutMs: 100});
    const raw = await RawPeer.dial(b.address().port);
    await waitFor(() => raw.closed, 'close');
    expect(b.connections()).toEqual({open: 0, handshaking: 0, closing: 0});
  });

  test('tcp transport - a silent peer gets PINGs, then is disconnected after the idle timeout', async () => {
    const acceptor = await rawAcceptor(2, () => {});
    const a = await start(1, {idleTimeoutMs: 300, reconnectBackoffMinMs: 5_000, reconnectBackoffMaxMs: 5_000});
    a.setPeer(2, {host: HOST, port: acceptor.port});
    await waitFor(() => connected(a, 2), 'connection');
    const raw = acceptor.peers[0]!;
    await raw.next(FrameType.PING);
    await waitFor(() => raw.closed, 'idle close', 3_000);
    expect(connected(a, 2)).toBe(false);
  });

  test('tcp transport - a peer that stops reading: the queue stays bounded and drops are counted', async () => {
    const maxQueuedBytes = 1024 * 1024;
    const acceptor = await rawAcceptor(2, (p) => p.socket.pause());
    const a = await start(1, {maxQueuedBytes, idleTimeoutMs: 60_000});
    const unreachable: NodeId[] = [];
    a.onUnreachable((p) => unreachable.push(p));
    a.setPeer(2, {host: HOST, port: acceptor.port});
    await waitFor(() => connected(a, 2), 'connection');

    const big = new Uint8Array(200 * 1024);
    const msgs: GroupMessage[] = [[0, {type: 'append', from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0, commit: 0, entries: [{index: 1, term: 1, type: 'normal', data: big}]}]];
    let peak = 0;
    for (let i = 0; i < 2_000 && a.peers()[0]!.droppedFrames === 0; i++) {
      a.send(new Map([[2, msgs]]));
      peak = Math.max(peak, a.peers()[0]!.queuedBytes);
      await new Promise((r) => setImmediate(r));
    }
    const st = a.peers()[0]!;
    expect(st.droppedFrames).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(maxQueuedBytes);
    expect(peak).toBeGreaterThan(maxQueuedBytes / 2);
    expect(st.queued).toBeGreaterThan(0);
    expect(st.connected).toBe(true);
    expect(unreachable).toContain(2);
  });

  test('tcp transport - close() leaves no sockets or timers behind', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
    const ts = [await start(1), await start(2)];
    mesh(ts);
    await waitFor(() => connected(ts[0]!, 2), 'connection');
    await Promise.all(ts.map((t) => t.close()));
    await ts[0]!.close(); // idempotent
    expect(process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length).toBe(before);
  });

  test('tcp transport - a process that used transports exits by itself once they are closed', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const url = (p: string): string => pathToFileURL(path.join(root, p)).href;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-transport-'));
    const script = path.join(dir, 'exit.mts');
    fs.writeFileSync(
      script,
      `
      import {createTcpTransport} from '${url('src/cluster/transport/tcp-transport.ts')}';
      import {silentLogger} from '${url('src/observe/logger.ts')}';
      import {SeededRandom} from '${url('src/util/random.ts')}';
      // Count live timers: unref'd ones would not keep the process alive, but close() must still clear them.
      const live = new Set();
      const {setTimeout: st, setInterval: si, clearTimeout: ct, clearInterval: ci} = globalThis;
      globalThis.setTimeout = (fn, ms, ...args) => { const t = st(() => { live.delete(t); fn(...args); }, ms); live.add(t); return t; };
      globalThis.setInterval = (fn, ms, ...args) => { const t = si(fn, ms, ...args); live.add(t); return t; };
      globalThis.clearTimeout = (t) => { live.delete(t); ct(t); };
      globalThis.clearInterval = (t) => { live.delete(t); ci(t); };
      const mk = (nodeId) => createTcpTransport({nodeId, listen: {host: '127.0.0.1', port: 0}, peers: new Map(), clusterId: 'x',
        secret: Buffer.from('secret'), info: {url: 'u', peerUrl: 'p'}, logger: silentLogger, random: new SeededRandom(nodeId)});
      const [a, b] = [await mk(1), await mk(2)];
      const c = await mk(3); // never reachable from 1: leaves a reconnect timer pending
      a.setPeer(3, {host: '127.0.0.1', port: 1});
      let got = 0;
      b.onMessages(() => got++);
      b.setPeer(1, a.address());
      a.setPeer(2, b.address());
      while (got === 0) {
        a.send(new Map([[2, [[0, {type: 'heartbeat', from: 1, to: 2, term: 1, commit: 0}]]]]));
        await new Promise((r) => setTimeout(r, 20));
      }
      await Promise.all([a.close(), b.close(), c.close()]);
      console.log('closed, live timers: ' + live.size);
      `,
    );
    try {
      const res = spawnSync(process.execPath, ['--import', 'tsx', script], {cwd: root, encoding: 'utf8', timeout: 20_000});
      expect(res.stderr).toBe('');
      expect([res.status, res.stdout.trim()]).toEqual([0, 'closed, live timers: 0']);
    } finally {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });

  test('tcp transport - decoding what arrives gives back exactly what was sent', () => {
    // Guards the test helper against testing nothing: everyType really covers every message type.
    const types = new Set(decodeMessages(encodeMessages(everyType(1, 2))).map(([, m]) => m.type));
    expect(types.size).toBe(10);
  });
});
