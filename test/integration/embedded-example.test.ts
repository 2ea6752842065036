import {afterAll, beforeAll, expect, test} from 'vitest';
import {Consumer, Producer, startBroker, type EmbeddedBroker} from '../../src/index.js';

let mq: EmbeddedBroker;
beforeAll(async () => {
  mq = await startBroker({inMemory: true});
});
afterAll(async () => {
  await mq.stop();
});

test('an order goes through', async () => {
  const producer = new Producer({url: mq.url});
  await producer.send('orders', {key: 'order-1', value: {total: 42}});
  await producer.close();

  const consumer = new Consumer({url: mq.url, topics: 'orders', group: 'shipping'});
  for await (const m of consumer) {
    expect(m.value).toEqual({total: 42});
    break;
  }
  await consumer.close();
});
