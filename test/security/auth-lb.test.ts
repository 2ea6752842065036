import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import type {RunningLb} from '../../src/lb/lb-server.js';
import {SseReader} from '../helpers/sse.js';
import {startTestBroker, waitFor, type TestBroker} from '../helpers/broker.js';
import {lbStatus, startTestLb} from '../lb/helpers.js';

const ADMIN = 'lb-admin-token-0123456789abcdefgh';

/** `mq lb` in front of a broker that requires tokens everywhere, /status included (as beyond loopback). */
describe('auth - through mq lb', () => {
  let b: TestBroker;
  let lb: RunningLb;
  beforeAll(async () => {
    b = await startTestBroker({adminToken: ADMIN, publicStatus: 'never'});
    lb = await startTestLb([b.url]);
  });
  afterAll(async () => {
    await lb?.close();
    await b?.stop({purge: true});
  });

  test('auth - lb health checks (/ready) keep the broker up while /status needs a token', async () => {
    expect((await fetch(`${b.url}/status`)).status).toBe(401);
    await waitFor(async () => (await lbStatus(lb)).lb!.upstreams[0]!.state === 'up', {what: 'upstream up'});
  });

  test('auth - the lb passes Authorization and ?access_token= through; the broker decides', async () => {
    const send = (headers: Record<string, string>) =>
      fetch(`${lb.url}/v1/topics/lbt/messages`, {method: 'POST', headers: {'content-type': 'application/json', ...headers}, body: '{"value":1}'});
    const none = await send({});
    expect(none.status).toBe(401);
    expect(((await none.json()) as {error: {code: string}}).error.code).toBe('UNAUTHORIZED');
    expect((await send({authorization: `Bearer ${ADMIN}`})).status).toBe(200);

    const eph = await fetch(`${lb.url}/v1/tokens/ephemeral`, {method: 'POST', headers: {authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json'}, body: '{"topic":"lbt"}'});
    const {token} = (await eph.json()) as {token: string};
    const sse = new SseReader(`${lb.url}/v1/topics/lbt/stream?access_token=${encodeURIComponent(token)}`);
    await sse.open();
    expect(sse.status).toBe(200);
    await waitFor(() => sse.events.length === 1, {what: 'the message through the lb'});
    sse.close();
  });
});
