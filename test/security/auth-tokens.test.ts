import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {MqClient, TokenApi} from '../../src/client/index.js';
import {ManualClock} from '../../src/util/clock.js';
import {SseReader} from '../helpers/sse.js';
import {startTestBroker, tempDir, waitFor, type TestBroker} from '../helpers/broker.js';

const ADMIN = 'admin-token-for-tests-0123456789';

async function call(url: string, method: string, path: string, opts: {token?: string; body?: unknown} = {}): Promise<{status: number; body: any; headers: Headers}> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, {method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body)});
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return {status: res.status, body, headers: res.headers};
}

describe('auth - tokens and grants on one broker', () => {
  const clock = new ManualClock(Date.now(), 0);
  let b: TestBroker;
  let admin: TokenApi;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    b = await startTestBroker({adminToken: ADMIN, dataDir: tempDir()}, {clock});
    admin = new TokenApi(new MqClient({url: b.url, token: ADMIN}));
    await call(b.url, 'POST', '/v1/topics', {token: ADMIN, body: {name: 'orders'}});
    await call(b.url, 'POST', '/v1/topics', {token: ADMIN, body: {name: 'orders.eu'}});
    await call(b.url, 'POST', '/v1/topics', {token: ADMIN, body: {name: 'payments'}});
    for (const [name, grants] of [
      ['P1', ['produce:orders', 'consume:orders']],
      ['prefix', ['produce:orders*']],
      ['reader', ['consume:orders*']],
    ] as const) {
      secrets[name] = (await admin.create({name, grants: [...grants]})).token;
    }
  });
  afterAll(async () => b?.stop({purge: true}));

  test('auth - no token is 401 UNAUTHORIZED with a JSON body; a bad one too', async () => {
    const none = await call(b.url, 'POST', '/v1/topics/orders/messages', {body: {value: 1}});
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({code: 'UNAUTHORIZED', written: false});
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const bad = await call(b.url, 'GET', '/v1/topics/orders/partitions/0/messages', {token: 'mq_not-a-real-token'});
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('UNAUTHORIZED');
  });

  test('auth - health and ready stay public; status is public on loopback (auto)', async () => {
    expect((await call(b.url, 'GET', '/health')).status).toBe(200);
    expect((await call(b.url, 'GET', '/ready')).status).toBe(200);
    expect((await call(b.url, 'GET', '/status')).status).toBe(200);
    expect((await call(b.url, 'GET', '/v1/cluster')).status).toBe(200);
  });

  test('auth - grants: produce and consume on an exact topic, 403 FORBIDDEN elsewhere', async () => {
    const ok = await call(b.url, 'POST', '/v1/topics/orders/messages', {token: secrets.P1, body: {value: 'a'}});
    expect(ok.status).toBe(200);
    const other = await call(b.url, 'POST', '/v1/topics/payments/messages', {token: secrets.P1, body: {value: 'a'}});
    expect(other.status).toBe(403);
    expect(other.body.error).toMatchObject({code: 'FORBIDDEN', written: false, details: {need: 'produce:payments'}});
    expect((await call(b.url, 'GET', '/v1/topics/orders/partitions/0/messages', {token: secrets.P1})).status).toBe(200);
    // not an admin: topic and token administration are refused
    expect((await call(b.url, 'DELETE', '/v1/topics/orders', {token: secrets.P1})).status).toBe(403);
    expect((await call(b.url, 'GET', '/v1/tokens', {token: secrets.P1})).status).toBe(403);
  });

  test('auth - prefix grants cover names that start with the prefix, and nothing else', async () => {
    expect((await call(b.url, 'POST', '/v1/topics/orders.eu/messages', {token: secrets.prefix, body: {value: 1}})).status).toBe(200);
    expect((await call(b.url, 'POST', '/v1/topics/payments/messages', {token: secrets.prefix, body: {value: 1}})).status).toBe(403);
    // produce only: reading is another grant
    expect((await call(b.url, 'GET', '/v1/topics/orders.eu/partitions/0/messages', {token: secrets.prefix})).status).toBe(403);
    expect((await call(b.url, 'GET', '/v1/topics/orders.eu/partitions/0/messages', {token: secrets.reader})).status).toBe(200);
  });

  test('auth - a consumer group needs consume on every topic it names', async () => {
    const mk = (token: string, topics: string[]) => call(b.url, 'POST', '/v1/groups', {token, body: {name: `g-${topics.join('-')}`, topics}});
    expect((await mk(secrets.reader!, ['orders', 'orders.eu'])).status).toBe(201);
    const denied = await mk(secrets.reader!, ['orders', 'payments']);
    expect(denied.status).toBe(403);
    expect(denied.body.error.details.need).toBe('consume:payments');
    // the group's topics decide member calls too: a token without consume on them cannot join
    const join = await call(b.url, 'POST', '/v1/groups/g-orders-orders.eu/join', {token: secrets.prefix, body: {}});
    expect(join.status).toBe(403);
    expect((await call(b.url, 'POST', '/v1/groups/g-orders-orders.eu/join', {token: secrets.reader, body: {}})).status).toBe(200);
  });

  test('auth - token list shows no secrets or hashes; create answers the secret once', async () => {
    const list = await admin.list();
    expect(list.map((t) => t.name)).toEqual(['P1', 'prefix', 'reader']);
    const text = JSON.stringify(list);
    for (const s of Object.values(secrets)) expect(text).not.toContain(s);
    expect(text).not.toMatch(/hash/);
    const dup = await call(b.url, 'POST', '/v1/tokens', {token: ADMIN, body: {name: 'P1', grants: ['admin']}});
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('TOKEN_EXISTS');
    const badGrant = await call(b.url, 'POST', '/v1/tokens', {token: ADMIN, body: {name: 'x', grants: ['write:orders']}});
    expect(badGrant.status).toBe(400);
  });

  test('auth - ephemeral token opens the SSE stream of its topic via ?access_token=, not another topic, and expires', async () => {
    await call(b.url, 'POST', '/v1/topics/orders/messages', {token: secrets.P1, body: {key: 'k1', value: 'for-k1'}});
    const eph = await call(b.url, 'POST', '/v1/tokens/ephemeral', {token: secrets.P1, body: {topic: 'orders', key: 'k1', ttl_ms: 60_000}});
    expect(eph.status).toBe(201);
    const token = eph.body.token as string;
    expect(token.startsWith('mqe_')).toBe(true);

    const sse = new SseReader(`${b.url}/v1/topics/orders/stream?key=k1&access_token=${encodeURIComponent(token)}`);
    await sse.open();
    expect(sse.status).toBe(200);
    await waitFor(() => sse.events.some((e) => e.data.includes('for-k1')), {what: 'the keyed message on the stream'});
    sse.close();

    const other = await call(b.url, 'GET', `/v1/topics/payments/stream?access_token=${encodeURIComponent(token)}`);
    expect(other.status).toBe(403);
    const noKey = await call(b.url, 'GET', `/v1/topics/orders/stream?access_token=${encodeURIComponent(token)}`);
    expect(noKey.status).toBe(403);
    // it opens streams only: not a fetch, even of its own topic
    const fetchWith = await call(b.url, 'GET', '/v1/topics/orders/partitions/0/messages', {token});
    expect(fetchWith.status).toBe(403);
    // a stored token never travels in a URL
    expect((await call(b.url, 'GET', `/v1/topics/orders/stream?access_token=${secrets.P1}`)).status).toBe(401);
    // asking for a topic the caller cannot read is refused
    expect((await call(b.url, 'POST', '/v1/tokens/ephemeral', {token: secrets.P1, body: {topic: 'payments'}})).status).toBe(403);

    clock.advance(60_001);
    const expired = await call(b.url, 'GET', `/v1/topics/orders/stream?key=k1&access_token=${encodeURIComponent(token)}`);
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('TOKEN_EXPIRED');
  });

  test('auth - ephemeral lifetime is capped; revoking the issuer ends its ephemeral tokens', async () => {
    const r = await admin.create({name: 'issuer', grants: ['consume:orders']});
    const eph = await call(b.url, 'POST', '/v1/tokens/ephemeral', {token: r.token, body: {topic: 'orders', ttl_ms: 10 * 3_600_000}});
    expect(eph.body.ttl_ms).toBe(3_600_000);
    const url = `/v1/topics/orders/stream?access_token=${encodeURIComponent(eph.body.token)}`;
    const sse = new SseReader(b.url + url);
    await sse.open();
    expect(sse.status).toBe(200);
    sse.close();
    await admin.revoke('issuer');
    expect((await call(b.url, 'GET', url)).status).toBe(401);
  });

  test('auth - revoke: the token stops working at once; revoking again is 404 TOKEN_NOT_FOUND', async () => {
    const r = await admin.create({name: 'temp', grants: ['produce:orders']});
    expect((await call(b.url, 'POST', '/v1/topics/orders/messages', {token: r.token, body: {value: 1}})).status).toBe(200);
    await admin.revoke('temp');
    expect((await call(b.url, 'POST', '/v1/topics/orders/messages', {token: r.token, body: {value: 1}})).status).toBe(401);
    const again = await call(b.url, 'DELETE', '/v1/tokens/temp', {token: ADMIN});
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('TOKEN_NOT_FOUND');
  });

  test('auth - tokens survive a restart (replicated metadata, persisted)', async () => {
    const dataDir = b.dataDir;
    await b.stop();
    b = await startTestBroker({adminToken: ADMIN, dataDir}, {clock});
    expect((await call(b.url, 'POST', '/v1/topics/orders/messages', {token: secrets.P1, body: {value: 'after restart'}})).status).toBe(200);
    expect((await call(b.url, 'POST', '/v1/topics/payments/messages', {token: secrets.P1, body: {value: 1}})).status).toBe(403);
    expect((await call(b.url, 'GET', '/v1/tokens', {token: ADMIN})).body.tokens.map((t: {name: string}) => t.name)).toEqual(['P1', 'prefix', 'reader']);
  });
});
