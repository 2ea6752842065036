import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {MqClient, TokenApi} from '../../src/client/index.js';
import {ManualClock} from '../../src/util/clock.js';
import {startTestBroker, type TestBroker} from '../helpers/broker.js';
import {expectAllIntact, expectErrorBody, parseRaw, rawExchange, type Acked} from './hostile-kit.js';

const ADMIN = 'hostile-admin-token-0123456789abcdef';

/**
 * Bad, forged, misplaced and expired credentials (auth as docs/security.md describes it): each is 401 or 403 with
 * `written: false`, nothing is written, and the broker keeps serving. Basic token behaviour is in auth-tokens.test.ts.
 */
describe('hostile credentials - refused, nothing written', () => {
  const clock = new ManualClock(Date.now(), 0);
  let b: TestBroker;
  let admin: MqClient;
  const tokens: Record<string, string> = {};
  let ephemeral = '';
  let expiring = '';
  const acked: Acked[] = [];

  beforeAll(async () => {
    b = await startTestBroker({adminToken: ADMIN}, {clock});
    admin = new MqClient({url: b.url, token: ADMIN});
    await admin.createTopic({name: 'orders', partitions: 1});
    const api = new TokenApi(admin);
    tokens.writer = (await api.create({name: 'writer', grants: ['produce:orders', 'consume:orders']})).token;
    tokens.reader = (await api.create({name: 'reader', grants: ['consume:orders']})).token;
    tokens.revoked = (await api.create({name: 'gone', grants: ['produce:orders']})).token;
    await api.revoke('gone');
    const rs = await new MqClient({url: b.url, token: tokens.writer}).produce('orders', [{key: 'k', value: 'kept'}]);
    acked.push({topic: 'orders', ...(rs[0] as {partition: number; offset: number}), value: '"kept"', key: 'k'});
    const issue = async (ttl: number): Promise<string> => {
      const res = await fetch(`${b.url}/v1/tokens/ephemeral`, {method: 'POST', headers: {'content-type': 'application/json', authorization: `Bearer ${tokens.reader}`}, body: JSON.stringify({topic: 'orders', ttl_ms: ttl})});
      return ((await res.json()) as {token: string}).token;
    };
    ephemeral = await issue(600_000);
    expiring = await issue(1000);
  });

  afterAll(async () => {
    await admin.close();
    await b.stop({purge: true});
  });

  const produce = (headers: Record<string, string>, query = ''): Promise<Response> =>
    fetch(`${b.url}/v1/topics/orders/messages${query}`, {method: 'POST', headers: {'content-type': 'application/json', ...headers}, body: '{"key":"x","value":"must not be written"}'});
  const tamper = (t: string): string => t.slice(0, -2) + (t.endsWith('AA') ? 'BB' : 'AA');

  const cases: Array<{name: string; send: () => Promise<Response>; status: number; code: string}> = [
    {name: 'no Authorization header', send: () => produce({}), status: 401, code: 'UNAUTHORIZED'},
    {name: 'a Basic scheme', send: () => produce({authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}`}), status: 401, code: 'UNAUTHORIZED'},
    {name: 'an empty Bearer', send: () => produce({authorization: 'Bearer '}), status: 401, code: 'UNAUTHORIZED'},
    {name: 'a guessed token of the right shape', send: () => produce({authorization: `Bearer mq_${'A'.repeat(43)}`}), status: 401, code: 'UNAUTHORIZED'},
    {name: 'the admin token with one character changed', send: () => produce({authorization: `Bearer ${ADMIN.slice(0, -1)}X`}), status: 401, code: 'UNAUTHORIZED'},
    {name: 'a 12 KiB token', send: () => produce({authorization: `Bearer mq_${'x'.repeat(12 * 1024)}`}), status: 401, code: 'UNAUTHORIZED'},
    {name: 'a token with bytes that are not UTF-8', send: () => produce({authorization: 'Bearer mq_\u00ff\u00fe\u00e9'}), status: 401, code: 'UNAUTHORIZED'},
    {name: 'a revoked token', send: () => produce({authorization: `Bearer ${tokens.revoked}`}), status: 401, code: 'UNAUTHORIZED'},
    {name: 'a consume-only token producing', send: () => produce({authorization: `Bearer ${tokens.reader}`}), status: 403, code: 'FORBIDDEN'},
    {name: 'an ephemeral read token producing', send: () => produce({authorization: `Bearer ${ephemeral}`}), status: 403, code: 'FORBIDDEN'},
    {name: 'an ephemeral read token in the URL of a produce', send: () => produce({}, `?access_token=${encodeURIComponent(ephemeral)}`), status: 401, code: 'UNAUTHORIZED'},
    {name: 'a stored token in a stream URL', send: () => fetch(`${b.url}/v1/topics/orders/stream?access_token=${tokens.writer}`), status: 401, code: 'UNAUTHORIZED'},
    {name: 'an ephemeral token with its MAC tampered', send: () => fetch(`${b.url}/v1/topics/orders/stream?access_token=${encodeURIComponent(tamper(ephemeral))}`), status: 401, code: 'UNAUTHORIZED'},
    {name: 'a consume-only token creating a topic', send: () => fetch(`${b.url}/v1/topics`, {method: 'POST', headers: {'content-type': 'application/json', authorization: `Bearer ${tokens.reader}`}, body: '{"name":"sneaky"}'}), status: 403, code: 'FORBIDDEN'},
    {name: 'a produce token minting tokens', send: () => fetch(`${b.url}/v1/tokens`, {method: 'POST', headers: {'content-type': 'application/json', authorization: `Bearer ${tokens.writer}`}, body: '{"name":"mine","grants":["admin"]}'}), status: 403, code: 'FORBIDDEN'},
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.status} ${c.code}`, async () => {
      const res = await c.send();
      const text = await res.text();
      expect(res.status, text).toBe(c.status);
      expectErrorBody(text, c.code);
      expect((await b.client.health()).status).toBe('ok');
    });
  }

  it('an expired ephemeral token: 401 TOKEN_EXPIRED', async () => {
    clock.advance(1001);
    const res = await fetch(`${b.url}/v1/topics/orders/stream?access_token=${encodeURIComponent(expiring)}`);
    expect(res.status).toBe(401);
    expectErrorBody(await res.text(), 'TOKEN_EXPIRED');
  });

  it('an Authorization header past httpHeadersBytesMax: 431 HEADERS_TOO_LARGE before any token check', async () => {
    const r = await rawExchange(b.url, `GET /v1/topics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'t'.repeat(20_000)}\r\n\r\n`);
    expect(parseRaw(r.text).status).toBe(431);
    expectErrorBody(parseRaw(r.text).body, 'HEADERS_TOO_LARGE');
  });

  it('kept the acknowledged message and wrote none of the refused ones', async () => {
    await expectAllIntact(admin, acked);
    expect((await admin.describeTopic('orders')).messages).toBe(1);
    expect((await admin.listTopics()).map((t) => t.name)).toEqual(['orders']);
  });
});
