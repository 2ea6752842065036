import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import type {RunningLb} from '../../src/lb/index.js';
import {rawExchange, Recorder, startTestLb} from './helpers.js';

/** What one request head in the upstream's raw bytes says about framing. */
function heads(raw: string): string[] {
  return raw.split(/\r\n\r\n/).filter((h) => /^[A-Z]+ \/\S* HTTP\/1\.1\r\n/.test(h));
}

describe('lb - what reaches the broker is well-formed', () => {
  let up: Recorder;
  let lb: RunningLb;
  beforeEach(async () => {
    up = await new Recorder().listen();
    lb = await startTestLb([up.url], {requestBytesMax: 1024, headerBytesMax: 2048});
  });
  afterEach(async () => {
    await lb.close();
    await up.close();
  });

  it('forwarding headers are the lb\'s own; hop-by-hop headers and the client\'s framing never cross', async () => {
    const res = await rawExchange(
      lb.url,
      'POST /v1/topics/t/messages?acks=all HTTP/1.1\r\nHost: lb.example:12345\r\nContent-Type: application/json\r\n' +
        'X-Forwarded-For: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\nX-Mq-Hops: 0\r\nX-Mq-Forwarded-By: 2\r\n' +
        'Connection: close, X-Secret\r\nX-Secret: hop\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nTrailer: X-T\r\nX-Mq-No-Forward: 1\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n5\r\n{"val\r\n8\r\nue":1}  \r\n0\r\n\r\n',
    );
    expect(res).toMatch(/^HTTP\/1\.1 200 /);
    expect(up.seen).toHaveLength(1);
    const seen = up.seen[0]!;
    expect(seen.body.toString()).toBe('{"value":1}  ');
    expect(seen.url).toBe('/v1/topics/t/messages?acks=all');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-host']).toBe('lb.example:12345');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers.host).toBe(new URL(up.url).host);
    expect(seen.headers['x-mq-no-forward']).toBe('1');
    for (const h of ['forwarded', 'x-real-ip', 'x-mq-hops', 'x-mq-forwarded-by', 'x-secret', 'keep-alive', 'te', 'trailer', 'transfer-encoding']) expect(seen.headers, h).not.toHaveProperty(h);
    // the raw bytes: one request, framed by one Content-Length of the lb's own
    const [head] = heads(up.raw);
    expect(heads(up.raw)).toHaveLength(1);
    expect(head!.match(/^content-length: /gim)).toHaveLength(1);
    expect(head).toMatch(/^content-length: 13$/im);
    expect(head).not.toMatch(/transfer-encoding/i);
  });

  const ambiguous: Record<string, string> = {
    'Content-Length and Transfer-Encoding': 'POST /v1/topics/t/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    'two Content-Lengths': 'POST /v1/topics/t/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd',
    'a list in Content-Length': 'POST /v1/topics/t/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 4\r\n\r\nabcd',
    'an unknown transfer coding': 'POST /v1/topics/t/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    'chunked not last': 'POST /v1/topics/t/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    'a bad chunk size': 'POST /v1/topics/t/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
    'bare LF line ends in chunks': 'POST /v1/topics/t/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n',
    'a space before the colon': 'POST /v1/topics/t/messages HTTP/1.1\r\nHost: x\r\nContent-Length : 3\r\n\r\nabc',
    'an obs-folded header': 'GET /v1/topics HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n',
    'no Host header': 'GET /v1/topics HTTP/1.1\r\n\r\n',
    'an absolute-form target': 'GET http://internal.example/v1/topics HTTP/1.1\r\nHost: x\r\n\r\n',
  };
  for (const [name, bytes] of Object.entries(ambiguous)) {
    it(`refuses ${name} with 400 and sends nothing upstream`, async () => {
      const res = await rawExchange(lb.url, bytes);
      expect(res).toMatch(/^HTTP\/1\.1 400 /);
      expect(res).toContain('"code":"BAD_REQUEST"');
      expect(up.seen).toEqual([]);
      expect(up.raw).toBe('');
    });
  }

  it('a body or headers over the limits get 413 and 431, and nothing goes upstream', async () => {
    const big = await rawExchange(lb.url, `POST /v1/topics/t/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n${'x'.repeat(2000)}`);
    expect(big).toMatch(/^HTTP\/1\.1 413 /);
    expect(big).toContain('"code":"REQUEST_TOO_LARGE"');
    const chunked = await rawExchange(lb.url, `POST /v1/topics/t/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${'400\r\n' + 'y'.repeat(1024) + '\r\n'}${'400\r\n' + 'y'.repeat(1024) + '\r\n'}0\r\n\r\n`);
    expect(chunked).toMatch(/^HTTP\/1\.1 413 /);
    const headers = await rawExchange(lb.url, `GET /v1/topics HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(4000)}\r\n\r\n`);
    expect(headers).toMatch(/^HTTP\/1\.1 431 /);
    expect(headers).toContain('"code":"HEADERS_TOO_LARGE"');
    expect(up.seen).toEqual([]);
  });

  it('pipelined requests on one connection arrive upstream as separate requests, in order', async () => {
    const res = await rawExchange(lb.url, 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(res.match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
    expect(up.paths()).toEqual(['POST /a', 'GET /b']);
  });
}, 20_000);
