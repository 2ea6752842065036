import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {startTestBroker, type TestBroker} from '../helpers/broker.js';

interface Case {
  name: string;
  method?: string;
  path: string;
  body?: string | Buffer;
  type?: string | null;
  status: number;
  code: string;
}

const J = 'application/json';

describe('broker - bad input gets a clear error and loses nothing', () => {
  let b: TestBroker;
  let acked: Array<{partition: number; offset: number; value: string}> = [];

  beforeAll(async () => {
    b = await startTestBroker({autoCreateTopics: false, messageBytesMax: 1024, requestBytesMax: 32 * 1024, batchMessagesMax: 50});
    await b.client.createTopic({name: 'good', partitions: 2});
    const results = await b.client.produce(
      'good',
      Array.from({length: 20}, (_, i) => ({key: `k${i}`, id: `good-${i}`, value: {i}})),
    );
    acked = results.map((r, i) => ({...(r as {partition: number; offset: number}), value: JSON.stringify({i})}));
  });

  afterAll(async () => {
    await b.stop({purge: true});
  });

  const big = JSON.stringify({value: 'x'.repeat(2000)});
  const cases: Case[] = [
    {name: 'produce to an unknown topic with auto-create off', path: '/v1/topics/missing/messages', body: '{"value":1}', status: 404, code: 'TOPIC_NOT_FOUND'},
    {name: 'malformed JSON', path: '/v1/topics/good/messages', body: '{"value": [1, 2', status: 400, code: 'INVALID_JSON'},
    {name: 'empty body', path: '/v1/topics/good/messages', body: '', status: 400, code: 'INVALID_JSON'},
    {name: 'a message over the size limit', path: '/v1/topics/good/messages', body: big, status: 413, code: 'MESSAGE_TOO_LARGE'},
    {name: 'a request over the size limit', path: '/v1/topics/good/messages', body: JSON.stringify({messages: Array.from({length: 40}, () => ({value: 'y'.repeat(1000)}))}), status: 413, code: 'REQUEST_TOO_LARGE'},
    {name: 'a batch over the count limit', path: '/v1/topics/good/messages', body: JSON.stringify({messages: Array.from({length: 51}, () => ({value: 1}))}), status: 413, code: 'BATCH_TOO_LARGE'},
    {name: 'an explicit partition that does not exist', path: '/v1/topics/good/messages', body: '{"value":1,"partition":7}', status: 404, code: 'PARTITION_NOT_FOUND'},
    {name: 'an unknown envelope field', path: '/v1/topics/good/messages', body: '{"value":1,"ttl":5}', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'a __proto__ envelope', path: '/v1/topics/good/messages', body: '{"value":1,"__proto__":{"admin":true}}', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'a key of the wrong type', path: '/v1/topics/good/messages', body: '{"value":1,"key":42}', status: 400, code: 'INVALID_FIELD'},
    {name: 'a priority of the wrong type', path: '/v1/topics/good/messages', body: '{"value":1,"priority":"high"}', status: 400, code: 'INVALID_FIELD'},
    {name: 'a batch with one bad message', path: '/v1/topics/good/messages', body: '{"messages":[{"value":1},{"value":2,"oops":true}]}', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'a non-JSON content type', path: '/v1/topics/good/messages', body: '{"value":1}', type: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE'},
    {name: 'no content type', path: '/v1/topics/good/messages', body: '{"value":1}', type: null, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE'},
    {name: 'an unknown acks level', path: '/v1/topics/good/messages?acks=2', body: '{"value":1}', status: 400, code: 'BAD_REQUEST'},
    {name: 'an unknown query parameter', path: '/v1/topics/good/messages?ack=all', body: '{"value":1}', status: 400, code: 'BAD_REQUEST'},
    {name: 'an invalid topic name on produce', path: '/v1/topics/bad%20name/messages', body: '{"value":1}', status: 400, code: 'INVALID_TOPIC_NAME'},
    {name: 'a same-id retry with a different payload', path: '/v1/topics/good/messages', body: '{"key":"k3","id":"good-3","value":{"i":999}}', status: 409, code: 'ID_CONFLICT'},
    {name: 'a negative offset', method: 'GET', path: '/v1/topics/good/partitions/0/messages?offset=-1', status: 400, code: 'INVALID_OFFSET'},
    {name: 'a fractional offset', method: 'GET', path: '/v1/topics/good/partitions/0/messages?offset=1.5', status: 400, code: 'INVALID_OFFSET'},
    {name: 'an offset past 2^53', method: 'GET', path: '/v1/topics/good/partitions/0/messages?offset=9007199254740993', status: 400, code: 'INVALID_OFFSET'},
    {name: 'an offset past the high watermark', method: 'GET', path: '/v1/topics/good/partitions/0/messages?offset=100000', status: 416, code: 'OFFSET_OUT_OF_RANGE'},
    {name: 'a partition that does not exist', method: 'GET', path: '/v1/topics/good/partitions/9/messages', status: 404, code: 'PARTITION_NOT_FOUND'},
    {name: 'a partition that is not a number', method: 'GET', path: '/v1/topics/good/partitions/zero/messages', status: 400, code: 'BAD_REQUEST'},
    {name: 'a fetch from an unknown topic', method: 'GET', path: '/v1/topics/nope/partitions/0/messages', status: 404, code: 'TOPIC_NOT_FOUND'},
    {name: 'max_messages that is not a number', method: 'GET', path: '/v1/topics/good/partitions/0/messages?max_messages=lots', status: 400, code: 'BAD_REQUEST'},
    {name: 'creating an existing topic', path: '/v1/topics', body: '{"name":"good"}', status: 409, code: 'TOPIC_EXISTS'},
    {name: 'an invalid topic name', path: '/v1/topics', body: '{"name":"../etc"}', status: 400, code: 'INVALID_TOPIC_NAME'},
    {name: 'an internal topic name', path: '/v1/topics', body: '{"name":"__groups"}', status: 400, code: 'INVALID_TOPIC_NAME'},
    {name: 'zero partitions', path: '/v1/topics', body: '{"name":"zero","partitions":0}', status: 400, code: 'INVALID_CONFIG'},
    {name: 'a replication factor above the broker count', path: '/v1/topics', body: '{"name":"rf","replication_factor":3}', status: 400, code: 'INVALID_CONFIG'},
    {name: 'an unknown topic setting', path: '/v1/topics', body: '{"name":"x","colour":"red"}', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'a topic setting of the wrong type', path: '/v1/topics', body: '{"name":"x","partitions":"two"}', status: 400, code: 'INVALID_FIELD'},
    {name: 'a missing topic name', path: '/v1/topics', body: '{"partitions":2}', status: 400, code: 'MISSING_FIELD'},
    {name: 'shrinking partitions', method: 'PATCH', path: '/v1/topics/good', body: '{"partitions":1}', status: 400, code: 'INVALID_CONFIG'},
    {name: 'an unknown endpoint', method: 'GET', path: '/v2/everything', status: 404, code: 'NOT_FOUND'},
    {name: 'a wrong method', method: 'PUT', path: '/v1/topics/good/messages', body: '{}', status: 405, code: 'METHOD_NOT_ALLOWED'},
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.status} ${c.code}`, async () => {
      const headers: Record<string, string> = {};
      const type = c.type === undefined ? J : c.type;
      if (type !== null) headers['content-type'] = type;
      const res = await fetch(b.url + c.path, {method: c.method ?? 'POST', headers, body: c.body === undefined ? undefined : new Blob([c.body])});
      const text = await res.text();
      expect(res.status, text).toBe(c.status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = JSON.parse(text) as {error: {code: string; message: string; written: unknown; retriable: boolean}};
      expect(body.error.code).toBe(c.code);
      expect(body.error.message.length).toBeGreaterThan(0);
      expect(body.error.written).toBe(false);
      expect(body.error.message).not.toMatch(/at .*\.(js|ts):\d+/);
      expect((await b.client.health()).status).toBe('ok');
    });
  }

  it('names the allowed methods on 405', async () => {
    const res = await fetch(`${b.url}/v1/topics`, {method: 'DELETE'});
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
  });

  it('kept every acknowledged message, and nothing from the rejected requests', async () => {
    const d = await b.client.describeTopic('good');
    expect(d.messages).toBe(acked.length);
    for (const p of [0, 1]) {
      const page = await b.client.fetch('good', p, {offset: 0, maxMessages: 1000});
      const mine = acked.filter((a) => a.partition === p).sort((x, y) => x.offset - y.offset);
      expect(page.messages.map((m) => [m.offset, JSON.stringify(m.value)])).toEqual(mine.map((a) => [a.offset, a.value]));
    }
    expect((await b.client.listTopics()).map((t) => t.name)).toEqual(['good']);
  });
});
