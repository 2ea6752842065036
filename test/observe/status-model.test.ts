import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN} from '../../src/cluster/transport/handshake.js';
import {observerFor} from '../../src/observe/observer.js';
import type {StatusModel} from '../../src/observe/status-model.js';
import {ManualClock} from '../../src/util/clock.js';
import {startTestBroker, waitFor, type TestBroker} from '../helpers/broker.js';

/** The fields of the first schema-1 release: they must keep their names and meaning (docs/api.md). */
const SCHEMA_1 = {
  node: ['id', 'version', 'format_version', 'url', 'started_at', 'uptime_ms', 'state'],
  cluster: ['mode', 'brokers', 'metadata_leader'],
  topic: ['name', 'partitions', 'messages', 'bytes', 'retention'],
  partition: ['partition', 'role', 'leader', 'term', 'replicas', 'in_sync', 'log_start_offset', 'high_watermark', 'commit_index', 'last_applied', 'messages', 'bytes', 'messages_in', 'bytes_in', 'messages_out', 'bytes_out', 'duplicates', 'retention_deleted', 'dedup_entries', 'dedup_evictions', 'waiting_fetches'],
  storage: ['kind', 'journal_mode', 'synchronous', 'fsyncs', 'wal_bytes', 'db_bytes', 'group_commit'],
  connections: ['open', 'inflight_requests'],
  streams: ['open', 'events', 'queued_bytes_max'],
  group: ['name', 'mode', 'topics', 'generation', 'members', 'lag'],
  process: ['pid', 'rss_bytes', 'heap_used_bytes', 'heap_total_bytes', 'cpu_user_us', 'cpu_system_us', 'event_loop_delay_p50_ms', 'event_loop_delay_p99_ms', 'event_loop_delay_max_ms'],
};

describe('/status - the versioned model', () => {
  let b: TestBroker;
  const status = (): Promise<StatusModel> => b.client.status<StatusModel>();

  beforeAll(async () => {
    b = await startTestBroker();
    await b.client.createTopic({name: 'orders', partitions: 2});
    await b.client.produce('orders', Array.from({length: 40}, (_, i) => ({value: {i}, partition: i % 2})));
    await b.client.fetch('orders', 0, {offset: 0, maxMessages: 5});
  });
  afterAll(() => b.stop({purge: true}));

  it('keeps every schema-1 field', async () => {
    const s = await status();
    expect(s.schema).toBe(1);
    const orders = s.topics.find((t) => t.name === 'orders')!;
    for (const k of SCHEMA_1.node) expect(s.node, k).toHaveProperty(k);
    for (const k of SCHEMA_1.cluster) expect(s.cluster, k).toHaveProperty(k);
    for (const k of SCHEMA_1.topic) expect(orders, k).toHaveProperty(k);
    for (const k of SCHEMA_1.partition) expect(orders.partitions[0], k).toHaveProperty(k);
    for (const k of SCHEMA_1.storage) expect(s.storage, k).toHaveProperty(k);
    for (const k of SCHEMA_1.connections) expect(s.connections, k).toHaveProperty(k);
    for (const k of SCHEMA_1.streams) expect(s.streams, k).toHaveProperty(k);
    for (const k of SCHEMA_1.process) expect(s.process, k).toHaveProperty(k);
  });

  it('says who wrote it (a broker, not an lb) and describes the cluster in a shape that holds several brokers', async () => {
    const s = await status();
    expect(s.node).toMatchObject({id: 1, role: 'broker', state: 'serving', url: b.url, addresses: {client: b.url, peer: null}});
    expect(typeof s.node.hostname).toBe('string');
    expect(s.cluster).toMatchObject({mode: 'single', status: 'healthy', metadata_leader: 1, version: s.node.version});
    expect(s.cluster.brokers).toEqual([{id: 1, url: b.url, status: 'active', role: 'single', version: s.node.version, last_seen_ms_ago: null, protocol: PROTOCOL_VERSION_MAX}]);
    // a single broker offers the highest peer protocol version it speaks
    expect(s.node.peer_protocol).toEqual({min: PROTOCOL_VERSION_MIN, max: PROTOCOL_VERSION_MAX});
    const total = s.topics.reduce((n, t) => n + t.partitions.length, 0);
    expect(s.cluster.partitions).toEqual({total, leaderless: 0, under_replicated: 0});
  });

  it('reports recent rates per partition, per topic and in total, from the counters', async () => {
    const s = await status();
    const orders = s.topics.find((t) => t.name === 'orders')!;
    expect(orders.internal).toBe(false);
    expect(s.topics.find((t) => t.name === '__groups')?.internal).toBe(true);
    for (const p of orders.partitions) {
      expect(p.messages_in).toBe(20);
      expect(p.rates.messages_in_per_s).toBeGreaterThan(0);
      expect(p.rates.bytes_in_per_s).toBeGreaterThan(0);
      expect(p.rates.window_ms).toBeGreaterThan(0);
    }
    expect(orders.partitions[0]!.rates.messages_out_per_s).toBeGreaterThan(0);
    expect(orders.partitions[1]!.rates.messages_out_per_s).toBe(0);
    expect(orders.rates.messages_in_per_s).toBeCloseTo(orders.partitions[0]!.rates.messages_in_per_s + orders.partitions[1]!.rates.messages_in_per_s, 1);
    expect(s.totals).toMatchObject({messages_in: 40, messages_out: 5});
    expect(s.totals.messages_in_per_s).toBeGreaterThan(0);
  });

  it('reports process figures: memory, CPU %, event-loop delay; and storage: fsyncs, WAL size', async () => {
    const s = await status();
    expect(s.process.rss_bytes).toBeGreaterThan(0);
    expect(s.process.heap_used_bytes).toBeGreaterThan(0);
    expect(s.process.cpu_percent).toBeGreaterThanOrEqual(0);
    expect(typeof s.process.event_loop_delay_p99_ms).toBe('number');
    expect(s.storage.fsyncs).toBeGreaterThan(0);
    expect(s.storage.wal_bytes).toBeGreaterThan(0);
    expect(s.connections.open).toBeGreaterThan(0);
    expect(s.connections.status_streams).toBe(0);
  });

  it('reports stream groups (members, lag) and queue groups (lag, in flight, redelivery, dead-lettered)', async () => {
    const c = b.client;
    await c.createGroup({name: 'readers', topics: ['orders'], mode: 'stream', from: 'earliest'});
    const m = await c.join('readers', {clientId: 'r1'});
    await waitFor(async () => (await c.heartbeat('readers', m.member_id)).assignment.length === 2, {what: 'assignment'});
    const got = await c.groupFetch('readers', m.member_id, {maxMessages: 15, autoCommit: true});
    expect(got.messages.length).toBeGreaterThan(0);
    await c.groupFetch('readers', m.member_id, {maxMessages: 1, autoCommit: true, waitMs: 0});

    await c.createTopic({name: 'jobs'});
    await c.createGroup({name: 'workers', topics: ['jobs'], mode: 'queue', max_deliveries: 1});
    await c.produce('jobs', [{value: 'a'}, {value: 'b'}, {value: 'c'}]);
    const [first, second] = await c.lease('workers', {maxMessages: 2});
    await c.nack('workers', first!.lease_id, {error: 'boom'});

    const s = (await waitFor(async () => {
      const st = await status();
      const q = st.groups.find((g) => g.name === 'workers');
      return q && q.dead_lettered === 1 ? st : undefined;
    }, {what: 'the nacked message to be dead-lettered'}))!;
    const readers = s.groups.find((g) => g.name === 'readers')!;
    expect(readers).toMatchObject({mode: 'stream', members: 1, in_flight: 0, dead_lettered: 0});
    expect(readers.lag).toBe(40 - got.messages.length);
    expect(readers.partitions.map((p) => `${p.topic}/${p.partition}`).sort()).toEqual(['orders/0', 'orders/1']);
    expect(readers.partitions.every((p) => p.owner === m.member_id)).toBe(true);
    const workers = s.groups.find((g) => g.name === 'workers')!;
    // c was never leased, b is leased (in flight), a is dead-lettered: two not yet done
    expect(workers).toMatchObject({mode: 'queue', in_flight: 1, dead_lettered: 1, lag: 2});
    expect(workers.partitions[0]).toMatchObject({topic: 'jobs', partition: 0, in_flight: 1, high_watermark: 3});
    await c.ack('workers', second!.lease_id);
  });
});

describe('/status rates - measured on the broker clock', () => {
  it('counts a new topic from zero and divides by the time since the last sample', async () => {
    const clock = new ManualClock(Date.now());
    const b = await startTestBroker({statusRateWindowMs: 5000}, {clock});
    try {
      const observer = observerFor(b.broker);
      await b.client.createTopic({name: 'fresh'});
      // the topic appeared after the observer's last sample: its base is zero at that sample's time
      clock.advance(2000);
      await b.client.produce('fresh', Array.from({length: 50}, (_, i) => ({value: i})));
      const p = (await b.client.status<StatusModel>()).topics.find((t) => t.name === 'fresh')!.partitions[0]!;
      expect(p.rates).toMatchObject({messages_in_per_s: 25, window_ms: 2000});
      expect(p.rates.bytes_in_per_s).toBe(p.bytes_in / 2);
      expect(observer.leaderChanges).toBe(0);
    } finally {
      await b.stop({purge: true});
    }
  });
});
