import {describeKeys, MIN_SIZE, type KeyDistribution} from './payload.js';

export const WORKLOADS = ['produce', 'consume', 'e2e', 'queue', 'failover'] as const;
export type Workload = (typeof WORKLOADS)[number];

/** Everything a run depends on; it is printed in the banner and written into --json and --csv. */
export interface BenchOptions {
  workload: Workload;
  /** Bytes per message (the value as stored). */
  size: number;
  /** Stop after this many messages (per run, over all producers or consumers)... */
  messages: number | undefined;
  /** ...or after this long. */
  durationMs: number | undefined;
  producers: number;
  consumers: number;
  /** Messages per request (a pipeline or publish window for peers). */
  batch: number;
  /** Messages per fetch / lease. */
  fetchMax: number;
  acks: 'all' | 'leader' | '0';
  partitions: number;
  keys: KeyDistribution;
  /** Fixed-rate mode: this many messages per second over all producers; latency is measured from each send's scheduled time. */
  rate: number | undefined;
  /** mq consume: by offset (each consumer its partitions) or as a consumer group with auto-commit. */
  consumeMode: 'offset' | 'group';
  /** queue: produce -> processed round trips measured one at a time after the fetch + ack phase (0: skip). */
  latencyCount: number;
  /** failover: leader kills. */
  kills: number;
  topic: string;
}

export const DEFAULTS: Omit<BenchOptions, 'workload' | 'topic'> = {
  size: 100,
  messages: undefined,
  durationMs: undefined,
  producers: 1,
  consumers: 1,
  batch: 100,
  fetchMax: 1000,
  acks: 'all',
  partitions: 1,
  keys: {kind: 'none'},
  rate: undefined,
  consumeMode: 'offset',
  latencyCount: 0,
  kills: 5,
};

/** Defaults that depend on the workload: e2e is a latency test (one message per request, 1k msg/s); failover runs 4 load loops. */
export function resolveOptions(workload: Workload, given: Partial<BenchOptions>): BenchOptions {
  const o: BenchOptions = {...DEFAULTS, workload, topic: `bench-${Date.now().toString(36)}`, ...stripUndefined(given)};
  if (workload === 'e2e') {
    if (given.batch === undefined) o.batch = 1;
    if (given.rate === undefined) o.rate = 1000;
    if (given.messages === undefined && given.durationMs === undefined) o.durationMs = 10_000;
  }
  // the load bench:failover has always measured under: 4 loops of acks=all batches
  if (workload === 'failover' && given.producers === undefined) o.producers = 4;
  if (o.messages === undefined && o.durationMs === undefined) o.messages = workload === 'failover' ? undefined : 100_000;
  validate(o);
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validate(o: BenchOptions): void {
  const int = (name: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min} (got ${v})`);
  };
  int('size', o.size, MIN_SIZE);
  int('producers', o.producers, 1);
  int('consumers', o.consumers, 1);
  int('batch', o.batch, 1);
  int('fetch-max', o.fetchMax, 1);
  int('partitions', o.partitions, 1);
  if (o.messages !== undefined) int('messages', o.messages, 1);
  if (o.durationMs !== undefined && !(o.durationMs > 0)) throw new Error('duration must be positive');
  if (o.rate !== undefined && !(o.rate > 0)) throw new Error('rate must be positive');
  if (o.acks === '0' && (o.workload === 'e2e' || o.rate !== undefined)) throw new Error('acks=0 has no latency to measure; use acks=all or leader');
}

/** The parameters as flat key/value pairs (banner, CSV columns, JSON config). */
export function configRecord(o: BenchOptions): Record<string, string | number> {
  return {
    workload: o.workload,
    size: o.size,
    messages: o.messages ?? '',
    duration_ms: o.durationMs ?? '',
    producers: o.producers,
    consumers: o.consumers,
    batch: o.batch,
    fetch_max: o.fetchMax,
    acks: o.acks,
    partitions: o.partitions,
    keys: describeKeys(o.keys),
    rate: o.rate ?? '',
    consume_mode: o.consumeMode,
    latency_count: o.latencyCount,
    kills: o.kills,
  };
}
