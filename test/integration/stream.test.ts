import net from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import {startTestBroker, waitFor, type TestBroker} from '../helpers/broker.js';
import {SseReader} from '../helpers/sse.js';

const values = (r: SseReader): unknown[] => r.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data).value);

describe('browser streams (SSE)', () => {
  const started: TestBroker[] = [];
  const readers: SseReader[] = [];
  const start = async (...args: Parameters<typeof startTestBroker>): Promise<TestBroker> => {
    const b = await startTestBroker(...args);
    started.push(b);
    return b;
  };
  const reader = (url: string, headers?: Record<string, string>): SseReader => {
    const r = new SseReader(url, headers);
    readers.push(r);
    return r;
  };
  afterEach(async () => {
    for (const r of readers.splice(0)) r.close();
    for (const b of started.splice(0)) await b.stop({purge: true}).catch(() => {});
  });

  it('streams from earliest with positions as event ids, then live messages', async () => {
    const b = await start();
    await b.client.createTopic({name: 'chat', partitions: 2});
    await b.client.produce('chat', [{value: 'a', partition: 0}, {value: 'b', partition: 1}]);
    const r = reader(`${b.url}/v1/topics/chat/stream`);
    await r.open();
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/event-stream/);
    await waitFor(() => values(r).length === 2);
    await b.client.produceOne('chat', {value: 'c', partition: 0});
    await waitFor(() => values(r).length === 3);
    expect(values(r).sort()).toEqual(['a', 'b', 'c']);
    expect(r.lastEventId).toBe('p0=2,p1=1');
  });

  it('resumes with Last-Event-ID after a dropped connection: no gap, no duplicate', async () => {
    const b = await start();
    await b.client.createTopic({name: 'tokens', partitions: 3});
    let n = 0;
    let producing = true;
    const produce = (async () => {
      while (producing) {
        await b.client.produce('tokens', Array.from({length: 10}, () => ({value: n++, key: `s${n % 5}`})));
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const got: number[] = [];
    let lastId: string | undefined;
    for (let round = 0; round < 5; round++) {
      const r = reader(`${b.url}/v1/topics/tokens/stream`, lastId ? {'last-event-id': lastId} : {});
      let k = 0;
      await r.open((e) => {
        if (e.event !== 'message') return true;
        got.push(JSON.parse(e.data).value as number);
        return ++k < 40 + round * 17;
      });
      await r.finished();
      lastId = r.lastEventId;
    }
    producing = false;
    await produce;
    const final = reader(`${b.url}/v1/topics/tokens/stream`, {'last-event-id': lastId!});
    await final.open();
    await waitFor(() => got.length + values(final).length === n, {what: 'the rest of the stream'});
    got.push(...(values(final) as number[]));
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort((x, y) => x - y)).toEqual(Array.from({length: n}, (_, i) => i));
  });

  it('filters by key and records skipped positions in checkpoint events', async () => {
    const b = await start();
    await b.client.produce('keys', [
      {key: 'alice', value: 1},
      {key: 'bob', value: 2},
      {key: 'alice', value: 3},
      {key: 'bob', value: 4},
      {key: 'alice', value: 5},
    ]);
    const r = reader(`${b.url}/v1/topics/keys/stream?key=bob&heartbeat_ms=200`);
    await r.open();
    await waitFor(() => r.events.some((e) => e.event === 'checkpoint'));
    expect(values(r)).toEqual([2, 4]);
    expect(r.lastEventId).toBe('p0=5');
    await waitFor(() => r.heartbeats > 0, {what: 'a heartbeat'});
  });

  it('starts at latest, at an offset, or on one partition; bad requests get JSON errors', async () => {
    const b = await start();
    await b.client.createTopic({name: 'x', partitions: 2});
    await b.client.produce('x', [0, 1, 2].map((v) => ({value: v, partition: 0})));
    const fromOffset = reader(`${b.url}/v1/topics/x/stream?partition=0&from=1`);
    await fromOffset.open();
    await waitFor(() => values(fromOffset).length === 2);
    const latest = reader(`${b.url}/v1/topics/x/stream?from=latest`);
    await latest.open();
    await b.client.produceOne('x', {value: 'new', partition: 1});
    await waitFor(() => values(latest).length === 1);
    expect(values(latest)).toEqual(['new']);
    for (const [path, status, code] of [
      ['/v1/topics/nope/stream', 404, 'TOPIC_NOT_FOUND'],
      ['/v1/topics/x/stream?partition=9', 404, 'PARTITION_NOT_FOUND'],
      ['/v1/topics/x/stream?from=99', 416, 'OFFSET_OUT_OF_RANGE'],
      ['/v1/topics/x/stream?from=soon', 400, 'INVALID_OFFSET'],
      ['/v1/topics/x/stream?bogus=1', 400, 'BAD_REQUEST'],
    ] as const) {
      const res = await fetch(b.url + path);
      expect(res.status, path).toBe(status);
      expect(((await res.json()) as {error: {code: string}}).error.code).toBe(code);
    }
    const bad = await fetch(`${b.url}/v1/topics/x/stream`, {headers: {'last-event-id': 'p0=99'}});
    expect(bad.status).toBe(416);
  });

  it('tells the reader about a gap when retention deleted what it was about to read', async () => {
    const b = await start();
    await b.client.createTopic({name: 'short', retention: {max_messages: 2}});
    await b.client.produce('short', [{value: 1}, {value: 2}, {value: 3}, {value: 4}, {value: 5}]);
    await waitFor(async () => (await b.client.describeTopic('short')).partition_details[0]!.log_start_offset === 3);
    const r = reader(`${b.url}/v1/topics/short/stream`, {'last-event-id': 'p0=1'});
    await r.open();
    await waitFor(() => values(r).length === 2);
    expect(r.events[0]).toMatchObject({event: 'gap'});
    expect(JSON.parse(r.events[0]!.data)).toMatchObject({partition: 0, from: 1, to: 3});
    expect(values(r)).toEqual([4, 5]);
  });

  it('a reader that stops reading holds the broker to a bounded buffer', async () => {
    const b = await start();
    await b.client.createTopic({name: 'big'});
    const port = new URL(b.url).port;
    const sock = net.connect(Number(port), '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(`GET /v1/topics/big/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
    sock.pause();
    const value = 'x'.repeat(1000);
    for (let i = 0; i < 40; i++) await b.client.produce('big', Array.from({length: 500}, () => ({value})));
    await waitFor(() => b.broker.streams.open === 1 && b.broker.streams.events > 100);
    await new Promise((r) => setTimeout(r, 300));
    const eventsWhilePaused = b.broker.streams.events;
    // 20 MB produced; the stream stalls once the socket is full instead of buffering it all
    expect(eventsWhilePaused).toBeLessThan(20_000);
    expect(b.broker.streams.queuedBytesMax).toBeLessThan(2 * 1024 * 1024);
    sock.resume();
    await waitFor(() => b.broker.streams.events === 20_000, {timeoutMs: 20_000, what: 'the reader to catch up'});
    sock.destroy();
    await waitFor(() => b.broker.streams.open === 0);
  }, 30_000);

  it('answers CORS preflights and sets CORS headers for allowed origins only', async () => {
    const b = await start({corsOrigins: 'http://app.example'});
    await b.client.produceOne('c', {value: 1});
    const pre = await fetch(`${b.url}/v1/topics/c/stream`, {method: 'OPTIONS', headers: {origin: 'http://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'last-event-id'}});
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/last-event-id/);
    const ok = reader(`${b.url}/v1/topics/c/stream`, {origin: 'http://app.example'});
    await ok.open();
    expect(ok.headers['access-control-allow-origin']).toBe('http://app.example');
    const other = reader(`${b.url}/v1/topics/c/stream`, {origin: 'http://evil.example'});
    await other.open();
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
