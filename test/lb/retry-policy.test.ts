import {describe, expect, it} from 'vitest';
import {resolveLbConfig} from '../../src/lb/index.js';
import {classifyRequest} from '../../src/lb/retry-policy.js';

const P = '/v1/topics/orders/messages';
const body = (x: unknown): Buffer => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x));

describe('lb retry policy - what may go to a second broker', () => {
  it('reads always', () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS']) expect(classifyRequest(m, '/v1/topics/t/partitions/0/messages?offset=0', undefined, Buffer.alloc(0))).toEqual({retriable: true, messages: 0});
  });

  it('a produce whose every message has a non-empty string id', () => {
    expect(classifyRequest('POST', P, 'application/json', body({id: 'a', value: 1}))).toEqual({retriable: true, messages: 1});
    expect(classifyRequest('POST', `${P}?acks=all`, 'application/json; charset=utf-8', body({messages: [{id: 'a', value: 1}, {id: 'b', value: 2}]}))).toEqual({retriable: true, messages: 2});
    expect(classifyRequest('POST', P, 'application/x-ndjson', body('{"id":"a","value":1}\n\n{"id":"b","value":2}\n'))).toEqual({retriable: true, messages: 2});
  });

  it('never a produce with a message without id (or an empty or non-string one), nor an unreadable body', () => {
    expect(classifyRequest('POST', P, 'application/json', body({messages: [{id: 'a', value: 1}, {value: 2}]})).retriable).toBe(false);
    expect(classifyRequest('POST', P, 'application/json', body({id: '', value: 1})).retriable).toBe(false);
    expect(classifyRequest('POST', P, 'application/json', body({id: 7, value: 1})).retriable).toBe(false);
    expect(classifyRequest('POST', P, 'application/json', body({messages: []})).retriable).toBe(false);
    expect(classifyRequest('POST', P, 'application/json', body('{"id":"a",')).retriable).toBe(false);
    expect(classifyRequest('POST', P, 'application/x-ndjson', body('{"id":"a","value":1}\n{"value":2}')).retriable).toBe(false);
  });

  it('never any other write, ids or not', () => {
    for (const [m, u] of [['POST', '/v1/topics'], ['POST', '/v1/groups/g/fetch'], ['POST', '/v1/groups/g/ack'], ['PATCH', '/v1/topics/t'], ['DELETE', '/v1/topics/t'], ['PUT', P], ['POST', '/v1/topics/t/redrive']]) {
      expect(classifyRequest(m!, u!, 'application/json', body({id: 'a', value: 1})).retriable, `${m} ${u}`).toBe(false);
    }
  });
});

describe('lb config - one schema, MQ_LB_* variables', () => {
  it('flags > environment > defaults, validated', () => {
    const c = resolveLbConfig({flags: {upstreams: ['http://a:1/'], healthFall: 5}, env: {MQ_LB_HEALTH_FALL: '3', MQ_LB_HEALTH_RISE: '4', MQ_LB_STRATEGY: 'least-in-flight'}});
    expect(c).toMatchObject({upstreams: ['http://a:1'], healthFall: 5, healthRise: 4, strategy: 'least-in-flight', listen: '127.0.0.1:12345'});
    expect(resolveLbConfig({env: {MQ_LB_UPSTREAMS: 'http://a:1,http://b:2'}}).upstreams).toEqual(['http://a:1', 'http://b:2']);
    expect(() => resolveLbConfig({env: {}})).toThrow(/--upstream/);
    expect(() => resolveLbConfig({flags: {upstreams: ['ftp://x']}, env: {}})).toThrow(/upstreams/);
    expect(() => resolveLbConfig({flags: {upstreams: ['http://a:1'], healthTimeoutMs: 5000, healthIntervalMs: 1000}, env: {}})).toThrow(/healthTimeoutMs/);
    expect(() => resolveLbConfig({flags: {upstreams: ['http://a:1']}, env: {MQ_LB_RETRIES: 'many'}})).toThrow(/MQ_LB_RETRIES/);
  });
});
