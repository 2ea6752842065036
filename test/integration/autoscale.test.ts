import {afterEach, describe, expect, it} from 'vitest';
import {MqClient, MqError} from '../../src/index.js';
import type {WireDelivery, WireProduceResult} from '../../src/protocol/wire.js';
import type {BrokerSnapshot} from '../../src/observe/snapshots.js';
import type {StatusModel} from '../../src/observe/status-model.js';
import {autoscaleEventLines} from '../../src/tui/autoscale-events.js';
import {topicsTable} from '../../src/tui/views.js';
import {startTestBroker, waitFor, type TestBroker} from '../helpers/broker.js';

/** Short checks and idle times, set through the topic's own options (the test asserts no timing). */
// a long idle time while the burst runs (no partition may go before the test says so), a short one to shrink
const AUTOSCALE = {max_partitions: 4, max_load: 20, high_water: 0.8, idle_after_ms: 600_000, check_interval_ms: 20};
const KEYS = ['order-1', 'order-2', 'order-3'];

interface Sent {
  id: string;
  key: string | null;
  seq: number;
  partition: number;
  offset: number;
}

function record(sent: Sent[], batch: Array<{id: string; key: string | null; seq: number}>, results: WireProduceResult[]): void {
  results.forEach((r, i) => {
    if ('error' in r) throw new Error(`produce failed: ${r.error.code} ${r.error.message}`);
    sent.push({...batch[i]!, partition: r.partition, offset: r.offset});
  });
}

/** One request of unkeyed messages (one partition per request) and one of keyed ones, each with a sequence number. */
async function burst(c: MqClient, topic: string, sent: Sent[], n: number): Promise<void> {
  const base = sent.length;
  const unkeyed = Array.from({length: 8}, (_, i) => ({id: `u-${base}-${i}-${n}`, key: null, seq: i}));
  // no id either: an id, like a key, hashes over the base partitions (so that a retry lands in the same place)
  record(sent, unkeyed, await c.produce(topic, unkeyed.map((m) => ({value: {tag: m.id, seq: m.seq}}))));
  const key = KEYS[n % KEYS.length]!;
  const seq = sent.filter((s) => s.key === key).length;
  const keyed = [{id: `k-${key}-${seq}`, key, seq}];
  record(sent, keyed, await c.produce(topic, keyed.map((m) => ({key: m.key, value: {tag: m.id, seq: m.seq}}))));
}

const tagOf = (m: WireDelivery): string => (m.value as {tag: string}).tag;

/** Acks, again for those the broker could not take yet (a retriable UNAVAILABLE while a partition settles). */
async function ackAll(c: MqClient, group: string, ids: string[]): Promise<void> {
  for (let left = ids, attempt = 0; left.length > 0; attempt++) {
    const res = await c.ack(group, left);
    const failed = res.filter((r) => 'error' in r);
    if (failed.some((r) => 'error' in r && !r.error.retriable) || attempt > 100) throw new Error(`ack failed: ${JSON.stringify(failed[0])}`);
    left = failed.map((r) => r.lease_id);
    if (left.length > 0) await new Promise((r) => setTimeout(r, 10));
  }
}

/** Leases and acks until every sent id has been acked once; counts every delivery of every id. */
async function drain(c: MqClient, group: string, sent: Sent[], deliveries: Map<string, number>, consumers: number): Promise<void> {
  const want = new Set(sent.map((s) => s.id));
  // (what the slow consumer took during the burst is acked already)
  const acked = new Set<string>(deliveries.keys());
  await Promise.all(
    Array.from({length: consumers}, async (_, k) => {
      for (let idle = 0; acked.size < want.size && idle < 200; ) {
        const got: WireDelivery[] = await c.lease(group, {consumer: `c${k}`, maxMessages: 5, waitMs: 50});
        if (got.length === 0) idle++;
        for (const m of got) deliveries.set(tagOf(m), (deliveries.get(tagOf(m)) ?? 0) + 1);
        if (got.length > 0) await ackAll(c, group, got.map((m) => m.lease_id));
        for (const m of got) acked.add(tagOf(m));
      }
    }),
  );
}

describe('autoscale - elastic partitions', () => {
  const started: TestBroker[] = [];
  afterEach(async () => {
    for (const b of started.splice(0)) await b.stop({purge: true}).catch(() => {});
  });

  it('autoscale - grows to the limit under a burst, shrinks back to the base; no loss, no duplicate, keyed order holds', async () => {
    const b = await startTestBroker();
    started.push(b);
    const c = b.client;
    const created = await c.createTopic({name: 'elastic', partitions: 1, autoscale: AUTOSCALE});
    expect(created.autoscale).toMatchObject({max_partitions: 4, max_load: 20, high_water: 0.8});
    expect(created.autoscaled_partitions).toEqual([]);
    await c.createGroup({name: 'w', topics: ['elastic'], mode: 'queue', lease_ms: 60_000});
    const sent: Sent[] = [];
    const deliveries = new Map<string, number>();

    // the burst: producers outpace a consumer that takes one message per round
    let rounds = 0;
    await waitFor(
      async () => {
        await burst(c, 'elastic', sent, rounds++);
        const [m] = await c.lease('w', {consumer: 'slow', maxMessages: 1});
        if (m) {
          deliveries.set(tagOf(m), (deliveries.get(tagOf(m)) ?? 0) + 1);
          await ackAll(c, 'w', [m.lease_id]);
        }
        return (await c.describeTopic('elastic')).partitions === 4;
      },
      {timeoutMs: 15_000, intervalMs: 1, what: 'the topic to grow to 4 partitions'},
    );
    const peak = b.broker.metadata.state.topics.get('elastic')!;
    expect(peak.base).toEqual([0]);
    expect(peak.partitions.map((p) => p.number)).toEqual([0, 1, 2, 3]);
    const addedPids = peak.partitions.filter((p) => p.autoscaled).map((p) => p.pid);
    // at the limit: more traffic, which goes to the least-loaded partitions (never beyond four)
    for (let i = 0; i < 12; i++) await burst(c, 'elastic', sent, rounds++);
    const atLimit = await c.describeTopic('elastic');
    expect(atLimit.partitions, JSON.stringify(atLimit.autoscale_events)).toBe(4);
    expect(new Set(sent.filter((s) => s.key === null).map((s) => s.partition)), JSON.stringify([atLimit.autoscale_events, sent.map((s) => s.partition).join("")])).toEqual(new Set([0, 1, 2, 3]));

    // /status and `mq top` show the partitions added and why
    const snap = async (): Promise<BrokerSnapshot[]> => [{url: b.url, ok: true, status: await c.status<StatusModel>(), fetchedAt: 0, latencyMs: 0}];
    const peakStatus = (await snap())[0] as Extract<BrokerSnapshot, {ok: true}>;
    expect(peakStatus.status.topics.find((t) => t.name === 'elastic')!.autoscale).toMatchObject({max_partitions: 4, base: [0], added: [1, 2, 3], draining: []});
    const names = topicsTable(await snap(), new Map(), 'name', 8).rows.map((r) => r[0]!.text);
    expect(names).toEqual(expect.arrayContaining(['elastic/0', 'elastic/1 +', 'elastic/2 +', 'elastic/3 +']));
    expect(autoscaleEventLines(await snap(), 3)).toEqual([expect.stringMatching(/elastic\/3 added: partition \d holds \d+ unprocessed messages/), expect.any(String), expect.any(String)]);

    // keyed messages hash over the base partitions only, in order per key
    for (const key of KEYS) {
      const mine = sent.filter((s) => s.key === key);
      expect(mine.every((s) => s.partition === 0)).toBe(true);
      expect(mine.map((s) => s.offset)).toEqual([...mine.map((s) => s.offset)].sort((x, y) => x - y));
    }

    // consumers drain it: every message delivered once, none lost
    await drain(c, 'w', sent, deliveries, 3);
    expect([...deliveries.keys()].sort()).toEqual(sent.map((s) => s.id).sort());
    expect([...deliveries.values()].every((n) => n === 1)).toBe(true);

    // ... and it shrinks back to its base once idle (made short now), releasing the storage of the partitions it added
    await c.updateTopic('elastic', {autoscale: {idle_after_ms: 50}});
    const shrunk = (await waitFor(async () => {
      const d = await c.describeTopic('elastic');
      return d.partitions === 1 ? d : undefined;
    }, {timeoutMs: 15_000, what: 'the topic to shrink back to its base'}))!;
    expect(shrunk.base_partitions).toEqual([0]);
    const events = shrunk.autoscale_events ?? [];
    for (const kind of ['added', 'draining', 'removed'] as const) expect(events.filter((e) => e.kind === kind).map((e) => e.partition).sort()).toEqual([1, 2, 3]);
    expect(events.find((e) => e.kind === 'added')!.reason).toMatch(/over 0.8 × max_load 20/);
    for (const pid of addedPids) expect(b.broker.store.partitionState(pid)).toBeUndefined();
    expect(autoscaleEventLines(await snap(), 1)).toEqual([expect.stringMatching(/elastic\/\d removed: drained and finished/)]);

    // the keyed messages on the base partition are still there, in order
    const stored = (await c.fetch('elastic', 0, {offset: 0, maxMessages: 10_000})).messages;
    for (const key of KEYS) {
      const seqs = stored.filter((m) => m.key === key).map((m) => (m.value as {seq: number}).seq);
      expect(seqs).toEqual(seqs.map((_, i) => i));
    }

    // partition numbers are never reused: the next growth starts at number 4
    await c.updateTopic('elastic', {autoscale: {idle_after_ms: 600_000}});
    await waitFor(async () => {
      await burst(c, 'elastic', sent, rounds++);
      return (await c.describeTopic('elastic')).partitions >= 2;
    }, {timeoutMs: 15_000, intervalMs: 1, what: 'the topic to grow again'});
    const again = b.broker.metadata.state.topics.get('elastic')!.partitions.map((p) => p.number);
    expect(again[0]).toBe(0);
    expect(again.slice(1)).toEqual(again.slice(1).map((_, i) => 4 + i));
  });

  it('autoscale - a stream group reads every message once while partitions come and go', async () => {
    const b = await startTestBroker();
    started.push(b);
    const c = b.client;
    await c.createTopic({name: 'sg', partitions: 1, autoscale: {max_partitions: 3, max_load: 10, idle_after_ms: 600_000, check_interval_ms: 20}});
    const {member_id: member} = await c.join('s', {topics: ['sg'], from: 'earliest', sessionTimeoutMs: 60_000});
    const sent: string[] = [];
    const seen: string[] = [];
    const read = async (): Promise<void> => {
      const r = await c.groupFetch('s', member, {maxMessages: 100, waitMs: 20, autoCommit: true});
      seen.push(...r.messages.map((m) => (m.value as {tag: string}).tag));
    };
    // the member is slow at first: lag grows until the topic has three partitions
    let n = 0;
    await waitFor(
      async () => {
        const batch = Array.from({length: 5}, (_, i) => `s-${n}-${i}`);
        n++;
        await c.produce('sg', batch.map((tag) => ({value: {tag}})));
        sent.push(...batch);
        if (n % 10 === 0) await read();
        return (await c.describeTopic('sg')).partitions === 3;
      },
      {timeoutMs: 15_000, intervalMs: 1, what: 'the topic to grow to 3 partitions'},
    );
    await waitFor(async () => {
      await read();
      return seen.length >= sent.length;
    }, {timeoutMs: 15_000, what: 'the member to read everything'});
    await c.updateTopic('sg', {autoscale: {idle_after_ms: 50}});
    // the member keeps fetching (which commits what it read) while the added partitions drain and go
    await waitFor(async () => {
      await read();
      return (await c.describeTopic('sg')).partitions === 1;
    }, {timeoutMs: 15_000, what: 'the topic to shrink back'});
    await read();
    expect([...seen].sort()).toEqual([...sent].sort());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('autoscale - a partition whose receipts are not relayed yet is not removed (they would be lost with it)', async () => {
    const b = await startTestBroker();
    started.push(b);
    const c = b.client;
    await c.createTopic({name: 'rel', partitions: 1, autoscale: {max_partitions: 2, max_load: 5, idle_after_ms: 600_000, check_interval_ms: 20}});
    await c.createGroup({name: 'rw', topics: ['rel'], mode: 'queue'});
    let sent = 0;
    await waitFor(
      async () => {
        await c.produce('rel', Array.from({length: 5}, () => ({value: sent++})));
        return (await c.describeTopic('rel')).partitions === 2;
      },
      {intervalMs: 1, what: 'growth'},
    );
    // a producer hashes over the base partitions, so these name the added one: each ack owes P a receipt from there
    const owed = 20;
    await c.produce('rel', Array.from({length: owed}, (_, i) => ({value: `r${i}`, producer: 'P', partition: 1})));
    // from here on the test drives the checks itself
    const autoscaler = b.broker.queues.autoscaler;
    autoscaler.stop();
    // __receipts cannot be written: the receipts of the acks below wait in their partitions' outboxes
    const receipts = b.broker.queues.receipts;
    const append = receipts.append.bind(receipts);
    receipts.append = () => Promise.reject(new MqError('UNAVAILABLE', 'the receipts partition is out of reach (test)'));
    const perPartition = new Set<number>();
    for (;;) {
      const got = await c.lease('rw', {maxMessages: 100});
      if (got.length === 0) break;
      for (const m of got) perPartition.add(m.partition);
      await ackAll(c, 'rw', got.map((m) => m.lease_id));
    }
    expect(perPartition).toEqual(new Set([0, 1]));
    await c.updateTopic('rel', {autoscale: {idle_after_ms: 1}});
    for (let i = 0; i < 10; i++) {
      await autoscaler.tick();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await c.describeTopic('rel')).partitions).toBe(2);
    // once they are relayed it goes, and every receipt is there
    receipts.append = append;
    await waitFor(
      async () => {
        await autoscaler.tick();
        return (await c.describeTopic('rel')).partitions === 1;
      },
      {timeoutMs: 15_000, what: 'the added partition to go once its receipts are relayed'},
    );
    const got: unknown[] = [];
    let cursor: number | undefined;
    await waitFor(
      async () => {
        const page = await c.receipts('P', {cursor, max: 1000});
        got.push(...page.receipts.filter((r) => r.state === 'processed'));
        cursor = page.next_cursor;
        return got.length >= owed;
      },
      {timeoutMs: 15_000, what: `all ${owed} processed receipts`},
    );
    expect(got).toHaveLength(owed);
  });

  it('autoscale - a drained partition refuses explicit produce; a topic without autoscale never changes', async () => {
    const b = await startTestBroker();
    started.push(b);
    const c = b.client;
    await c.createTopic({name: 'fixed', partitions: 2});
    await c.createGroup({name: 'fw', topics: ['fixed'], mode: 'queue'});
    for (let i = 0; i < 10; i++) await c.produce('fixed', Array.from({length: 30}, (_, k) => ({value: k})));
    await b.broker.queues.autoscaler.tick();
    const fixed = await c.describeTopic('fixed');
    expect(fixed.partitions).toBe(2);
    expect(fixed.autoscale).toBeUndefined();
    expect(fixed.autoscale_events).toBeUndefined();

    await c.createTopic({name: 'el', partitions: 1, autoscale: {max_partitions: 2, max_load: 5, idle_after_ms: 60_000, check_interval_ms: 20}});
    await c.createGroup({name: 'ew', topics: ['el'], mode: 'queue'});
    await c.produce('el', Array.from({length: 10}, (_, k) => ({value: k})));
    await waitFor(async () => (await c.describeTopic('el')).partitions === 2, {what: 'growth'});
    // from here on the test drives the changes itself
    b.broker.queues.autoscaler.stop();
    // a client that routes by itself, with the partitions cached before the drain
    const direct = new MqClient({url: b.url, routing: 'direct'});
    await direct.produce('el', [{value: 'warm'}]);
    await b.broker.metadata.propose({op: 'partition.drain', topic: 'el', partition: 1, reason: 'test', at: Date.now()});
    await expect(c.produce('el', [{value: 'x', partition: 1}])).rejects.toMatchObject({code: 'PARTITION_DRAINING', written: false});
    // unkeyed traffic avoids it
    const rs = await Promise.all(Array.from({length: 4}, () => c.produce('el', [{value: 'y'}])));
    expect(rs.flat().map((x) => x.partition)).toEqual([0, 0, 0, 0]);
    const ds = [];
    for (let i = 0; i < 4; i++) ds.push(...(await direct.produce('el', [{value: 'z'}])));
    await direct.close();
    expect(ds.map((x) => ('error' in x ? x.error.code : x.partition))).toEqual([0, 0, 0, 0]);
    // a base partition is never drained
    await expect(b.broker.metadata.propose({op: 'partition.drain', topic: 'el', partition: 0, reason: 'test', at: Date.now()})).rejects.toMatchObject({code: 'INVALID_CONFIG'});
  });
});
