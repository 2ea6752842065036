import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {RunningLb} from '../../src/lb/index.js';
import {startTestBroker, waitFor, type TestBroker} from '../helpers/broker.js';
import {startTestLb} from '../lb/helpers.js';
import {expectAllIntact, expectErrorBody, parseRaw, rawExchange, type Acked} from './hostile-kit.js';

/** A produce request that must never reach the broker: if its marker is ever stored, a request was smuggled. */
const SMUGGLED = '{"value":"SMUGGLED"}';
const smuggledPost = `POST /v1/topics/lbt/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`;
const head = 'POST /v1/topics/lbt/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';

/**
 * Ambiguous framing sent to `mq lb` in front of a real broker: the lb refuses it (400) or reads it one way only, so the
 * broker never sees a request hidden in another's body, and only acknowledged messages are ever stored.
 */
describe('hostile framing through the lb - refused or read one way, never smuggled', () => {
  let b: TestBroker;
  let lb: RunningLb;
  const acked: Acked[] = [];

  beforeAll(async () => {
    b = await startTestBroker({autoCreateTopics: false});
    await b.client.createTopic({name: 'lbt', partitions: 1});
    lb = await startTestLb([b.url], {requestBytesMax: 4096, headerBytesMax: 4096});
    await waitFor(async () => (await fetch(`${lb.url}/ready`)).status === 200, {what: 'the lb to see the broker'});
    const res = await fetch(`${lb.url}/v1/topics/lbt/messages`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{"key":"a","value":"before"}'});
    const r = (await res.json()) as {partition: number; offset: number};
    acked.push({topic: 'lbt', partition: r.partition, offset: r.offset, value: '"before"', key: 'a'});
  });

  afterAll(async () => {
    await lb.close();
    await b.stop({purge: true});
  });

  const refused: Record<string, string> = {
    'Content-Length and Transfer-Encoding, a request hidden after the last chunk (CL.TE)': `${head}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggledPost}`,
    'Transfer-Encoding and Content-Length, a request hidden in the chunk (TE.CL)': `${head}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n${(smuggledPost.length).toString(16)}\r\n${smuggledPost}\r\n0\r\n\r\n`,
    'two different Content-Lengths': `${head}Content-Length: 11\r\nContent-Length: ${11 + smuggledPost.length}\r\n\r\n{"value":1}${smuggledPost}`,
    'a Content-Length with a sign': `${head}Content-Length: +11\r\n\r\n{"value":1}`,
    'a Content-Length with a list': `${head}Content-Length: 11, 11\r\n\r\n{"value":1}`,
    'an obfuscated Transfer-Encoding (xchunked)': `${head}Transfer-Encoding: xchunked\r\nContent-Length: 11\r\n\r\n{"value":1}`,
    'Transfer-Encoding with a space before the colon': `${head}Transfer-Encoding : chunked\r\nContent-Length: 11\r\n\r\n{"value":1}`,
    'a Transfer-Encoding folded onto a second line': `${head}Transfer-Encoding:\r\n chunked\r\n\r\nb\r\n{"value":1}\r\n0\r\n\r\n`,
    'a chunk size that overflows 64 bits': `${head}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffffb\r\n{"value":1}\r\n0\r\n\r\n`,
    'a NUL byte in a header value': `${head}X-Evil: a\u0000b\r\nContent-Length: 11\r\n\r\n{"value":1}`,
    'a bare CR inside the head': `${head}X-Evil: a\rContent-Length: 99\r\nContent-Length: 11\r\n\r\n{"value":1}`,
  };

  for (const [name, bytes] of Object.entries(refused)) {
    it(`refuses ${name} with 400 BAD_REQUEST; the broker never sees it`, async () => {
      const r = await rawExchange(lb.url, bytes, {timeoutMs: 5000});
      const {status, body} = parseRaw(r.text);
      expect(status, r.text).toBe(400);
      expectErrorBody(body, 'BAD_REQUEST');
      expect(r.text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
      expect((await b.client.health()).status).toBe('ok');
    });
  }

  it('a chunked body with a request after it is two requests read in order, not one hidden in another', async () => {
    const body = '{"key":"b","value":"chunked"}';
    const r = await rawExchange(lb.url, `${head}Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, {timeoutMs: 5000});
    const statuses = [...r.text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 200]);
    const res = JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4, r.text.indexOf('}', r.text.indexOf('\r\n\r\n')) + 1)) as {partition: number; offset: number};
    acked.push({topic: 'lbt', partition: res.partition, offset: res.offset, value: '"chunked"', key: 'b'});
  });

  it('a body over the lb\'s limit is 413 REQUEST_TOO_LARGE and a head over it 431 HEADERS_TOO_LARGE', async () => {
    const big = await rawExchange(lb.url, `${head}Content-Length: 5000\r\n\r\n{"value":"${'x'.repeat(4988)}"}`, {timeoutMs: 5000});
    expect(parseRaw(big.text).status).toBe(413);
    expectErrorBody(parseRaw(big.text).body, 'REQUEST_TOO_LARGE');
    const headers = await rawExchange(lb.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(5000)}\r\n\r\n`, {timeoutMs: 5000});
    expect(parseRaw(headers.text).status).toBe(431);
    expectErrorBody(parseRaw(headers.text).body, 'HEADERS_TOO_LARGE');
  });

  it('a forged x-mq-internal-auth through the lb cannot write to an internal topic', async () => {
    const res = await fetch(`${lb.url}/v1/topics/__receipts/messages`, {method: 'POST', headers: {'content-type': 'application/json', 'x-mq-internal-auth': 'f'.repeat(64)}, body: '{"value":1}'});
    expect(res.status).toBe(400);
    expectErrorBody(await res.text(), 'INVALID_TOPIC_NAME');
  });

  it('forged hop headers do not make the broker take a client\'s request for a broker\'s', async () => {
    const res = await fetch(`${lb.url}/v1/topics/lbt/messages`, {method: 'POST', headers: {'content-type': 'application/json', 'x-mq-hops': '99', 'x-mq-forwarded-by': '7'}, body: '{"key":"c","value":"hops"}'});
    expect(res.status).toBe(200);
    const r = (await res.json()) as {partition: number; offset: number};
    acked.push({topic: 'lbt', partition: r.partition, offset: r.offset, value: '"hops"', key: 'c'});
  });

  it('stored exactly the acknowledged messages: nothing smuggled, nothing lost', async () => {
    await expectAllIntact(b.client, acked);
    const page = await b.client.fetch('lbt', 0, {offset: 0, maxMessages: 100});
    expect(page.messages.map((m) => m.value)).not.toContain('SMUGGLED');
    expect(page.messages).toHaveLength(acked.length);
  });
});
