import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {startTestBroker, waitFor, type TestBroker} from '../helpers/broker.js';
import {checkCase, expectAllIntact, expectErrorBody, type Acked, type HostileCase} from './hostile-kit.js';

/**
 * Hostile and malformed requests against one broker: each gets its status and stable code with `written: false`, the
 * broker keeps serving, and at the end every acknowledged message reads back unchanged and nothing else was written.
 */
describe('hostile requests - a clear error, nothing written, nothing lost', () => {
  let b: TestBroker;
  const acked: Acked[] = [];

  beforeAll(async () => {
    b = await startTestBroker({autoCreateTopics: false, messageBytesMax: 1024, requestBytesMax: 32 * 1024, batchMessagesMax: 50, headersCountMax: 8, waitMsMax: 300});
    await b.client.createTopic({name: 'good', partitions: 2});
    const results = await b.client.produce(
      'good',
      Array.from({length: 20}, (_, i) => ({key: `k${i}`, id: `good-${i}`, value: {i}})),
    );
    results.forEach((r, i) => acked.push({topic: 'good', ...(r as {partition: number; offset: number}), value: JSON.stringify({i}), key: `k${i}`}));
  });

  afterAll(async () => {
    await b.stop({purge: true});
  });

  const P = '/v1/topics/good/messages';
  const big = JSON.stringify({value: 'x'.repeat(2000)});
  const ND = 'application/x-ndjson';
  const cases: HostileCase[] = [
    // produce bodies: JSON
    {name: 'produce to an unknown topic with auto-create off', path: '/v1/topics/missing/messages', body: '{"value":1}', status: 404, code: 'TOPIC_NOT_FOUND'},
    {name: 'malformed JSON', path: P, body: '{"value": [1, 2', status: 400, code: 'INVALID_JSON'},
    {name: 'trailing garbage after the JSON', path: P, body: '{"value":1} {"value":2}', status: 400, code: 'INVALID_JSON'},
    {name: 'empty body', path: P, body: '', status: 400, code: 'INVALID_JSON'},
    {name: 'a JSON array body', path: P, body: '[{"value":1}]', status: 400, code: 'INVALID_FIELD'},
    {name: 'a JSON null body', path: P, body: 'null', status: 400, code: 'INVALID_FIELD'},
    {name: 'a bare string body', path: P, body: '"hello"', status: 400, code: 'INVALID_FIELD'},
    {name: 'a message over the size limit', path: P, body: big, status: 413, code: 'MESSAGE_TOO_LARGE'},
    {name: 'a request over the size limit', path: P, body: JSON.stringify({messages: Array.from({length: 40}, () => ({value: 'y'.repeat(1000)}))}), status: 413, code: 'REQUEST_TOO_LARGE'},
    {name: 'a batch over the count limit', path: P, body: JSON.stringify({messages: Array.from({length: 51}, () => ({value: 1}))}), status: 413, code: 'BATCH_TOO_LARGE'},
    {name: 'an empty batch', path: P, body: '{"messages":[]}', status: 400, code: 'MISSING_FIELD'},
    {name: 'messages that is not an array', path: P, body: '{"messages":{"value":1}}', status: 400, code: 'INVALID_FIELD'},
    {name: 'a batch element that is not an object', path: P, body: '{"messages":[{"value":1},7]}', status: 400, code: 'INVALID_FIELD'},
    {name: 'an explicit partition that does not exist', path: P, body: '{"value":1,"partition":7}', status: 404, code: 'PARTITION_NOT_FOUND'},
    {name: 'a negative partition', path: P, body: '{"value":1,"partition":-1}', status: 400, code: 'INVALID_FIELD'},
    {name: 'a fractional partition', path: P, body: '{"value":1,"partition":0.5}', status: 400, code: 'INVALID_FIELD'},
    {name: 'a partition past 1e308 (Infinity)', path: P, body: '{"value":1,"partition":1e400}', status: 400, code: 'INVALID_FIELD'},
    {name: 'a priority of 2^64', path: P, body: '{"value":1,"priority":18446744073709551616}', status: 400, code: 'INVALID_FIELD'},
    {name: 'a negative delay', path: P, body: '{"value":1,"delay_ms":-1}', status: 400, code: 'INVALID_FIELD'},
    {name: 'both delay_ms and not_before', path: P, body: '{"value":1,"delay_ms":5,"not_before":5}', status: 400, code: 'INVALID_FIELD'},
    {name: 'neither value nor value_base64', path: P, body: '{"key":"k"}', status: 400, code: 'MISSING_FIELD'},
    {name: 'both value and value_base64', path: P, body: '{"value":1,"value_base64":"AA=="}', status: 400, code: 'INVALID_FIELD'},
    {name: 'value_base64 that is not base64', path: P, body: '{"value_base64":"not base64!"}', status: 400, code: 'INVALID_FIELD'},
    {name: 'an unknown envelope field', path: P, body: '{"value":1,"ttl":5}', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'a __proto__ envelope', path: P, body: '{"value":1,"__proto__":{"admin":true}}', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'a constructor envelope', path: P, body: '{"value":1,"constructor":{"prototype":{"admin":true}}}', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'a __proto__ next to messages', path: P, body: '{"messages":[{"value":1}],"__proto__":{"admin":true}}', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'a __proto__ header name', path: P, body: '{"value":1,"headers":{"__proto__":"x"}}', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'a prototype header name', path: P, body: '{"value":1,"headers":{"prototype":"x"}}', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'headers that are an array', path: P, body: '{"value":1,"headers":["a"]}', status: 400, code: 'INVALID_FIELD'},
    {name: 'a header value that is a number', path: P, body: '{"value":1,"headers":{"a":1}}', status: 400, code: 'INVALID_FIELD'},
    {name: 'more message headers than headersCountMax', path: P, body: JSON.stringify({value: 1, headers: Object.fromEntries(Array.from({length: 9}, (_, i) => [`h${i}`, 'v']))}), status: 400, code: 'INVALID_FIELD'},
    {name: 'a key of the wrong type', path: P, body: '{"value":1,"key":42}', status: 400, code: 'INVALID_FIELD'},
    {name: 'an empty id', path: P, body: '{"value":1,"id":""}', status: 400, code: 'INVALID_FIELD'},
    {name: 'an id over idBytesMax', path: P, body: JSON.stringify({value: 1, id: 'i'.repeat(300)}), status: 400, code: 'INVALID_FIELD'},
    {name: 'a priority of the wrong type', path: P, body: '{"value":1,"priority":"high"}', status: 400, code: 'INVALID_FIELD'},
    {name: 'a batch with one bad message', path: P, body: '{"messages":[{"value":1},{"value":2,"oops":true}]}', status: 400, code: 'UNKNOWN_FIELD'},
    // invalid UTF-8 and text that is not Unicode
    {name: 'invalid UTF-8 in a value', path: P, body: Buffer.concat([Buffer.from('{"value":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), status: 400, code: 'INVALID_JSON'},
    {name: 'an overlong UTF-8 encoding in a key', path: P, body: Buffer.concat([Buffer.from('{"value":1,"key":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), status: 400, code: 'INVALID_JSON'},
    {name: 'a UTF-8 encoded surrogate in a header value', path: P, body: Buffer.concat([Buffer.from('{"value":1,"headers":{"h":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}}')]), status: 400, code: 'INVALID_JSON'},
    {name: 'a lone surrogate escape in a key', path: P, body: '{"value":1,"key":"a\\ud800b"}', status: 400, code: 'INVALID_FIELD'},
    {name: 'a lone surrogate escape in a header', path: P, body: '{"value":1,"headers":{"h":"\\udc00"}}', status: 400, code: 'INVALID_FIELD'},
    {name: 'invalid UTF-8 in the topic name in the path', path: '/v1/topics/%FF%FE/messages', body: '{"value":1}', status: 400, code: 'BAD_REQUEST'},
    {name: 'a broken percent-encoding in the path', path: '/v1/topics/%E0%A4%A/messages', body: '{"value":1}', status: 400, code: 'BAD_REQUEST'},
    // NDJSON
    {name: 'an NDJSON line that is not JSON', path: P, type: ND, body: '{"value":1}\n{"value":\n', status: 400, code: 'INVALID_JSON'},
    {name: 'an NDJSON line that is an array', path: P, type: ND, body: '{"value":1}\n[1]\n', status: 400, code: 'INVALID_FIELD'},
    {name: 'an NDJSON body of blank lines', path: P, type: ND, body: '\n \n\t\n', status: 400, code: 'MISSING_FIELD'},
    {name: 'an NDJSON line with a __proto__ envelope', path: P, type: ND, body: '{"value":1}\n{"value":2,"__proto__":{"x":1}}\n', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'an NDJSON line with invalid UTF-8', path: P, type: ND, body: Buffer.concat([Buffer.from('{"value":1}\n{"value":"'), Buffer.from([0x80]), Buffer.from('"}\n')]), status: 400, code: 'INVALID_JSON'},
    {name: 'NDJSON over the batch count limit', path: P, type: ND, body: '{"value":1}\n'.repeat(51), status: 413, code: 'BATCH_TOO_LARGE'},
    // content types and query parameters
    {name: 'a non-JSON content type', path: P, body: '{"value":1}', type: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE'},
    {name: 'a form content type (a cross-site form)', path: P, body: 'value=1', type: 'application/x-www-form-urlencoded', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE'},
    {name: 'no content type', path: P, body: '{"value":1}', type: null, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE'},
    {name: 'an unknown acks level', path: `${P}?acks=2`, body: '{"value":1}', status: 400, code: 'BAD_REQUEST'},
    {name: 'an unknown query parameter', path: `${P}?ack=all`, body: '{"value":1}', status: 400, code: 'BAD_REQUEST'},
    {name: 'a __proto__ query parameter', path: `${P}?__proto__=1`, body: '{"value":1}', status: 400, code: 'BAD_REQUEST'},
    {name: 'await of an unknown kind', path: `${P}?await=written`, body: '{"value":1}', status: 400, code: 'BAD_REQUEST'},
    {name: 'an invalid topic name on produce', path: '/v1/topics/bad%20name/messages', body: '{"value":1}', status: 400, code: 'INVALID_TOPIC_NAME'},
    {name: 'a topic name of 600 characters in the path', path: `/v1/topics/${'t'.repeat(600)}/messages`, body: '{"value":1}', status: 400, code: 'BAD_REQUEST'},
    {name: 'a thousand unknown query parameters', path: `${P}?${Array.from({length: 1000}, (_, i) => `p${i}=1`).join('&')}`, body: '{"value":1}', status: 400, code: 'BAD_REQUEST'},
    {name: 'a dot-dot topic name on produce', path: '/v1/topics/../messages', body: '{"value":1}', status: 404, code: 'NOT_FOUND'},
    {name: 'a same-id retry with a different payload', path: P, body: '{"key":"k3","id":"good-3","value":{"i":999}}', status: 409, code: 'ID_CONFLICT'},
    {name: 'a forged x-mq-internal-auth write to an internal topic', path: '/v1/topics/__receipts/messages', headers: {'x-mq-internal-auth': 'a'.repeat(64)}, body: '{"value":1}', status: 400, code: 'INVALID_TOPIC_NAME'},
    // fetch: offsets and partitions
    {name: 'a negative offset', method: 'GET', path: '/v1/topics/good/partitions/0/messages?offset=-1', status: 400, code: 'INVALID_OFFSET'},
    {name: 'a fractional offset', method: 'GET', path: '/v1/topics/good/partitions/0/messages?offset=1.5', status: 400, code: 'INVALID_OFFSET'},
    {name: 'an offset in exponent form', method: 'GET', path: '/v1/topics/good/partitions/0/messages?offset=1e3', status: 400, code: 'INVALID_OFFSET'},
    {name: 'a hexadecimal offset', method: 'GET', path: '/v1/topics/good/partitions/0/messages?offset=0x10', status: 400, code: 'INVALID_OFFSET'},
    {name: 'an empty offset', method: 'GET', path: '/v1/topics/good/partitions/0/messages?offset=', status: 400, code: 'INVALID_OFFSET'},
    {name: 'a repeated offset whose last is negative', method: 'GET', path: '/v1/topics/good/partitions/0/messages?offset=1&offset=-1', status: 400, code: 'INVALID_OFFSET'},
    {name: 'an offset past 2^53', method: 'GET', path: '/v1/topics/good/partitions/0/messages?offset=9007199254740993', status: 400, code: 'INVALID_OFFSET'},
    {name: 'an offset past the high watermark', method: 'GET', path: '/v1/topics/good/partitions/0/messages?offset=100000', status: 416, code: 'OFFSET_OUT_OF_RANGE'},
    {name: 'a partition that does not exist', method: 'GET', path: '/v1/topics/good/partitions/9/messages', status: 404, code: 'PARTITION_NOT_FOUND'},
    {name: 'a partition past 2^53', method: 'GET', path: '/v1/topics/good/partitions/99999999999999999999/messages', status: 400, code: 'BAD_REQUEST'},
    {name: 'a negative partition in the path', method: 'GET', path: '/v1/topics/good/partitions/-1/messages', status: 400, code: 'BAD_REQUEST'},
    {name: 'a partition that is not a number', method: 'GET', path: '/v1/topics/good/partitions/zero/messages', status: 400, code: 'BAD_REQUEST'},
    {name: 'a fetch from an unknown topic', method: 'GET', path: '/v1/topics/nope/partitions/0/messages', status: 404, code: 'TOPIC_NOT_FOUND'},
    {name: 'max_messages that is not a number', method: 'GET', path: '/v1/topics/good/partitions/0/messages?max_messages=lots', status: 400, code: 'BAD_REQUEST'},
    {name: 'a negative wait_ms', method: 'GET', path: '/v1/topics/good/partitions/0/messages?wait_ms=-5', status: 400, code: 'BAD_REQUEST'},
    {name: 'an unknown value encoding', method: 'GET', path: '/v1/topics/good/partitions/0/messages?value_encoding=hex', status: 400, code: 'BAD_REQUEST'},
    {name: 'a stream from a negative offset', method: 'GET', path: '/v1/topics/good/stream?from=-1', status: 400, code: 'INVALID_OFFSET'},
    {name: 'a stream of an unknown partition', method: 'GET', path: '/v1/topics/good/stream?partition=5', status: 404, code: 'PARTITION_NOT_FOUND'},
    {name: 'a stream resumed from a forged Last-Event-ID', method: 'GET', path: '/v1/topics/good/stream', headers: {'last-event-id': 'p0=1,__proto__=2'}, status: 400, code: 'BAD_REQUEST'},
    {name: 'a stream resumed past the end', method: 'GET', path: '/v1/topics/good/stream', headers: {'last-event-id': 'p0=999999'}, status: 416, code: 'OFFSET_OUT_OF_RANGE'},
    // admin bodies
    {name: 'creating an existing topic', path: '/v1/topics', body: '{"name":"good"}', status: 409, code: 'TOPIC_EXISTS'},
    {name: 'an invalid topic name', path: '/v1/topics', body: '{"name":"../etc"}', status: 400, code: 'INVALID_TOPIC_NAME'},
    {name: 'an internal topic name', path: '/v1/topics', body: '{"name":"__groups"}', status: 400, code: 'INVALID_TOPIC_NAME'},
    {name: 'zero partitions', path: '/v1/topics', body: '{"name":"zero","partitions":0}', status: 400, code: 'INVALID_CONFIG'},
    {name: 'a huge partition count', path: '/v1/topics', body: '{"name":"many","partitions":1e9}', status: 400, code: 'INVALID_CONFIG'},
    {name: 'a replication factor above the broker count', path: '/v1/topics', body: '{"name":"rf","replication_factor":3}', status: 400, code: 'INVALID_CONFIG'},
    {name: 'an unknown topic setting', path: '/v1/topics', body: '{"name":"x","colour":"red"}', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'a __proto__ topic config', path: '/v1/topics', body: '{"name":"x","__proto__":{"partitions":5}}', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'a __proto__ retention config', path: '/v1/topics', body: '{"name":"x","retention":{"__proto__":{"max_messages":1}}}', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'a topic setting of the wrong type', path: '/v1/topics', body: '{"name":"x","partitions":"two"}', status: 400, code: 'INVALID_FIELD'},
    {name: 'a missing topic name', path: '/v1/topics', body: '{"partitions":2}', status: 400, code: 'MISSING_FIELD'},
    {name: 'shrinking partitions', method: 'PATCH', path: '/v1/topics/good', body: '{"partitions":1}', status: 400, code: 'INVALID_CONFIG'},
    {name: 'a constructor group config', path: '/v1/groups', body: '{"name":"g","topics":["good"],"constructor":{"prototype":{}}}', status: 400, code: 'UNKNOWN_FIELD'},
    {name: 'a group whose topics are not an array', path: '/v1/groups', body: '{"name":"g","topics":"good"}', status: 400, code: 'INVALID_FIELD'},
    {name: 'an ack with lease_ids of the wrong type', path: '/v1/groups/nogroup/ack', body: '{"lease_ids":"abc"}', status: 400, code: 'INVALID_FIELD'},
    {name: 'an unknown endpoint', method: 'GET', path: '/v2/everything', status: 404, code: 'NOT_FOUND'},
    {name: 'a wrong method', method: 'PUT', path: P, body: '{}', status: 405, code: 'METHOD_NOT_ALLOWED'},
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.status} ${c.code}`, async () => {
      await checkCase(b.url, c);
      expect((await b.client.health()).status).toBe('ok');
    });
  }

  it('names the allowed methods on 405', async () => {
    const res = await fetch(`${b.url}/v1/topics`, {method: 'DELETE'});
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
  });

  it('a batch error lists every bad message by index, and none of the batch is written', async () => {
    const res = await fetch(b.url + P, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{"messages":[{"value":1},{"value":2,"key":7},{"value":3},{"x":1}]}'});
    expect(res.status).toBe(400);
    const body = expectErrorBody(await res.text(), 'INVALID_FIELD');
    expect((body.error.details?.errors as Array<{index: number}>).map((e) => e.index)).toEqual([1, 3]);
  });

  it('a long-poll asking for far more than waitMsMax is answered within a few times waitMsMax', async () => {
    const hw = (await b.client.describeTopic('good')).partition_details[0]!.high_watermark;
    const t0 = performance.now();
    const res = await fetch(`${b.url}/v1/topics/good/partitions/0/messages?offset=${hw}&wait_ms=9000000000000`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as {messages: unknown[]}).messages).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(10 * 300);
  });

  it('deeply nested JSON values (up to messageBytesMax) are stored and read back byte for byte', async () => {
    const depth = 500;
    const value = '['.repeat(depth) + ']'.repeat(depth);
    const res = await fetch(b.url + P, {method: 'POST', headers: {'content-type': 'application/json'}, body: `{"key":"deep","value":${value},"partition":1}`});
    const text = await res.text();
    if (res.status === 200) {
      const r = JSON.parse(text) as {partition: number; offset: number};
      const page = await fetch(`${b.url}/v1/topics/good/partitions/1/messages?offset=${r.offset}&max_messages=1`);
      expect(await page.text()).toContain(`"value":${value}`);
      acked.push({topic: 'good', partition: r.partition, offset: r.offset, value, key: 'deep'});
    } else {
      // a parser that refuses such nesting must say so as a client error
      expect(res.status).toBe(400);
      expectErrorBody(text, 'INVALID_JSON');
    }
    // either way the broker still serves
    expect((await b.client.health()).status).toBe('ok');
  });

  it('an expired lease cannot be acked: 409 LEASE_EXPIRED, and the message is delivered again', async () => {
    await b.client.createTopic({name: 'jobs', partitions: 1});
    const [r] = await b.client.produce('jobs', [{key: 'j', value: {job: 1}}]);
    acked.push({topic: 'jobs', ...(r as {partition: number; offset: number}), value: '{"job":1}', key: 'j'});
    await b.client.createGroup({name: 'workers', topics: ['jobs'], mode: 'queue', lease_ms: 100});
    const post = (path: string, body: unknown): Promise<Response> => fetch(b.url + path, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)});
    const first = (await (await post('/v1/groups/workers/fetch', {consumer: 'w1', lease_ms: 100})).json()) as {messages: Array<{lease_id: string; lease_expires_at: number}>};
    expect(first.messages).toHaveLength(1);
    const lease = first.messages[0]!.lease_id;
    // the lease runs out, and another consumer takes the message
    const again = await waitFor(async () => {
      const r2 = (await (await post('/v1/groups/workers/fetch', {consumer: 'w2', lease_ms: 60_000})).json()) as {messages: Array<{lease_id: string; delivery_count: number}>};
      return r2.messages[0];
    }, {what: 'redelivery after the lease expired'});
    expect(again.delivery_count).toBe(2);
    const res = await post('/v1/groups/workers/ack', {lease_id: lease});
    expect(res.status).toBe(409);
    expectErrorBody(await res.text(), 'LEASE_EXPIRED');
    const forged = await post('/v1/groups/workers/ack', {lease_id: 'forged-lease-id'});
    expect([400, 409]).toContain(forged.status);
    const ok = await post('/v1/groups/workers/ack', {lease_id: again.lease_id});
    expect(ok.status).toBe(200);
  });

  it('a commit from a stale generation is refused with 409 STALE_GENERATION and moves nothing', async () => {
    await b.client.createGroup({name: 'readers', topics: ['good'], mode: 'stream'});
    const a = await b.client.join('readers', {clientId: 'a'});
    const second = await b.client.join('readers', {clientId: 'b'});
    expect(second.generation).toBeGreaterThan(a.generation);
    const res = await fetch(`${b.url}/v1/groups/readers/commit`, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({member_id: a.member_id, generation: a.generation, offsets: [{topic: 'good', partition: 0, offset: 5}]}),
    });
    expect(res.status).toBe(409);
    expectErrorBody(await res.text(), 'STALE_GENERATION');
    const unknown = await fetch(`${b.url}/v1/groups/readers/heartbeat`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{"member_id":"nobody"}'});
    expect(unknown.status).toBe(409);
    expectErrorBody(await unknown.text(), 'UNKNOWN_MEMBER');
    const d = (await (await fetch(`${b.url}/v1/groups/readers`)).json()) as {partitions: Array<{committed: number | null}>};
    expect(d.partitions.every((p) => p.committed === null || p.committed === 0)).toBe(true);
  });

  it('no request polluted Object.prototype in the broker process', () => {
    const probe = {} as Record<string, unknown>;
    for (const k of ['admin', 'x', 'partitions', 'max_messages']) expect(probe[k], k).toBeUndefined();
  });

  it('kept every acknowledged message, and nothing from the rejected requests', async () => {
    await expectAllIntact(b.client, acked);
    const d = await b.client.describeTopic('good');
    expect(d.messages).toBe(acked.filter((a) => a.topic === 'good').length);
    expect((await b.client.listTopics()).map((t) => t.name).sort()).toEqual(['good', 'jobs']);
  });
});
