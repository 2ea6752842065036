import http from 'node:http';
import type {AddressInfo} from 'node:net';
import {describe, expect, it} from 'vitest';
import {MqClient, Worker, type WireDelivery, type WireQueueGroupDescription} from '../../src/index.js';
import {ManualClock} from '../../src/util/clock.js';
import {useTestBrokers, waitFor, type TestBroker} from '../helpers/broker.js';

const SWEEP = 250;

describe('work queues', () => {
  const start = useTestBrokers();

  async function queue(c: MqClient, topic: string, group: string, extra: Record<string, unknown> = {}, partitions = 1): Promise<void> {
    await c.createTopic({name: topic, partitions});
    await c.createGroup({name: group, topics: [topic], mode: 'queue', ...extra});
  }

  it('delivers priority 9 first, then lowest offset, within a partition', async () => {
    const b = await start();
    const c = b.client;
    await queue(c, 'jobs', 'w');
    const prios = [0, 5, 9, 0, 9, 1, 5];
    await c.produce('jobs', prios.map((priority, i) => ({value: i, priority})));
    const order: number[] = [];
    for (;;) {
      const [m] = await c.lease('w', {maxMessages: 1});
      if (!m) break;
      order.push(m.value as number);
      await c.ack('w', m.lease_id);
    }
    expect(order).toEqual([2, 4, 1, 6, 5, 0, 3]);
  });

  it('takes from partitions round-robin', async () => {
    const b = await start();
    const c = b.client;
    await queue(c, 'rr', 'w', {}, 3);
    for (const p of [0, 1, 2]) await c.produce('rr', [0, 1, 2].map((i) => ({value: `${p}-${i}`, partition: p})));
    const got = await c.lease('w', {maxMessages: 6});
    expect(got.map((m) => m.partition)).toEqual(expect.arrayContaining([0, 1, 2]));
    const perPartition = [0, 1, 2].map((p) => got.filter((m) => m.partition === p).length);
    expect(perPartition).toEqual([2, 2, 2]);
  });

  it('never delivers an acked message again; repeated acks are fine; stale leases change nothing', async () => {
    const clock = new ManualClock(Date.now());
    const b = await start({}, {clock});
    const c = b.client;
    await queue(c, 'once', 'w', {lease_ms: 1000});
    await c.produce('once', [{value: 'a'}, {value: 'b'}]);
    const [a, bm] = await c.lease('w', {maxMessages: 2});
    expect(await c.ack('w', a!.lease_id)).toEqual([{lease_id: a!.lease_id, status: 'acked'}]);
    expect(await c.ack('w', a!.lease_id)).toEqual([{lease_id: a!.lease_id, status: 'already_done'}]);
    // b's lease runs out: it is delivered again, and the old lease is stale
    clock.advance(1500);
    await new Promise((r) => setTimeout(r, SWEEP * 2));
    const [again] = await c.lease('w', {maxMessages: 5});
    expect(again).toMatchObject({value: 'b', delivery_count: 2});
    await expect(c.ack('w', bm!.lease_id)).rejects.toMatchObject({code: 'LEASE_EXPIRED', status: 409, written: false});
    await expect(c.nack('w', bm!.lease_id)).rejects.toMatchObject({code: 'LEASE_EXPIRED'});
    expect((await c.ack('w', again!.lease_id))[0]).toMatchObject({status: 'acked'});
    expect(await c.lease('w', {maxMessages: 5})).toEqual([]);
    const d = (await c.describeGroup('w')) as unknown as {partitions: Array<{acked_below: number}>};
    expect(d.partitions[0]!.acked_below).toBe(2);
    await expect(c.ack('w', 'L999.0.1.0123456789ab')).rejects.toMatchObject({code: 'LEASE_EXPIRED'});
  });

  it('acks the previous batch and leases the next in one request; a stale ack is reported, the leases still come', async () => {
    const b = await start();
    const c = b.client;
    await queue(c, 'flow', 'w', {}, 2);
    await c.produce('flow', [0, 1, 2, 3, 4, 5].map((i) => ({value: i, partition: i % 2})));
    const first = await c.lease('w', {maxMessages: 2});
    expect(first).toHaveLength(2);
    const next = await c.ackAndLease('w', [...first.map((m) => m.lease_id), 'L1.999.1.000000000000'], {maxMessages: 10});
    expect(next.acked.slice(0, 2)).toEqual(first.map((m) => ({lease_id: m.lease_id, status: 'acked'})));
    expect(next.acked[2]).toMatchObject({lease_id: 'L1.999.1.000000000000', error: {code: expect.any(String)}});
    // the four not leased before, and not the two just acked
    expect(next.messages.map((m) => m.value).sort()).toEqual([0, 1, 2, 3, 4, 5].filter((v) => !first.some((m) => m.value === v)));
    const last = await c.ackAndLease('w', next.messages.map((m) => m.lease_id), {maxMessages: 10});
    expect(last.acked.every((r) => 'status' in r && r.status === 'acked')).toBe(true);
    expect(last.messages).toEqual([]);
    const d = (await c.describeGroup('w')) as unknown as WireQueueGroupDescription;
    expect(d).toMatchObject({backlog: 0, in_flight: 0});
    // without acks the answer has no "acked" and the request is a plain lease
    expect(await c.ackAndLease('w', [], {maxMessages: 1})).toEqual({messages: [], acked: []});
  });

  it('progress extends a lease; a nack with a delay comes back later and counts as a delivery', async () => {
    const clock = new ManualClock(Date.now());
    const b = await start({}, {clock});
    const c = b.client;
    await queue(c, 'slow', 'w', {lease_ms: 1000});
    await c.produce('slow', [{value: 'long job'}]);
    const [m] = await c.lease('w');
    clock.advance(800);
    await c.progress('w', m!.lease_id);
    clock.advance(800);
    await new Promise((r) => setTimeout(r, SWEEP * 2));
    expect(await c.lease('w')).toEqual([]);
    await c.nack('w', m!.lease_id, {delayMs: 5000, error: 'try later'});
    expect(await c.lease('w')).toEqual([]);
    clock.advance(5001);
    const [back] = await c.lease('w');
    expect(back).toMatchObject({value: 'long job', delivery_count: 2});
  });

  it('holds delayed messages (delay_ms, not_before) until their time', async () => {
    const clock = new ManualClock(Date.now());
    const b = await start({}, {clock});
    const c = b.client;
    await queue(c, 'later', 'w');
    const t0 = clock.now();
    await c.produce('later', [{value: 'in 10s', delayMs: 10_000}, {value: 'at t+20s', notBefore: t0 + 20_000}, {value: 'now'}]);
    expect((await c.lease('w', {maxMessages: 5})).map((m) => m.value)).toEqual(['now']);
    clock.advance(10_001);
    expect((await c.lease('w', {maxMessages: 5})).map((m) => m.value)).toEqual(['in 10s']);
    clock.advance(10_000);
    const [last] = await c.lease('w', {maxMessages: 5});
    expect(last).toMatchObject({value: 'at t+20s'});
    expect(last!.not_before).toBe(t0 + 20_000);
  });

  it('dead-letters a poison message exactly once after max_deliveries, with provenance, and redrives it', async () => {
    const b = await start();
    const c = b.client;
    await queue(c, 'pay', 'billing', {max_deliveries: 3});
    await c.produceOne('pay', {id: 'tx-7', key: 'acct-1', producer: 'P1', value: {amount: -1}, headers: {trace: 't1'}});
    for (let i = 1; i <= 3; i++) {
      const [m] = await c.lease('billing', {waitMs: 2000});
      expect(m!.delivery_count).toBe(i);
      await c.nack('billing', m!.lease_id, {error: `bad amount (attempt ${i})`});
    }
    await waitFor(async () => (await c.describeTopic('pay.dlq').catch(() => undefined))?.messages === 1, {what: 'the dead letter'});
    const dl = (await c.fetch('pay.dlq', 0, {})).messages;
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({id: 'dlq/billing/pay/0/0', key: 'acct-1', value: {amount: -1}});
    expect(dl[0]!.headers).toMatchObject({trace: 't1', 'mq-dlq-topic': 'pay', 'mq-dlq-partition': '0', 'mq-dlq-offset': '0', 'mq-dlq-group': 'billing', 'mq-dlq-deliveries': '3', 'mq-dlq-error': 'bad amount (attempt 3)', 'mq-dlq-original-id': 'tx-7'});
    expect(await c.lease('billing', {waitMs: 300})).toEqual([]);
    const receipts = await c.receipts('P1');
    expect(receipts.receipts.map((r) => r.state)).toEqual(['dead_lettered']);
    // back to work under a new id that remembers the original
    expect(await c.redrive('pay')).toEqual({redriven: 1, remaining: 0});
    expect(await c.redrive('pay')).toEqual({redriven: 0, remaining: 0});
    const [again] = await c.lease('billing', {waitMs: 2000});
    expect(again).toMatchObject({id: 'tx-7:redrive:1', value: {amount: -1}, delivery_count: 1});
    expect(again!.headers).toEqual({trace: 't1', 'mq-redrive-of': 'tx-7'});
  });

  it('keeps queue state across a restart: acked stays acked, leases come back with a full lease', async () => {
    const b = await start();
    await queue(b.client, 'durable', 'w', {lease_ms: 60_000});
    await b.client.produce('durable', [1, 2, 3, 4].map((value) => ({value})));
    const got = await b.client.lease('w', {maxMessages: 3});
    await b.client.ack('w', got[0]!.lease_id);
    await b.client.ack('w', got[2]!.lease_id);
    await b.stop();
    const again = await start({dataDir: b.dataDir});
    const rest = await again.client.lease('w', {maxMessages: 10});
    expect(rest.map((m) => m.value)).toEqual([4]);
    // the lease held across the restart is still held
    await expect(again.client.ack('w', got[1]!.lease_id)).resolves.toMatchObject([{status: 'acked'}]);
    const d = (await again.client.describeGroup('w')) as unknown as {partitions: Array<{acked_below: number; in_flight: number}>};
    expect(d.partitions[0]).toMatchObject({acked_below: 3, in_flight: 1});
  });

  it('writes a receipt for every processed message, resumable from a cursor', async () => {
    const b = await start();
    const c = b.client;
    await queue(c, 'rcpt', 'w', {}, 2);
    await c.produce('rcpt', Array.from({length: 20}, (_, i) => ({id: `m${i}`, producer: 'P2', value: i, key: `k${i}`})));
    const worker = new Worker({url: b.url, group: 'w', concurrency: 4, consumer: 'c1', handler: () => {}});
    void worker.start();
    await waitFor(() => worker.stats.acked === 20, {what: 'all processed'});
    await worker.stop();
    const first = await c.receipts('P2', {max: 7});
    expect(first.receipts).toHaveLength(7);
    const rest = await c.receipts('P2', {cursor: first.next_cursor, max: 100});
    const all = [...first.receipts, ...rest.receipts];
    expect(all.map((r) => r.id).sort()).toEqual(Array.from({length: 20}, (_, i) => `m${i}`).sort());
    expect(all.every((r) => r.state === 'processed' && r.consumer === 'c1' && r.group === 'w')).toBe(true);
    const later = c.receipts('P2', {cursor: 'latest', waitMs: 3000});
    await c.produceOne('rcpt', {id: 'late', producer: 'P2', value: 'x'});
    const [m] = await c.lease('w');
    await c.ack('w', m!.lease_id);
    expect((await later).receipts.map((r) => r.id)).toEqual(['late']);
  });

  it('await=processed holds the answer until every queue group acked; no queue group is a 409', async () => {
    const b = await start();
    const c = b.client;
    await expect(c.produceProcessed('nobody', [{value: 1}])).rejects.toMatchObject({code: 'NO_QUEUE_GROUP', written: false});
    await queue(c, 'two', 'billing');
    await c.createGroup({name: 'shipping', topics: ['two'], mode: 'queue'});
    const billing = new Worker({url: b.url, group: 'billing', handler: () => {}});
    void billing.start();
    const pending = await c.produceProcessed('two', [{id: 'o-1', value: 'order'}], {timeoutMs: 500});
    expect(pending[0]).toMatchObject({state: 'pending', groups: {billing: 'processed', shipping: 'pending'}});
    const shipping = new Worker({url: b.url, group: 'shipping', handler: () => {}});
    void shipping.start();
    const done = await c.produceProcessed('two', [{id: 'o-2', value: 'order'}], {timeoutMs: 10_000});
    expect(done[0]).toMatchObject({state: 'processed', groups: {billing: 'processed', shipping: 'processed'}});
    await billing.stop();
    await shipping.stop();
  });

  it('until_acked keeps unprocessed work and refuses producers when full', async () => {
    const b = await start({retentionCheckMs: 100});
    const c = b.client;
    await c.createTopic({name: 'bounded', retention: {max_messages: 3, until_acked: true}});
    await c.createGroup({name: 'w', topics: ['bounded'], mode: 'queue'});
    await c.produce('bounded', [{value: 1}, {value: 2}, {value: 3}]);
    await expect(c.produceOne('bounded', {value: 4})).rejects.toMatchObject({code: 'TOPIC_FULL', status: 507, written: false});
    const [m] = await c.lease('w');
    await c.ack('w', m!.lease_id);
    await waitFor(async () => (await c.describeTopic('bounded')).partition_details[0]!.log_start_offset === 1, {what: 'acked message removed'});
    await expect(c.produceOne('bounded', {value: 4})).resolves.toMatchObject({offset: 3});
    await expect(c.createTopic({name: 'bad', retention: {until_acked: true, max_age_ms: 1000}})).rejects.toMatchObject({code: 'INVALID_CONFIG'});
  });

  it('a Worker skips messages whose ids it already processed (the seed\'s processed_ids)', async () => {
    const b = await start();
    const c = b.client;
    await queue(c, 'dup', 'w');
    await c.produce('dup', [{id: 'x', value: 1}, {id: 'y', value: 2}]);
    const processed = new Set(['x']);
    const handled: unknown[] = [];
    const w = new Worker({url: b.url, group: 'w', processedIds: processed, handler: (m: WireDelivery) => void handled.push(m.value)});
    void w.start();
    await waitFor(() => w.stats.acked === 2);
    await w.stop();
    expect(handled).toEqual([2]);
    expect(w.stats.skippedDuplicates).toBe(1);
    expect([...processed].sort()).toEqual(['x', 'y']);
  });

  it('POSTs receipts to a registered callback URL, retrying failures', async () => {
    const b = await start();
    const c = b.client;
    await queue(c, 'cb', 'w');
    const got: Array<{id: string; state: string}> = [];
    let failures = 2;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d));
      req.on('end', () => {
        if (failures-- > 0) {
          res.writeHead(503).end();
          return;
        }
        got.push(JSON.parse(body) as {id: string; state: string});
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/confirm`;
    expect(await c.registerCallback('P9', url)).toMatchObject({url});
    await c.produce('cb', [{id: 'c1', producer: 'P9', value: 1}, {id: 'c2', producer: 'P9', value: 2}]);
    const w = new Worker({url: b.url, group: 'w', handler: () => {}});
    void w.start();
    await waitFor(() => got.length === 2, {timeoutMs: 15_000, what: 'two callbacks'});
    await w.stop();
    expect(got.map((r) => [r.id, r.state])).toEqual([
      ['c1', 'processed'],
      ['c2', 'processed'],
    ]);
    expect(b.broker.queues.callbacks.stats).toMatchObject({delivered: 2, failedAttempts: 2, givenUp: 0});
    await c.unregisterCallback('P9');
    await new Promise<void>((r) => server.close(() => r()));
    await expect(c.registerCallback('P9', 'file:///etc/passwd')).rejects.toMatchObject({code: 'INVALID_FIELD'});
  });

  it('a long-poll the client gave up on takes no leases: a message nacked right after goes to the next consumer', async () => {
    const b = await start();
    const c = b.client;
    await queue(c, 'aborted', 'qa');
    await c.produceOne('aborted', {value: 1, id: 'x'});
    const [d] = await c.lease('qa', {consumer: 'c1', maxMessages: 1, waitMs: 1000});
    expect(d).toBeDefined();
    // what a stopping Worker does: abort its waiting poll, then nack the job it held
    const ac = new AbortController();
    const poll = c.lease('qa', {consumer: 'c1', maxMessages: 7, waitMs: 5000, signal: ac.signal}).catch(() => []);
    await waitFor(() => b.broker.queues.service.waitersOf('qa').size > 0, {what: 'the long-poll to wait'});
    ac.abort();
    await poll;
    expect(await c.nack('qa', d!.lease_id, {error: 'stopped'})).toMatchObject([{status: 'requeued'}]);
    const next = await c.lease('qa', {consumer: 'c2', maxMessages: 1, waitMs: 3000});
    expect(next.map((x) => x.id)).toEqual(['x']);
  });

  it('refuses stream operations on queue groups and the other way round', async () => {
    const b = await start();
    const c = b.client;
    await queue(c, 'mode', 'q');
    await c.createGroup({name: 's', topics: ['mode']});
    await expect(c.join('q')).rejects.toMatchObject({code: 'WRONG_GROUP_MODE'});
    await expect(c.ack('s', 'L1.0.1.0123456789ab')).rejects.toMatchObject({code: 'WRONG_GROUP_MODE'});
    await expect(c.resetGroup('q', 'earliest')).rejects.toMatchObject({code: 'WRONG_GROUP_MODE'});
    await expect(c.createGroup({name: 'bad', topics: ['mode'], lease_ms: 5000})).rejects.toMatchObject({code: 'INVALID_CONFIG'});
  });
});
