import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {runWorkload} from '../../src/bench/engine.js';
import {MqTarget} from '../../src/bench/mq-target.js';
import {resolveOptions, type BenchOptions, type Workload} from '../../src/bench/options.js';
import type {BenchMessage, BenchTarget, TargetProducer} from '../../src/bench/target.js';
import {startTestBroker, type TestBroker} from '../helpers/broker.js';

describe('bench - engine against an in-process broker', () => {
  let b: TestBroker;
  beforeAll(async () => {
    b = await startTestBroker();
  });
  afterAll(async () => {
    await b.stop({purge: true});
  });

  async function run(workload: Workload, given: Partial<BenchOptions>) {
    const o = resolveOptions(workload, given);
    const t = new MqTarget({url: b.url, acks: o.acks, consumeMode: o.consumeMode, connections: 8, keep: true});
    try {
      return {o, r: await runWorkload(o, t)};
    } finally {
      await t.close();
    }
  }

  it('produce: every message is acknowledged and stored, one latency sample per request, per producer', async () => {
    const {o, r} = await run('produce', {messages: 2000, batch: 100, producers: 2, partitions: 2, keys: {kind: 'unique'}});
    const [p] = r.phases;
    expect(p).toMatchObject({phase: 'produce', messages: 2000, bytes: 200_000, errors: 0, latencyOf: 'request'});
    expect(p!.latency.count).toBe(20);
    expect(p!.clients.map((c) => c.messages).reduce((x, y) => x + y)).toBe(2000);
    expect(p!.latency.p50).toBeGreaterThan(0);
    const d = await b.client.describeTopic(o.topic);
    expect(d.messages).toBe(2000);
    const page = await b.client.fetch(o.topic, 0, {maxMessages: 1});
    expect(Buffer.byteLength(JSON.stringify(page.messages[0]!.value))).toBe(100);
  });

  it('consume: fills the log, then reads all of it back, by offset and as a group', async () => {
    for (const consumeMode of ['offset', 'group'] as const) {
      const {r} = await run('consume', {messages: 3000, consumers: 2, partitions: 3, fetchMax: 500, consumeMode});
      expect(r.phases.map((p) => [p.phase, p.messages, p.errors])).toEqual([
        ['prefill', 3000, 0],
        ['consume', 3000, 0],
      ]);
    }
  });

  it('e2e: at a fixed rate every message sent is received, each with its produce -> consume latency', async () => {
    const {r} = await run('e2e', {messages: 200, rate: 400, consumers: 2, partitions: 2});
    const [sent, received] = r.phases;
    expect(sent).toMatchObject({phase: 'produce', messages: 200, errors: 0});
    expect(sent!.uncorrected!.count).toBe(200);
    expect(received).toMatchObject({phase: 'e2e', messages: 200, latencyOf: 'end-to-end'});
    expect(received!.latency.count).toBe(200);
  });

  it('queue: fills the queue, leases and acks all of it, then measures produce -> processed round trips', async () => {
    const {o, r} = await run('queue', {messages: 1000, consumers: 2, fetchMax: 100, latencyCount: 5, partitions: 2});
    expect(r.phases.map((p) => [p.phase, p.messages, p.errors])).toEqual([
      ['prefill', 1000, 0],
      ['fetch+ack', 1000, 0],
      ['produce->processed', 5, 0],
    ]);
    const g = await b.client.describeGroup(`${o.topic}-queue`);
    expect(JSON.stringify(g)).not.toMatch(/"in_flight":[1-9]/);
  });
});

function stubTarget(producer: TargetProducer): BenchTarget {
  return {
    name: 'stub',
    describe: () => 'stub',
    prepare: async () => {},
    producer: async () => producer,
    consumer: async () => ({poll: async () => ({count: 0, bytes: 0}), close: async () => {}}),
    close: async () => {},
  };
}

describe('bench - fixed-rate mode and coordinated omission', () => {
  it('turns a duration into rate x duration messages, all of them sent even when the system falls behind', async () => {
    // a system that serves one request at a time in 5 ms, offered 1,000 a second: the generator soon has its maximum
    // outstanding and waits, so by the deadline only about half the sends are out; stopping there would drop exactly
    // the ones the backlog delayed
    let busy = Promise.resolve();
    const producer: TargetProducer = {
      send: async () => {
        const turn = busy.then(() => new Promise<void>((r) => setTimeout(r, 5)));
        busy = turn;
        await turn;
      },
      close: async () => {},
    };
    const o = resolveOptions('produce', {durationMs: 200, rate: 1000, batch: 1});
    const [p] = (await runWorkload(o, stubTarget(producer))).phases;
    expect(p).toMatchObject({messages: 200, errors: 0});
    expect(p!.latency.count).toBe(200);
    expect(p!.latency.max).toBeGreaterThan(p!.uncorrected!.max);
  });

  it('charges a stall to every request scheduled during it, not just the one that hit it', async () => {
    // a system that serves one request at a time and stalls 300 ms on the first: at 100 requests/s the requests
    // scheduled at 10, 20, ..., 290 ms all wait for it, and the latencies measured from their schedule show that
    let busy = Promise.resolve();
    let first = true;
    const producer: TargetProducer = {
      send: async (_batch: readonly BenchMessage[]) => {
        const stallMs = first ? 300 : 0;
        const turn = busy.then(() => new Promise<void>((r) => setTimeout(r, stallMs)));
        first = false;
        busy = turn;
        await turn;
      },
      close: async () => {},
    };
    const o = resolveOptions('produce', {messages: 50, batch: 1, rate: 100});
    const [p] = (await runWorkload(o, stubTarget(producer))).phases;
    expect(p!.messages).toBe(50);
    expect(p!.latency.count).toBe(50);
    // 21 of the 50 requests (scheduled at 0..200 ms) finished at least 100 ms after their scheduled time: a client
    // that measured from when it got to send (after the stall) would report one slow request, and p90 under 2 ms
    expect(p!.latency.p90).toBeGreaterThanOrEqual(100);
    expect(p!.latency.max).toBeGreaterThanOrEqual(290); // timers may fire a little early; values keep 3 digits
  });
});
