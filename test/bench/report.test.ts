import {describe, expect, it} from 'vitest';
import type {WorkloadResult} from '../../src/bench/engine.js';
import {resolveOptions} from '../../src/bench/options.js';
import {MIN_SIZE, parseKeys, PayloadMaker, stampOf} from '../../src/bench/payload.js';
import {progressLine} from '../../src/bench/progress.js';
import {buildReport, csvReport, jsonReport, textReport} from '../../src/bench/report.js';
import {runInfo} from '../../src/bench/run-info.js';
import {batchBody} from '../../src/bench/mq-target.js';

const lat = {count: 10, mean: 2, p50: 1.5, p90: 3, p99: 4, p999: 5, max: 6};

function fakeResult(): WorkloadResult {
  return {
    workload: 'produce',
    target: 'mq',
    targetDescription: 'mq at test',
    phases: [
      {
        phase: 'produce',
        messages: 300,
        bytes: 30_000,
        seconds: 1.5,
        msgsPerSec: 200,
        mbPerSec: 0.02,
        errors: 0,
        latencyOf: 'request',
        latency: lat,
        clients: [
          {role: 'producer', index: 0, messages: 100, bytes: 10_000, errors: 0, seconds: 1.5, latency: lat},
          {role: 'producer', index: 1, messages: 200, bytes: 20_000, errors: 0, seconds: 1.5, latency: lat},
        ],
      },
    ],
  };
}

describe('bench - options, payloads and reports', () => {
  it('e2e defaults to one message per request at a fixed 1,000 msg/s for 10 s', () => {
    const o = resolveOptions('e2e', {});
    expect([o.batch, o.rate, o.durationMs, o.messages]).toEqual([1, 1000, 10_000, undefined]);
    expect(resolveOptions('produce', {}).messages).toBe(100_000);
    expect(() => resolveOptions('produce', {size: 5})).toThrow(/size/);
    expect(() => resolveOptions('e2e', {acks: '0'})).toThrow(/acks=0/);
  });

  it('makes values of exactly the asked size that carry their send time, with the asked key distribution', () => {
    for (const size of [MIN_SIZE, 100, 1024]) {
      const m = new PayloadMaker(size, {kind: 'none'}).message(1_700_000_000_123_456);
      expect(Buffer.byteLength(m.value)).toBe(size);
      expect(JSON.parse(m.value)).toEqual(expect.any(String));
      expect(stampOf(m.value)).toBe(1_700_000_000_123_456);
      expect(stampOf(JSON.parse(m.value) as string)).toBe(1_700_000_000_123_456);
      expect(m.key).toBeUndefined();
    }
    const unique = new PayloadMaker(100, parseKeys('unique')).batch(3).map((m) => m.key);
    expect(new Set(unique).size).toBe(3);
    let r = 0;
    const uniform = new PayloadMaker(100, parseKeys('uniform:4'), () => (r = (r + 0.3) % 1)).batch(100).map((m) => m.key);
    expect(new Set(uniform)).toEqual(new Set(['k0', 'k1', 'k2', 'k3']));
    expect(() => parseKeys('zipf')).toThrow(/keys/);
  });

  it('builds a produce body that the JSON parser reads back as the same values and keys', () => {
    const batch = new PayloadMaker(50, parseKeys('unique')).batch(3, 42);
    const doc = JSON.parse(batchBody(batch)) as {messages: Array<{value: string; key: string}>};
    expect(doc.messages.map((m) => [JSON.stringify(m.value), m.key])).toEqual(batch.map((m) => [m.value, m.key]));
  });

  it('writes JSON with the commit, machine and every parameter', () => {
    const o = resolveOptions('produce', {producers: 2, messages: 300});
    const r = buildReport(o, runInfo(process.cwd(), {MQ_BENCH_COMMIT: 'abc123'}, new Date('2026-01-02T03:04:05Z')), fakeResult());
    const doc = JSON.parse(jsonReport(r)) as typeof r;
    expect(doc.tool).toBe('mq bench');
    expect(doc.info).toMatchObject({commit: 'abc123', date: '2026-01-02T03:04:05.000Z', node: process.version, version: expect.stringMatching(/^\d+\.\d+\.\d+/)});
    expect(doc.config).toMatchObject({workload: 'produce', size: 100, producers: 2, messages: 300, batch: 100, acks: 'all', keys: 'none'});
    expect(doc.result.phases[0]!.clients).toHaveLength(2);
  });

  it('names the commit of the running code, marked dirty when it has local changes', () => {
    expect(runInfo(process.cwd(), {}).commit).toMatch(/^[0-9a-f]{12}(-dirty)?$/);
  });

  it('writes CSV: a header, then per phase a total row and one row per client, each with the commit and config', () => {
    const o = resolveOptions('produce', {producers: 2, messages: 300});
    const csv = csvReport(buildReport(o, runInfo(process.cwd(), {MQ_BENCH_COMMIT: 'abc123'}), fakeResult())).split('\n');
    expect(csv).toHaveLength(4);
    const head = csv[0]!.split(',');
    expect(head.slice(0, 5)).toEqual(['commit', 'date', 'target', 'workload', 'phase']);
    expect(head).toContain('p999_ms');
    expect(head).toContain('config_batch');
    const rows = csv.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v])));
    expect(rows.map((r) => r.client)).toEqual(['all', '0', '1']);
    expect(rows.every((r) => r.commit === 'abc123' && r.config_producers === '2' && r.config_size === '100')).toBe(true);
    expect(rows[0]).toMatchObject({messages: '300', msgs_per_sec: '200', p50_ms: '1.5000', latency_of: 'request'});
  });

  it('prints a banner, the totals, latency percentiles and per-client lines', () => {
    const o = resolveOptions('produce', {producers: 2, messages: 300});
    const text = textReport(buildReport(o, runInfo(process.cwd(), {MQ_BENCH_COMMIT: 'abc123'}), fakeResult()), o);
    expect(text).toMatch(/^mq bench produce: 300 messages of 100 B, 2 producer\(s\)/);
    expect(text).toMatch(/mq \d+\.\d+\.\d+\S*, commit abc123/);
    expect(text).toMatch(/produce\s+200 msg\/s/);
    expect(text).toContain('p50 1.500  p90 3.000  p99 4.000  p99.9 5.000  max 6.000 ms');
    expect(text).toContain('producer 1: 200 msgs');
  });

  it('draws progress as a bar for counted and timed runs', () => {
    expect(progressLine('produce', {done: 500, total: 1000, durationMs: undefined, elapsedMs: 1000, errors: 0})).toMatch(/\[#{15}-{15}\]\s+50% 500\/1,000 msgs {2}500 msg\/s/);
    expect(progressLine('produce', {done: 10, total: undefined, durationMs: 4000, elapsedMs: 1000, errors: 2})).toMatch(/25% 10 msgs .* errors 2$/);
  });
});
