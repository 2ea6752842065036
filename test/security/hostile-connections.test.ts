import net from 'node:net';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {startTestBroker, waitFor, type TestBroker} from '../helpers/broker.js';
import {expectAllIntact, expectErrorBody, parseRaw, rawExchange, type Acked} from './hostile-kit.js';

/** Short limits so that slow clients are cut off in about a second; the bounds below are multiples of these. */
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const KEEP_ALIVE_TIMEOUT_MS = 1000;
const STALL_TIMEOUT_MS = 1000;
const CONNECTIONS_MAX = 12;

function connect(url: string): Promise<net.Socket> {
  const {hostname, port} = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), hostname, () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes `parts` one every `everyMs` until the server closes; resolves with what came back and how long it took. */
function trickle(url: string, parts: string[], everyMs: number): Promise<{text: string; ms: number}> {
  const {hostname, port} = new URL(url);
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = net.connect(Number(port), hostname);
    let text = '';
    let i = 0;
    const timer = setInterval(() => {
      if (!s.destroyed && s.writable) s.write(parts[i++ % parts.length]!);
    }, everyMs);
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => (clearInterval(timer), resolve({text, ms: performance.now() - t0})));
  });
}

describe('hostile connections - slow, oversized and too many are cut off, the broker keeps serving', () => {
  let b: TestBroker;
  const acked: Acked[] = [];

  beforeAll(async () => {
    b = await startTestBroker({
      unsafeNoFsync: true,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
      streamStallTimeoutMs: STALL_TIMEOUT_MS,
      connectionsMax: CONNECTIONS_MAX,
      httpHeadersBytesMax: 4096,
      httpHeadersCountMax: 20,
    });
    await b.client.createTopic({name: 'calm', partitions: 1});
    const results = await b.client.produce('calm', Array.from({length: 10}, (_, i) => ({key: `c${i}`, value: {i}})));
    results.forEach((r, i) => acked.push({topic: 'calm', ...(r as {partition: number; offset: number}), value: JSON.stringify({i}), key: `c${i}`}));
  });

  afterAll(async () => {
    await b.stop({purge: true});
  });

  const serves = async (): Promise<void> => expect((await b.client.health()).status).toBe('ok');

  it('slowloris: a head trickled a header at a time is answered 408 REQUEST_TIMEOUT and closed', async () => {
    const parts = ['POST /v1/topics/calm/messages HTTP/1.1\r\nHost: x\r\n', ...Array.from({length: 100}, (_, i) => `X-Slow-${i}: a\r\n`)];
    const r = await trickle(b.url, parts, 100);
    const {status, body} = parseRaw(r.text);
    expect(status).toBe(408);
    expectErrorBody(body, 'REQUEST_TIMEOUT');
    expect(r.ms).toBeLessThan(3 * HEADERS_TIMEOUT_MS);
    await serves();
  });

  it('slowloris: a body trickled a byte at a time is cut off after the request timeout, and nothing is written', async () => {
    const head = 'POST /v1/topics/calm/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"value":"';
    const r = await trickle(b.url, [head, ...Array.from({length: 999}, () => 'a')], 50);
    const {status, body} = parseRaw(r.text);
    expect(status).toBe(408);
    expectErrorBody(body, 'REQUEST_TIMEOUT');
    expect(r.ms).toBeLessThan(3 * REQUEST_TIMEOUT_MS);
    await serves();
  });

  it('a connection that never sends a byte is closed after the headers timeout', async () => {
    const t0 = performance.now();
    const r = await rawExchange(b.url, undefined, {timeoutMs: 10 * HEADERS_TIMEOUT_MS});
    expect(r.closed).toBe(true);
    expect(performance.now() - t0).toBeLessThan(3 * HEADERS_TIMEOUT_MS);
    if (r.text) expect(parseRaw(r.text).status).toBe(408);
  });

  it('an idle keep-alive connection is closed after keepAliveTimeoutMs', async () => {
    const t0 = performance.now();
    const r = await rawExchange(b.url, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n', {timeoutMs: 10 * KEEP_ALIVE_TIMEOUT_MS});
    expect(r.closed).toBe(true);
    expect(parseRaw(r.text).status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(4 * KEEP_ALIVE_TIMEOUT_MS);
  });

  it('a request head over httpHeadersBytesMax is answered 431 HEADERS_TOO_LARGE', async () => {
    const r = await rawExchange(b.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(5000)}\r\n\r\n`);
    const {status, body} = parseRaw(r.text);
    expect(status).toBe(431);
    expectErrorBody(body, 'HEADERS_TOO_LARGE');
    await serves();
  });

  it('more headers than httpHeadersCountMax are answered 431 HEADERS_TOO_LARGE, not served with headers dropped', async () => {
    const many = Array.from({length: 25}, (_, i) => `X-H${i}: v\r\n`).join('');
    const r = await rawExchange(b.url, `POST /v1/topics/calm/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${many}Content-Type: application/json\r\nContent-Length: 11\r\n\r\n{"value":1}`);
    const {status, body} = parseRaw(r.text);
    expect(status).toBe(431);
    expectErrorBody(body, 'HEADERS_TOO_LARGE');
    await serves();
  });

  it('a declared body far over requestBytesMax is refused 413 before the client sends it', async () => {
    const t0 = performance.now();
    const r = await rawExchange(b.url, 'POST /v1/topics/calm/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 99999999999\r\n\r\n', {timeoutMs: 10 * REQUEST_TIMEOUT_MS});
    // no interim 100 Continue first: that would invite the body
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /);
    const {status, body, head} = parseRaw(r.text);
    expect(status).toBe(413);
    expectErrorBody(body, 'REQUEST_TOO_LARGE');
    // the broker closes rather than drain a body it will never use
    expect(head).toMatch(/^connection: close$/im);
    expect(r.closed).toBe(true);
    expect(performance.now() - t0).toBeLessThan(3 * REQUEST_TIMEOUT_MS);
    await serves();
  });

  it('a malformed request line is answered 400 BAD_REQUEST in mq\'s JSON shape', async () => {
    const r = await rawExchange(b.url, 'BLAH /health HTTP/9.9\r\n\r\n');
    const {status, body} = parseRaw(r.text);
    expect(status).toBe(400);
    expectErrorBody(body, 'BAD_REQUEST');
    await serves();
  });

  it('Content-Length with Transfer-Encoding sent straight to the broker is refused, never read two ways', async () => {
    const r = await rawExchange(b.url, 'POST /v1/topics/calm/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 11\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n{"value":9}\r\n0\r\n\r\n');
    const {status, body} = parseRaw(r.text);
    expect(status).toBe(400);
    expectErrorBody(body, 'BAD_REQUEST');
  });

  it('a connection past connectionsMax gets 503 TOO_MANY_CONNECTIONS at once; the broker serves again once some close', async () => {
    const server = b.server.app.server;
    const count = (): Promise<number> => new Promise((resolve) => server.getConnections((_e, n) => resolve(n)));
    const held: net.Socket[] = [];
    try {
      // fill every slot with a long-poll (busy, so no timeout closes it); the client's pooled connections take some
      // slots too, and any of these past the limit is refused like the one below
      for (let i = 0; i < CONNECTIONS_MAX; i++) {
        const s = await connect(b.url);
        s.on('error', () => {});
        s.write('GET /v1/topics/calm/partitions/0/messages?offset=10&wait_ms=20000 HTTP/1.1\r\nHost: x\r\n\r\n');
        held.push(s);
      }
      await waitFor(async () => (await count()) >= CONNECTIONS_MAX, {what: 'the broker to count every connection'});
      const r = await rawExchange(b.url, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n', {timeoutMs: HEADERS_TIMEOUT_MS / 2});
      expect(r.closed).toBe(true);
      const {status, body} = parseRaw(r.text);
      expect(status).toBe(503);
      expectErrorBody(body, 'TOO_MANY_CONNECTIONS');
    } finally {
      for (const s of held) s.destroy();
    }
    await waitFor(async () => (await b.client.health()).status === 'ok', {what: 'the broker to serve again'});
  });

  it('an SSE reader that stops reading holds at most one event of broker memory and is cut off after the stall timeout', async () => {
    await b.client.createTopic({name: 'flood', partitions: 1});
    const chunk = 'z'.repeat(500 * 1024);
    // more than loopback's socket buffers on both sides can hold, so the broker's side must fill
    for (let i = 0; i < 48; i++) {
      const [r] = await b.client.produce('flood', [{key: `f${i}`, value: chunk}]);
      acked.push({topic: 'flood', ...(r as {partition: number; offset: number}), value: JSON.stringify(chunk), key: `f${i}`});
    }
    const before = b.broker.streams.queuedBytesMax;
    const s = await connect(b.url);
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    s.on('error', () => {});
    let head = '';
    await new Promise<void>((resolve) => {
      const onData = (d: Buffer): void => {
        head += d.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        s.off('data', onData);
        s.pause(); // from here on the client takes nothing
        resolve();
      };
      s.on('data', onData);
      s.write('GET /v1/topics/flood/stream?from=earliest HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(b.broker.streams.open).toBeGreaterThanOrEqual(1);
    await waitFor(() => b.broker.streams.open === 0, {timeoutMs: 30_000, what: 'the stalled stream to be closed'});
    s.resume();
    await closed;
    // one event is a little over 500 KiB; the broker queued at most that on top of the socket's high-water mark
    expect(Math.max(before, b.broker.streams.queuedBytesMax)).toBeLessThan(chunk.length + 256 * 1024);
    await serves();
  }, 60_000);

  it('kept every acknowledged message, and nothing from the cut-off requests', async () => {
    await expectAllIntact(b.client, acked);
    expect((await b.client.describeTopic('calm')).messages).toBe(10);
  });
});
