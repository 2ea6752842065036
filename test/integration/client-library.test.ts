import {afterEach, describe, expect, it} from 'vitest';
import {Consumer, MqClient, MqError, Producer, startBroker, type EmbeddedBroker} from '../../src/index.js';
import {CutProxy} from '../helpers/cut-proxy.js';

describe('the Node client library', () => {
  const brokers: EmbeddedBroker[] = [];
  afterEach(async () => {
    for (const b of brokers.splice(0)) await b.stop();
  });
  const broker = async (opts?: Parameters<typeof startBroker>[0]): Promise<EmbeddedBroker> => {
    const b = await startBroker(opts);
    brokers.push(b);
    return b;
  };

  it('runs an embedded broker in a test, as a user would', async () => {
    const mq = await broker({inMemory: true});
    const producer = new Producer({url: mq.url});
    await producer.send('greetings', {value: {hello: 'world'}, key: 'k'});
    await producer.close();
    const consumer = new Consumer({url: mq.url, topics: 'greetings', waitMs: 100});
    for await (const m of consumer) {
      expect(m).toMatchObject({topic: 'greetings', partition: 0, offset: 0, key: 'k', value: {hello: 'world'}});
      break;
    }
    await consumer.close();
  });

  it('retries a request whose answer was lost and the broker de-duplicates it', async () => {
    const mq = await broker();
    const u = new URL(mq.url);
    const proxy = new CutProxy({host: u.hostname, port: Number(u.port)});
    const url = await proxy.listen();
    await new MqClient({url: mq.url}).createTopic({name: 'pay', partitions: 3});
    const producer = new Producer({url, lingerMs: 1});
    proxy.cutResponses = 0;
    await producer.send('pay', {value: 'warm-up'});
    proxy.cutResponses = 3;
    const results = await Promise.all(Array.from({length: 30}, (_, i) => producer.send('pay', {key: `acct-${i % 7}`, value: {amount: i}})));
    await producer.close();
    await proxy.close();
    expect(proxy.cuts).toBe(3);
    expect(results.some((r) => r.duplicate)).toBe(true);
    const d = await new MqClient({url: mq.url}).describeTopic('pay');
    expect(d.messages).toBe(31);
    const seen = new Set<string>();
    for (const p of d.partition_details) {
      const page = await new MqClient({url: mq.url}).fetch('pay', p.partition, {maxMessages: 100});
      for (const m of page.messages) {
        expect(seen.has(m.id!)).toBe(false);
        seen.add(m.id!);
      }
    }
  });

  it('batches with a short linger, keeps per-key order, and applies backpressure', async () => {
    const mq = await broker();
    await new MqClient({url: mq.url}).createTopic({name: 'ordered', partitions: 4});
    const producer = new Producer({url: mq.url, lingerMs: 5, batchMessages: 100, bufferMessages: 200});
    const sends: Array<Promise<unknown>> = [];
    for (let i = 0; i < 2000; i++) sends.push(producer.send('ordered', {key: `user-${i % 10}`, value: i}));
    await Promise.all(sends);
    await producer.close();
    const status = await new MqClient({url: mq.url}).status<{storage: {group_commit: {ops: number}}}>();
    expect(status.storage.group_commit.ops).toBeLessThan(200);
    const c = new MqClient({url: mq.url});
    for (let p = 0; p < 4; p++) {
      const page = await c.fetch('ordered', p, {maxMessages: 5000});
      const byKey = new Map<string, number[]>();
      for (const m of page.messages) byKey.set(m.key!, [...(byKey.get(m.key!) ?? []), m.value as number]);
      for (const vs of byKey.values()) expect(vs).toEqual([...vs].sort((x, y) => x - y));
    }
  });

  it('rejects a message that conflicts with an earlier one of the same id, without retrying', async () => {
    const mq = await broker();
    const producer = new Producer({url: mq.url});
    await producer.send('ids', {id: 'fixed', value: 1});
    await expect(producer.send('ids', {id: 'fixed', value: 2})).rejects.toMatchObject({code: 'ID_CONFLICT'});
    await expect(producer.send('ids', {id: 'fixed', value: 1})).resolves.toMatchObject({duplicate: true, offset: 0});
    await producer.close();
    await expect(producer.send('ids', {value: 3})).rejects.toBeInstanceOf(MqError);
  });

  it('reads by offset from chosen partitions with the offset consumer', async () => {
    const mq = await broker({inMemory: true});
    const c = new MqClient({url: mq.url});
    await c.createTopic({name: 'logs', partitions: 2});
    await c.produce('logs', [0, 1, 2, 3].map((v) => ({value: v, partition: v % 2})));
    const consumer = new Consumer({url: mq.url, topics: 'logs', partitions: [1], from: 'earliest', waitMs: 50});
    const got: unknown[] = [];
    for await (const m of consumer) {
      got.push(m.value);
      if (got.length === 2) break;
    }
    await consumer.close();
    expect(got).toEqual([1, 3]);
  });
});
