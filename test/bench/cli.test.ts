import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {MqClient} from '../../src/client/client.js';
import type {BenchReport} from '../../src/bench/index.js';
import {runMq, spawnBroker, type BrokerChild} from '../helpers/process.js';

/** `mq bench` as a user runs it, against a broker in its own process. */
describe('mq bench - end to end', () => {
  let broker: BrokerChild;
  let client: MqClient;
  beforeAll(async () => {
    broker = await spawnBroker();
    client = new MqClient({url: broker.url});
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    broker?.kill();
    await broker?.exited;
  });

  it('produce --json: every message acknowledged, per-producer lines, the commit and config; the topic is removed after', async () => {
    const r = await runMq(['bench', 'produce', '--url', broker.url, '--json', '-n', '2000', '--producers', '2', '--batch', '100', '--partitions', '2', '--keys', 'uniform:8'], {env: {MQ_BENCH_COMMIT: 'test-sha'}});
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as BenchReport;
    expect(doc.tool).toBe('mq bench');
    expect(doc.info.commit).toBe('test-sha');
    expect(doc.config).toMatchObject({workload: 'produce', size: 100, messages: 2000, producers: 2, batch: 100, partitions: 2, keys: 'uniform:8', acks: 'all'});
    const [p] = doc.result.phases;
    expect(doc.result.phases).toHaveLength(1);
    expect(p).toMatchObject({phase: 'produce', messages: 2000, bytes: 200_000, errors: 0, latencyOf: 'request'});
    expect(p!.latency.count).toBe(20);
    expect(p!.latency.p50).toBeGreaterThan(0);
    expect(p!.latency.max).toBeGreaterThanOrEqual(p!.latency.p99);
    expect(p!.clients.map((c) => [c.role, c.index])).toEqual([
      ['producer', 0],
      ['producer', 1],
    ]);
    expect(p!.clients.reduce((n, c) => n + c.messages, 0)).toBe(2000);
    expect((await client.listTopics()).filter((t) => t.name.startsWith('bench-'))).toEqual([]);
  });

  it('prints the banner first, then the totals and the latency percentiles', async () => {
    const r = await runMq(['bench', 'produce', '--url', broker.url, '-n', '200', '--batch', '50']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^mq bench produce: 200 messages of 100 B, 1 producer\(s\).*50 per request, .*acks=all/);
    expect(lines[1]).toMatch(/^target: mq at http:\/\/127\.0\.0\.1:\d+/);
    expect(lines[2]).toMatch(/^mq \d+\.\d+\.\d+.*, commit \S+, /);
    expect(lines.findIndex((l) => /^produce\s+[\d,]+ msg\/s\s+[\d.]+ MB\/s\s+200 msgs in [\d.]+ s\s+errors 0$/.test(l))).toBeGreaterThan(2);
    expect(r.stdout).toMatch(/request latency p50 [\d.]+ {2}p90 [\d.]+ {2}p99 [\d.]+ {2}p99\.9 [\d.]+ {2}max [\d.]+ ms {2}\(4 samples\)/);
  });

  it('rejects an impossible parameter with a usage error', async () => {
    const r = await runMq(['bench', 'e2e', '--url', broker.url, '--acks', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/acks=0/);
  });
});
