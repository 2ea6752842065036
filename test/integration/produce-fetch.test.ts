import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {isProduceFailure, type WireProduceOk} from '../../src/client/index.js';
import {startTestBroker, type TestBroker} from '../helpers/broker.js';

describe('broker - produce and fetch over HTTP', () => {
  let b: TestBroker;
  beforeAll(async () => {
    b = await startTestBroker();
  });
  afterAll(async () => {
    await b.stop({purge: true});
  });

  it('auto-creates a topic on produce and reads the message back byte-identical', async () => {
    const raw = '{"value": {"b": 1,  "a": [1, 2.50, "x"]}, "key": "k1", "headers": {"h": "v"}}';
    const res = await fetch(`${b.url}/v1/topics/auto/messages`, {method: 'POST', headers: {'content-type': 'application/json'}, body: raw});
    expect(res.status).toBe(200);
    const ack = (await res.json()) as WireProduceOk;
    expect(ack).toMatchObject({partition: 0, offset: 0, duplicate: false, leader: 1});
    expect(ack.term).toBeGreaterThanOrEqual(1);
    const page = await fetch(`${b.url}/v1/topics/auto/partitions/0/messages?offset=0`);
    const text = await page.text();
    expect(text).toContain('"value":{"b": 1,  "a": [1, 2.50, "x"]}');
    const body = JSON.parse(text);
    expect(body.messages[0]).toMatchObject({offset: 0, key: 'k1', headers: {h: 'v'}, priority: 0});
    expect(body).toMatchObject({next_offset: 1, high_watermark: 1, log_start_offset: 0});
  });

  it('round-trips binary values as base64', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await b.client.produceOne('bin', {valueBase64: bytes.toString('base64')});
    const page = await b.client.fetch('bin', 0, {offset: 0});
    expect(Buffer.from(page.messages[0]!.value_base64!, 'base64')).toEqual(bytes);
    expect(page.messages[0]!.value).toBeUndefined();
  });

  it('spreads keyed batches over partitions by murmur2 and keeps per-key order', async () => {
    await b.client.createTopic({name: 'keyed', partitions: 4});
    const msgs = Array.from({length: 40}, (_, i) => ({key: `user-${i % 5}`, value: {i}}));
    const results = await b.client.produce('keyed', msgs);
    expect(results.every((r) => !isProduceFailure(r))).toBe(true);
    const byKey = new Map<string, number>();
    results.forEach((r, i) => {
      const p = (r as WireProduceOk).partition;
      const key = msgs[i]!.key;
      if (byKey.has(key)) expect(byKey.get(key)).toBe(p);
      byKey.set(key, p);
    });
    expect(new Set(byKey.values()).size).toBeGreaterThan(1);
    for (const [key, p] of byKey) {
      const page = await b.client.fetch('keyed', p, {offset: 0, maxMessages: 100});
      const seen = page.messages.filter((m) => m.key === key).map((m) => (m.value as {i: number}).i);
      expect(seen).toEqual([...seen].sort((x, y) => x - y));
      expect(seen).toHaveLength(8);
    }
  });

  it('accepts NDJSON with one result per line', async () => {
    const body = '{"value":1}\n\n{"value":"two","id":"n-2"}\n{"value":[3]}\n';
    const res = await b.client.produceRaw('nd', body, {ndjson: true});
    expect('results' in res && res.results).toHaveLength(3);
    const page = await b.client.fetch('nd', 0, {offset: 0});
    expect(page.messages.map((m) => m.value)).toEqual([1, 'two', [3]]);
  });

  it('de-duplicates by id: a retry returns the original offset, a different payload is a conflict', async () => {
    const first = await b.client.produceOne('dedup', {id: 'tx-1', value: {n: 1}});
    const again = await b.client.produceOne('dedup', {id: 'tx-1', value: {n: 1}});
    expect(again).toMatchObject({offset: first.offset, duplicate: true});
    await expect(b.client.produceOne('dedup', {id: 'tx-1', value: {n: 2}})).rejects.toMatchObject({code: 'ID_CONFLICT', status: 409});
    const batch = await b.client.produce('dedup', [
      {id: 'tx-2', value: 'a'},
      {id: 'tx-2', value: 'a'},
      {id: 'tx-1', value: {n: 1}},
    ]);
    expect(batch.map((r) => (r as WireProduceOk).duplicate)).toEqual([false, true, true]);
    const page = await b.client.fetch('dedup', 0, {offset: 0});
    expect(page.messages.map((m) => m.id)).toEqual(['tx-1', 'tx-2']);
  });

  it('long-polls: a fetch at the end waits for the next message', async () => {
    await b.client.createTopic({name: 'lp'});
    const started = Date.now();
    const pending = b.client.fetch('lp', 0, {offset: 0, waitMs: 5000});
    setTimeout(() => void b.client.produceOne('lp', {value: 'late'}), 100);
    const page = await pending;
    expect(page.messages.map((m) => m.value)).toEqual(['late']);
    expect(Date.now() - started).toBeLessThan(4000);
    const empty = await b.client.fetch('lp', 0, {offset: 1, waitMs: 50});
    expect(empty).toMatchObject({messages: [], next_offset: 1});
  });

  it('respects max_messages and max_bytes but always returns at least one message', async () => {
    await b.client.produce('lim', Array.from({length: 10}, (_, i) => ({value: 'x'.repeat(98) + String(i).padStart(2, '0')})));
    expect((await b.client.fetch('lim', 0, {offset: 0, maxMessages: 3})).messages).toHaveLength(3);
    expect((await b.client.fetch('lim', 0, {offset: 0, maxBytes: 250})).messages).toHaveLength(2);
    expect((await b.client.fetch('lim', 0, {offset: 0, maxBytes: 1})).messages).toHaveLength(1);
  });

  it('describes topics with per-partition offsets and sizes', async () => {
    const d = await b.client.describeTopic('lim');
    expect(d).toMatchObject({name: 'lim', partitions: 1, messages: 10, replication_factor: 1, dedup_window_ms: 120000});
    expect(d.partition_details[0]).toMatchObject({partition: 0, log_start_offset: 0, high_watermark: 10, messages: 10, leader: 1});
    expect(d.bytes).toBe(10 * 102);
  });
});
