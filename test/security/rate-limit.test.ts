import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {MqClient, TokenApi} from '../../src/client/index.js';
import {MqError} from '../../src/errors.js';
import {RateLimiter, TokenBucket} from '../../src/security/rate-limit.js';
import {parseRate} from '../../src/security/rate-limit-parse.js';
import {ManualClock} from '../../src/util/clock.js';
import {startTestBroker, type TestBroker} from '../helpers/broker.js';

describe('rate limits - token bucket (unit, manual clock)', () => {
  test('rate limits - a bucket starts full, refills at its rate and holds one second at most', () => {
    const b = new TokenBucket(10, 0);
    expect(b.waitMs(10, 0)).toBe(0);
    b.take(10, 0);
    expect(b.waitMs(1, 0)).toBe(100);
    expect(b.waitMs(1, 100)).toBe(0);
    expect(b.available(10_000)).toBe(10);
  });

  test('rate limits - a batch larger than a second passes from a full bucket and leaves a debt', () => {
    const b = new TokenBucket(10, 0);
    expect(b.waitMs(25, 0)).toBe(0);
    b.take(25, 0);
    // 15 in debt: one more message needs 16 tokens' worth of time
    expect(b.waitMs(1, 0)).toBe(1600);
  });

  test('rate limits - a refused request is charged nothing; Retry-After is in whole seconds', () => {
    const clock = new ManualClock(0, 0);
    const rl = new RateLimiter(clock);
    const limits = {messagesPerS: 5, bytesPerS: 1000};
    rl.charge('t', limits, 5, 100);
    let err: MqError | undefined;
    try {
      rl.charge('t', limits, 1, 10);
    } catch (e) {
      err = e as MqError;
    }
    expect(err?.code).toBe('RATE_LIMITED');
    expect(err?.written).toBe(false);
    expect(err?.details).toMatchObject({limit: 'messages', rate: 5, retry_after_s: 1});
    // the byte bucket was not charged for the refused request
    expect(rl.status()[0]).toMatchObject({principal: 't', messages_available: 0, bytes_available: 900, rejected: 1});
    clock.advance(200);
    expect(() => rl.charge('t', limits, 1, 10)).not.toThrow();
    // the byte bucket refilled to its 1000 and paid 10: 995 more bytes are over
    expect(() => rl.charge('t', limits, 0, 995)).toThrow(expect.objectContaining({details: expect.objectContaining({limit: 'bytes'})}));
  });

  test('rate limits - principals have their own buckets; no limits means no bucket at all', () => {
    const rl = new RateLimiter(new ManualClock(0, 0));
    rl.charge('a', {messagesPerS: 1}, 1, 0);
    expect(() => rl.charge('b', {messagesPerS: 1}, 1, 0)).not.toThrow();
    for (let i = 0; i < 100; i++) rl.charge('c', {}, 1000, 1e9);
    expect(rl.status().map((s) => s.principal).sort()).toEqual(['a', 'b']);
  });

  test('rate limits - rates parse as flags write them', () => {
    expect(parseRate('1000/s')).toBe(1000);
    expect(parseRate('60000/m')).toBe(1000);
    expect(parseRate('250')).toBe(250);
    expect(parseRate('10MB/s', {bytes: true})).toBe(10_000_000);
    expect(parseRate('1KiB', {bytes: true})).toBe(1024);
    expect(() => parseRate('10MB/s')).toThrow(/invalid rate/);
    expect(() => parseRate('fast')).toThrow(/invalid rate/);
  });
});

const ADMIN = 'admin-token-for-rate-tests-012345';

describe('rate limits - a real broker', () => {
  const clock = new ManualClock(Date.now(), 0);
  let b: TestBroker;
  let token: string;

  beforeAll(async () => {
    b = await startTestBroker({adminToken: ADMIN}, {clock});
    const admin = new TokenApi(new MqClient({url: b.url, token: ADMIN}));
    token = (await admin.create({name: 'slow', grants: ['produce:metered', 'consume:metered'], messagesPerS: 3, bytesPerS: 1_000_000})).token;
  });
  afterAll(async () => b?.stop({purge: true}));

  const produce = (body: unknown) =>
    fetch(`${b.url}/v1/topics/metered/messages`, {method: 'POST', headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json'}, body: JSON.stringify(body)});

  test('rate limits - over the token\'s messages/s: 429 RATE_LIMITED, Retry-After, written false, nothing written', async () => {
    const ok = await produce({messages: [{value: 1}, {value: 2}, {value: 3}]});
    expect(ok.status).toBe(200);
    const over = await produce({messages: [{value: 'refused'}]});
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1');
    const body = (await over.json()) as {error: {code: string; written: boolean; details: Record<string, unknown>}};
    expect(body.error).toMatchObject({code: 'RATE_LIMITED', written: false, details: {limit: 'messages', rate: 3}});
    const read = await fetch(`${b.url}/v1/topics/metered/partitions/0/messages`, {headers: {authorization: `Bearer ${token}`}});
    const msgs = ((await read.json()) as {messages: Array<{value: unknown}>}).messages.map((m) => m.value);
    expect(msgs).toEqual([1, 2, 3]);
    // a second later (the injected clock) the bucket holds 3 again
    clock.advance(1000);
    expect((await produce({value: 4})).status).toBe(200);
  });

  test('rate limits - /status shows the limits in use and the refusals; /metrics counts them', async () => {
    const status = (await (await fetch(`${b.url}/status`)).json()) as {auth: {enabled: boolean; rate_limited: number; limits: Array<Record<string, unknown>>}};
    expect(status.auth.enabled).toBe(true);
    expect(status.auth.rate_limited).toBeGreaterThanOrEqual(1);
    expect(status.auth.limits).toContainEqual(expect.objectContaining({principal: 'token slow', messages_per_s: 3, bytes_per_s: 1_000_000, rejected: 1}));
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    expect(metrics).toMatch(/^mq_rate_limited_total 1$/m);
  });
});

describe('rate limits - anonymous, per source address', () => {
  let b: TestBroker;
  beforeAll(async () => {
    b = await startTestBroker({anonymousBytesPerS: 100});
  });
  afterAll(async () => b?.stop({purge: true}));

  test('rate limits - without auth, the broker-wide anonymous bytes/s applies per address', async () => {
    const send = () => fetch(`${b.url}/v1/topics/anon/messages`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({value: 'x'.repeat(60)})});
    expect((await send()).status).toBe(200);
    const over = await send();
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const status = (await (await fetch(`${b.url}/status`)).json()) as {auth: {enabled: boolean; anonymous_limits: unknown; limits: Array<{principal: string}>}};
    expect(status.auth.enabled).toBe(false);
    expect(status.auth.anonymous_limits).toEqual({messages_per_s: null, bytes_per_s: 100});
    expect(status.auth.limits[0]!.principal).toMatch(/^address (127\.0\.0\.1|::ffff:127\.0\.0\.1)$/);
  });
});
