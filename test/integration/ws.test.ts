import net from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import {WebSocket} from 'ws';
import {MqSocket, type ServerFrame} from '../../src/client/ws-socket.js';
import {startTestBroker, waitFor, type TestBroker} from '../helpers/broker.js';
import {SseReader} from '../helpers/sse.js';

let b: TestBroker | undefined;
const sockets: MqSocket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.ws.terminate();
  await b?.stop({purge: true});
  b = undefined;
});

async function connect(url: string, opts: Parameters<typeof MqSocket.connect>[1] = {}): Promise<MqSocket> {
  const s = await MqSocket.connect(url, opts);
  sockets.push(s);
  return s;
}

/** Collects a subscription's message frames until `n` arrived. */
function collect(s: MqSocket, id: string, n: number): Promise<ServerFrame[]> {
  const got: ServerFrame[] = [];
  return new Promise((resolve) => {
    const stop = s.onFrame((f) => {
      if (f.id !== id || f.type !== 'message') return;
      got.push(f);
      if (got.length === n) {
        stop();
        resolve(got);
      }
    });
  });
}

/** The next frame matching `pred`. */
function next(s: MqSocket, pred: (f: ServerFrame) => boolean): Promise<ServerFrame> {
  return new Promise((resolve) => {
    const stop = s.onFrame((f) => {
      if (!pred(f)) return;
      stop();
      resolve(f);
    });
  });
}

const offsets = (fs: ServerFrame[]): string[] => fs.map((f) => `${f.message!.partition}:${f.message!.offset}`);

describe('ws - the WebSocket endpoint', {timeout: 30_000}, () => {
  it('produces and subscribes on one connection: durable results, exact value bytes, pipelined produces keep their order', async () => {
    b = await startTestBroker();
    await b.client.createTopic({name: 'chat'});
    const s = await connect(b.url);
    const live = collect(s, 'sub', 52);
    expect(await s.subscribe('sub', 'chat', {from: 'earliest'})).toBe('p0=0');
    // whitespace and number spelling of a value survive, as over HTTP
    s.sendRaw('{"type":"produce","id":"raw","topic":"chat","messages":[{"value": {"n" : 1.50, "s":"é"} ,"key":"k"}]}');
    const raw = await next(s, (f) => f.id === 'raw');
    expect(raw).toMatchObject({type: 'produced', errors: 0, results: [{partition: 0, offset: 0, duplicate: false}]});
    // 50 frames sent without waiting: written in the order sent
    const answers = Array.from({length: 50}, (_, i) => s.request({type: 'produce', topic: 'chat', messages: [{value: i, key: 'k', id: `m${i}`}]}));
    const results = await Promise.all(answers);
    expect(results.map((r) => r.results![0]!.offset)).toEqual(Array.from({length: 50}, (_, i) => i + 1));
    // a retried id is a duplicate, as over HTTP
    expect((await s.produce('chat', [{value: 7, key: 'k', id: 'm7'}])).results[0]).toMatchObject({offset: 8, duplicate: true});
    await s.produce('chat', [{value: 'last', key: 'k'}]);
    const frames = await live;
    expect(offsets(frames)).toEqual(Array.from({length: 52}, (_, i) => `0:${i}`));
    expect(frames.map((f) => f.position)).toEqual(Array.from({length: 52}, (_, i) => `p0=${i + 1}`));
    const text = await new Promise<string>((resolve) => {
      const sub = s.ws;
      const onMsg = (d: Buffer): void => {
        if (String(d).includes('"id":"again"') && String(d).includes('"type":"message"')) (sub.off('message', onMsg), resolve(String(d)));
      };
      sub.on('message', onMsg);
      void s.subscribe('again', 'chat', {from: 0});
    });
    expect(text).toContain('"value":{"n" : 1.50, "s":"é"}');
    // the same message over HTTP fetch carries the same bytes
    const fetched = await b.client.fetch('chat', 0, {offset: 0, maxMessages: 1});
    expect(fetched.messages[0]!.value).toEqual({n: 1.5, s: 'é'});
    expect(await s.request({type: 'ping', id: 'p'})).toMatchObject({type: 'pong', id: 'p'});
  });

  it('resumes from a position on a new connection with no gap and no duplicate; positions are the SSE event ids', async () => {
    b = await startTestBroker();
    await b.client.createTopic({name: 'orders', partitions: 3});
    await b.client.produce('orders', Array.from({length: 60}, (_, i) => ({value: i, key: `k${i % 7}`})));
    const first = await connect(b.url);
    const head = collect(first, 'a', 25);
    await first.subscribe('a', 'orders');
    const part1 = await head;
    const at = part1[24]!.position!;
    first.ws.terminate();
    // an SSE reader started from the same position gets the same next message with the same id
    const sse = new SseReader(`${b.url}/v1/topics/orders/stream`, {'last-event-id': at});
    let sseFirst: {id?: string; data: string} | undefined;
    await sse.open((e) => {
      if (e.event !== 'message') return true;
      sseFirst = e;
      return false;
    });
    const second = await connect(b.url);
    const tail = collect(second, 'a', 35);
    expect(await second.subscribe('a', 'orders', {from: at})).toBe(at);
    const part2 = await tail;
    expect(sseFirst!.id).toBe(part2[0]!.position);
    expect(JSON.parse(sseFirst!.data)).toEqual(part2[0]!.message);
    const all = offsets([...part1, ...part2]);
    expect(new Set(all).size).toBe(60);
    for (const p of [0, 1, 2]) {
      const mine = all.filter((o) => o.startsWith(`${p}:`)).map((o) => Number(o.split(':')[1]));
      expect(mine).toEqual(mine.map((_, i) => i));
    }
  });

  it('filters by key with checkpoints; unsubscribe answers the last position and stops the frames', async () => {
    b = await startTestBroker();
    await b.client.produce('chat', Array.from({length: 20}, (_, i) => ({value: i, key: i % 4 === 0 ? 'room-1' : 'room-2'})));
    const s = await connect(b.url);
    const checkpoint = next(s, (f) => f.type === 'checkpoint');
    const got = collect(s, 'r1', 5);
    await s.subscribe('r1', 'chat', {key: 'room-1'});
    expect((await got).map((f) => f.message!.value)).toEqual([0, 4, 8, 12, 16]);
    // messages 17-19 were skipped by the filter: the position moves past them
    expect((await checkpoint).position).toBe('p0=20');
    const bye = await s.request({type: 'unsubscribe', id: 'r1'});
    expect(bye).toMatchObject({type: 'unsubscribed', position: 'p0=20'});
    let after = 0;
    s.onFrame((f) => void (f.id === 'r1' && after++));
    await s.produce('chat', [{value: 'late', key: 'room-1'}]);
    expect(await s.request({type: 'ping'})).toMatchObject({type: 'pong'});
    expect(after).toBe(0);
    // resuming from the checkpoint reads only what came after it
    const resumed = collect(s, 'r1', 1);
    await s.subscribe('r1', 'chat', {key: 'room-1', from: 'p0=20'});
    expect((await resumed).map((f) => f.message!.value)).toEqual(['late']);
  });

  it('answers bad frames with the HTTP error codes and keeps the connection', async () => {
    b = await startTestBroker({autoCreateTopics: false});
    await b.client.createTopic({name: 'chat'});
    const s = await connect(b.url);
    const errors: ServerFrame[] = [];
    s.onFrame((f) => void (f.type === 'error' && errors.push(f)));
    const sent: Array<[string | Buffer, boolean?]> = [
      ['{nope'],
      ['[1,2]'],
      ['{"type":"ping"}'],
      ['{"id":1}'],
      ['{"type":"zap","id":2}'],
      ['{"type":"ping","id":3,"extra":true}'],
      ['{"type":"subscribe","id":4,"topic":"missing"}'],
      ['{"type":"produce","id":5,"topic":"missing","messages":[{"value":1}]}'],
      ['{"type":"subscribe","id":6,"topic":"chat","from":"yesterday"}'],
      ['{"type":"subscribe","id":7,"topic":"chat","from":5}'],
      ['{"type":"subscribe","id":8,"topic":"chat","partition":3}'],
      ['{"type":"produce","id":9,"topic":"chat","messages":[{"value":1},{"value":2,"oops":1}]}'],
      ['{"type":"produce","id":10,"topic":"chat"}'],
      ['{"type":"unsubscribe","id":11}'],
      [Buffer.from('{"type":"ping","id":12}'), true],
      ['{"type":"produce","id":13,"topic":"a/b","messages":[{"value":1}]}'],
    ];
    for (const [data, binary] of sent) s.sendRaw(data, binary);
    expect(await s.request({type: 'ping', id: 'end'})).toMatchObject({type: 'pong'});
    await waitFor(() => errors.length === sent.length, {what: 'an error frame for each bad frame'});
    // frames without a usable id are answered at once, in order; subscriptions and produces when they are done
    expect(errors.filter((e) => e.id === null).map((e) => e.error!.code)).toEqual(['INVALID_JSON', 'INVALID_FIELD', 'MISSING_FIELD', 'UNSUPPORTED_MEDIA_TYPE']);
    expect(Object.fromEntries(errors.filter((e) => e.id !== null).map((e) => [e.id, e.error!.code]))).toEqual({
      1: 'MISSING_FIELD',
      2: 'INVALID_FIELD',
      3: 'UNKNOWN_FIELD',
      4: 'TOPIC_NOT_FOUND',
      5: 'TOPIC_NOT_FOUND',
      6: 'INVALID_OFFSET',
      7: 'OFFSET_OUT_OF_RANGE',
      8: 'PARTITION_NOT_FOUND',
      9: 'UNKNOWN_FIELD',
      10: 'MISSING_FIELD',
      11: 'BAD_REQUEST',
      13: 'INVALID_TOPIC_NAME',
    });
    // produces answer in the order they were sent
    expect(errors.filter((e) => [5, 9, 13].includes(e.id as number)).map((e) => e.id)).toEqual([5, 9, 13]);
    const batch = errors.find((e) => e.id === 9)!.error!;
    expect(batch).toMatchObject({written: false, retriable: false, details: {errors: [{index: 1, code: 'UNKNOWN_FIELD', field: 'oops'}]}});
    // one subscription id at a time, and at most 64 per connection
    await s.subscribe('dup', 'chat');
    expect((await s.request({type: 'subscribe', id: 'dup', topic: 'chat'})).error!.code).toBe('BAD_REQUEST');
    for (let i = 0; i < 63; i++) await s.subscribe(`s${i}`, 'chat');
    expect((await s.request({type: 'subscribe', id: 'one-more', topic: 'chat'})).error).toMatchObject({code: 'TOO_MANY_SUBSCRIPTIONS', details: {max: 64}});
    expect(b.broker.streams.open).toBe(64);
    expect(s.ws.readyState).toBe(s.ws.OPEN);
  });

  it('a frame over requestBytesMax closes the connection with 1009; a plain GET and other upgrade paths get JSON errors', async () => {
    b = await startTestBroker({requestBytesMax: 64 * 1024});
    const s = await connect(b.url);
    s.sendRaw(JSON.stringify({type: 'produce', id: 1, topic: 'chat', messages: [{value: 'x'.repeat(70 * 1024)}]}));
    expect((await s.closed).code).toBe(1009);
    const plain = await fetch(`${b.url}/v1/ws`);
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as {error: {code: string}}).error.code).toBe('BAD_REQUEST');
    const elsewhere = await rawUpgrade(b.url, '/v1/topics/chat/messages');
    expect(elsewhere).toMatch(/^HTTP\/1\.1 405 /);
    expect(await rawUpgrade(b.url, '/v1/ws?bogus=1')).toMatch(/^HTTP\/1\.1 400 [^]*"code":"BAD_REQUEST"/);
  });

  it('a reader that stops reading is bounded: its subscription pauses, then the connection is closed with 1008', async () => {
    const stallMs = 500;
    b = await startTestBroker({streamStallTimeoutMs: stallMs});
    const value = 'v'.repeat(512 * 1024);
    for (let i = 0; i < 12; i++) await b.client.produce('big', Array.from({length: 4}, () => ({value})));
    const s = await connect(b.url);
    await s.subscribe('all', 'big');
    s.ws.pause(); // the client stops reading: the kernel buffers fill, then the broker's
    await waitFor(() => b!.broker.streams.open === 0, {timeoutMs: 20_000, what: 'the stalled connection to be closed'});
    // at most the pause mark (1 MiB) plus one message frame waited in the broker's memory
    expect(b.broker.streams.queuedBytesMax).toBeGreaterThan(1024 * 1024);
    expect(b.broker.streams.queuedBytesMax).toBeLessThanOrEqual(1024 * 1024 + value.length + 1024);
    s.ws.resume();
    const closed = await s.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/^slow reader: \d+ bytes unsent for 500 ms$/);
  });

  it('auth: the upgrade needs a token; each frame is checked against its grants; an ephemeral token in the URL only subscribes to its topic and key', async () => {
    const admin = 'a'.repeat(32);
    b = await startTestBroker({adminToken: admin});
    const api = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
      const r = await fetch(`${b!.url}${path}`, {method: 'POST', headers: {'content-type': 'application/json', authorization: `Bearer ${admin}`}, body: JSON.stringify(body)});
      expect(r.status).toBe(201);
      return (await r.json()) as Record<string, unknown>;
    };
    await expect(connect(b.url)).rejects.toMatchObject({code: 'UNAUTHORIZED'});
    await expect(connect(b.url, {token: 'mq_not-a-token'})).rejects.toMatchObject({code: 'UNAUTHORIZED'});
    const producer = (await api('/v1/tokens', {name: 'writer', grants: ['produce:chat']})).token as string;
    const w = await connect(b.url, {token: producer});
    expect((await w.produce('chat', [{value: 1, key: 'room-1'}, {value: 2, key: 'room-2'}])).errors).toBe(0);
    expect((await w.request({type: 'subscribe', id: 's', topic: 'chat'})).error).toMatchObject({code: 'FORBIDDEN', details: {need: 'consume:chat'}});
    expect((await w.request({type: 'produce', topic: 'other', messages: [{value: 1}]})).error!.code).toBe('FORBIDDEN');
    const eph = (await api('/v1/tokens/ephemeral', {topic: 'chat', key: 'room-1'})).token as string;
    // a stored token does not travel in a URL
    await expect(connect(b.url, {accessToken: producer})).rejects.toMatchObject({code: 'UNAUTHORIZED'});
    const r = await connect(b.url, {accessToken: eph});
    const got = collect(r, 'mine', 1);
    await r.subscribe('mine', 'chat', {key: 'room-1'});
    expect((await got).map((f) => f.message!.value)).toEqual([1]);
    expect((await r.request({type: 'subscribe', id: 'all', topic: 'chat'})).error!.code).toBe('FORBIDDEN');
    expect((await r.request({type: 'subscribe', id: 'x', topic: 'other'})).error!.code).toBe('FORBIDDEN');
    expect((await r.request({type: 'produce', topic: 'chat', messages: [{value: 3, key: 'room-1'}]})).error!.code).toBe('FORBIDDEN');
  });

  it('drops a peer that stops answering the broker\'s pings', async () => {
    b = await startTestBroker();
    const ws = new WebSocket(`${b.url.replace(/^http/, 'ws')}/v1/ws?heartbeat_ms=100`, {autoPong: false});
    let pings = 0;
    ws.on('ping', () => pings++);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    // the broker terminates the connection without a close frame: the peer is presumed gone
    expect(await closed).toBe(1006);
    expect(pings).toBeGreaterThanOrEqual(1);
  });

  it('a stopping broker closes its connections with 1001', async () => {
    b = await startTestBroker();
    await b.client.createTopic({name: 'chat'});
    const s = await connect(b.url);
    await s.subscribe('x', 'chat');
    await b.stop({purge: true});
    b = undefined;
    expect((await s.closed).code).toBe(1001);
  });
});

/** Sends an upgrade request and returns the start of the answer. */
function rawUpgrade(base: string, path: string): Promise<string> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname, () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    });
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString()));
    sock.on('end', () => resolve(got));
    sock.on('error', reject);
  });
}

