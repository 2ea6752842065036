import {request} from 'undici';
import {afterEach, describe, expect, it} from 'vitest';
import type {RunningLb} from '../../src/lb/index.js';
import {deadPort, json, lbStatus, Recorder, startTestLb, until} from './helpers.js';

const PRODUCE = '/v1/topics/t/messages';

async function post(lb: RunningLb, path: string, body: unknown, type = 'application/json'): Promise<{status: number; body: any}> {
  const r = await request(lb.url + path, {method: 'POST', headers: {'content-type': type}, body: typeof body === 'string' ? body : JSON.stringify(body)});
  const text = await r.body.text();
  return {status: r.statusCode, body: text ? JSON.parse(text) : undefined};
}

/**
 * Two upstreams, A first in round-robin order. A breaks the connection after it has read a request (a broker that
 * died after the request arrived: the outcome is unknown), B answers. With max_fails high enough that A is never
 * ejected, every request starts at A, so each case shows whether the lb went on to B.
 */
describe('lb - retries only when safe', () => {
  let a: Recorder;
  let b: Recorder;
  let lb: RunningLb | undefined;
  afterEach(async () => {
    await lb?.close();
    lb = undefined;
    await Promise.all([a?.close(), b?.close()]);
  });

  async function setup(aBehaviour: 'reset' | '503'): Promise<RunningLb> {
    a = await new Recorder(1).listen();
    b = await new Recorder(2).listen();
    a.handle = (_req, res) => void (aBehaviour === 'reset' ? res.socket!.destroy() : json(res, 503, {error: {code: 'UNAVAILABLE', message: 'no leader', written: false, retriable: true}}));
    b.handle = (req, res, body) => json(res, 200, {served_by: 2, url: req.url, body: body.toString()});
    // health is not what these tests are about: checks slow enough that a loaded machine never fails one (a failed
    // check would take A out, and the next request would start at B)
    lb = await startTestLb([a.url, b.url], {maxFails: 1000, retryBackoffMs: 1, healthIntervalMs: 60_000, healthTimeoutMs: 10_000});
    await until(async () => (await lbStatus(lb!)).lb!.upstreams.every((u) => u.state === 'up'), 10_000, 'both checked');
    return lb;
  }

  it('a produce whose messages all have ids goes to another broker (JSON batch, single envelope, NDJSON)', async () => {
    const lb = await setup('reset');
    expect(await post(lb, PRODUCE, {messages: [{id: 'x1', value: 1}, {id: 'x2', value: 2}]})).toMatchObject({status: 200, body: {served_by: 2}});
    expect(await post(lb, PRODUCE, {id: 'y1', value: 1})).toMatchObject({status: 200, body: {served_by: 2}});
    expect(await post(lb, PRODUCE, '{"id":"z1","value":1}\n{"id":"z2","value":2}\n', 'application/x-ndjson')).toMatchObject({status: 200, body: {served_by: 2}});
    // each went to A once, then to B once, with the same body
    expect(a.seen.map((s) => s.body.toString())).toEqual(b.seen.map((s) => s.body.toString()));
    expect(a.seen).toHaveLength(3);
  });

  it('a produce with a message without id, or any other write, is never repeated: 502, written unknown', async () => {
    const lb = await setup('reset');
    const requests = [
      [PRODUCE, {messages: [{id: 'x1', value: 1}, {value: 2}]}],
      [PRODUCE, {value: 3}],
      ['/v1/groups/g/fetch', {max_messages: 10}],
      ['/v1/groups/g/ack', {lease_ids: ['L1']}],
      ['/v1/topics', {name: 'n'}],
    ] as const;
    const answers = [];
    for (let round = 0; round < 2; round++) for (const [path, body] of requests) answers.push(await post(lb, path, body));
    const failed = answers.filter((r) => r.status === 502);
    // round-robin sends half of them to A first: every one of those failed, none reached B
    expect(failed).toHaveLength(a.seen.length);
    expect(a.seen.length).toBeGreaterThanOrEqual(requests.length - 1);
    for (const f of failed) expect(f.body.error).toMatchObject({code: 'UPSTREAM_FAILED', written: 'unknown'});
    expect(answers.filter((r) => r.status === 200)).toHaveLength(b.seen.length);
    expect(a.seen.length + b.seen.length).toBe(answers.length);
  });

  it('reads are repeated elsewhere', async () => {
    const lb = await setup('reset');
    const r = await request(`${lb.url}/v1/topics/t/partitions/0/messages?offset=0`);
    expect(r.statusCode).toBe(200);
    expect(await r.body.json()).toMatchObject({served_by: 2});
    expect(a.seen).toHaveLength(1);
  });

  it('a 503 from one broker sends a safe request to another; an unsafe one gets the 503 as it was', async () => {
    const lb = await setup('503');
    expect(await post(lb, PRODUCE, {messages: [{id: 'x1', value: 1}]})).toMatchObject({status: 200, body: {served_by: 2}});
    const unsafe = await post(lb, PRODUCE, {messages: [{value: 1}]});
    expect(unsafe).toMatchObject({status: 503, body: {error: {code: 'UNAVAILABLE', message: 'no leader'}}});
    expect(b.seen).toHaveLength(1);
    const st = await lbStatus(lb);
    expect(st.lb!.retries).toBe(1);
    expect(st.lb!.upstreams.find((u) => u.url === a.url)!.retried_away).toBe(1);
  });

  it('a request that never reached a broker (connection refused) goes elsewhere whatever it is, and the dead one is ejected', async () => {
    a = await new Recorder(1).listen();
    b = await new Recorder(2).listen();
    b.handle = (req, res) => json(res, 200, {served_by: 2, url: req.url});
    // checked once while alive, then gone: the lb learns it is dead from the first request
    lb = await startTestLb([a.url, b.url], {maxFails: 1, failTimeoutMs: 60_000, healthIntervalMs: 60_000, healthTimeoutMs: 1000});
    await until(async () => (await lbStatus(lb!)).lb!.upstreams.every((u) => u.state === 'up'));
    await a.close();
    expect(await post(lb, '/v1/groups/g/ack', {lease_ids: ['L1']})).toMatchObject({status: 200, body: {served_by: 2}});
    const gone = (await lbStatus(lb)).lb!.upstreams.find((u) => u.url === a.url)!;
    expect(gone).toMatchObject({state: 'ejected', failures: 1, requests: 1, ejections: 1});
    // taken out: the next requests do not try it at all
    for (let i = 0; i < 4; i++) expect((await post(lb, '/v1/groups/g/ack', {lease_ids: [`L${i}`]})).status).toBe(200);
    expect((await lbStatus(lb)).lb!.upstreams.find((u) => u.url === a.url)!.requests).toBe(1);
    expect(b.seen).toHaveLength(5);
  });

  it('with no upstream that answers, 503 NO_UPSTREAM, written false', async () => {
    const dead = `http://127.0.0.1:${await deadPort()}`;
    lb = await startTestLb([dead], {healthIntervalMs: 50, healthTimeoutMs: 50});
    const r = await post(lb, PRODUCE, {value: 1});
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({code: 'NO_UPSTREAM', written: false, retriable: true});
    const ready = await request(`${lb.url}/ready`);
    expect(ready.statusCode).toBe(503);
    await ready.body.dump();
  });
});
