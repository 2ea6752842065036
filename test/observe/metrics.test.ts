import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {StatusModel} from '../../src/observe/status-model.js';
import {startTestBroker, type TestBroker} from '../helpers/broker.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Scrape {
  contentType: string;
  text: string;
  /** The value of one series, `name{a="x",b="y"}` with labels in any order; undefined if absent. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  names: Set<string>;
}

async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  const series = text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(l);
      if (!m) throw new Error(`not a Prometheus sample line: ${l}`);
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
      return {name: m[1]!, labels, value: Number(m[3])};
    });
  const names = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  return {
    contentType: res.headers.get('content-type') ?? '',
    text,
    names,
    value: (name, labels = {}) =>
      series.find((s) => s.name === name && Object.keys(labels).length === Object.keys(s.labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value,
  };
}

describe('/metrics - Prometheus text format, one registry per broker', () => {
  let a: TestBroker;
  let b: TestBroker;

  beforeAll(async () => {
    [a, b] = await Promise.all([startTestBroker(), startTestBroker()]);
    await a.client.createTopic({name: 'orders', partitions: 2});
    await a.client.produce('orders', Array.from({length: 30}, (_, i) => ({value: `m${i}`, partition: 0})));
    await a.client.fetch('orders', 0, {offset: 0, maxMessages: 10});
    await a.client.createGroup({name: 'billing', topics: ['orders'], mode: 'stream', from: 'earliest'});
    await b.client.produce('other', [{value: 1}]);
  });
  afterAll(async () => {
    await Promise.all([a.stop({purge: true}), b.stop({purge: true})]);
  });

  it('serves the text exposition format', async () => {
    const m = await scrape(a.url);
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.text).toMatch(/^# HELP mq_messages_in_total .+$/m);
  });

  it('counts messages and bytes in and out per topic, from the broker counters', async () => {
    const m = await scrape(a.url);
    expect(m.value('mq_messages_in_total', {topic: 'orders'})).toBe(30);
    expect(m.value('mq_bytes_in_total', {topic: 'orders'})).toBe(30 * 4 + 20);
    expect(m.value('mq_messages_out_total', {topic: 'orders'})).toBe(10);
    expect(m.value('mq_bytes_out_total', {topic: 'orders'})).toBeGreaterThan(0);
    expect(m.value('mq_partition_high_watermark', {topic: 'orders', partition: '0'})).toBe(30);
    expect(m.value('mq_partition_messages', {topic: 'orders', partition: '1'})).toBe(0);
  });

  it('keeps brokers apart: each scrape shows only its own broker', async () => {
    const [ma, mb] = await Promise.all([scrape(a.url), scrape(b.url)]);
    expect(ma.value('mq_messages_in_total', {topic: 'other'})).toBeUndefined();
    expect(mb.value('mq_messages_in_total', {topic: 'orders'})).toBeUndefined();
    expect(mb.value('mq_messages_in_total', {topic: 'other'})).toBe(1);
  });

  it('times requests by route: produce and fetch latency histograms', async () => {
    const m = await scrape(a.url);
    const produce = {method: 'POST', route: '/v1/topics/:topic/messages', status_code: '200'};
    const fetchRoute = {method: 'GET', route: '/v1/topics/:topic/partitions/:partition/messages', status_code: '200'};
    expect(m.value('mq_http_request_duration_seconds_count', produce)).toBeGreaterThanOrEqual(1);
    expect(m.value('mq_http_request_duration_seconds_bucket', {...produce, le: '+Inf'})).toBe(m.value('mq_http_request_duration_seconds_count', produce));
    expect(m.value('mq_http_request_duration_seconds_sum', produce)).toBeGreaterThan(0);
    expect(m.value('mq_http_request_duration_seconds_count', fetchRoute)).toBe(1);
    // a request that matched no route is labelled as such, not by its path (no unbounded label values)
    await fetch(`${a.url}/no/such/path`);
    const again = await scrape(a.url);
    expect(again.value('mq_http_request_duration_seconds_count', {method: 'GET', route: 'unmatched', status_code: '404'})).toBe(1);
  });

  it('reports consumer lag per group, topic and partition', async () => {
    const m = await scrape(a.url);
    expect(m.value('mq_consumer_lag_messages', {group: 'billing', topic: 'orders', partition: '0'})).toBe(30);
    expect(m.value('mq_consumer_lag_messages', {group: 'billing', topic: 'orders', partition: '1'})).toBe(0);
  });

  it('reports the replication term and commit index per partition, leader changes, fsyncs and event-loop delay', async () => {
    const [m, s] = await Promise.all([scrape(a.url), a.client.status<StatusModel>()]);
    const p0 = s.topics.find((t) => t.name === 'orders')!.partitions[0]!;
    expect(m.value('mq_raft_term', {topic: 'orders', partition: '0'})).toBe(p0.term);
    expect(p0.term).toBeGreaterThanOrEqual(1);
    expect(m.value('mq_raft_commit_index', {topic: 'orders', partition: '0'})).toBe(p0.commit_index);
    expect(m.value('mq_leader_changes_total')).toBe(0);
    expect(m.value('mq_fsyncs_total')).toBeGreaterThanOrEqual(s.storage.fsyncs);
    expect(m.value('mq_event_loop_delay_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(m.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(m.value('mq_node_info', {node_id: '1', version: s.node.version, role: 'broker'})).toBe(1);
  });

  it('documents every metric it exposes in docs/api.md', async () => {
    const m = await scrape(a.url);
    const api = fs.readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');
    expect(m.names.size).toBeGreaterThan(20);
    for (const name of m.names) expect(api, name).toContain(`| \`${name}\` |`);
  });
});
