/**
 * mq next to Redis 7 Streams (appendfsync always and everysec) and NATS 2.9 JetStream on this machine, through the
 * same Node harness (src/bench: the engine behind `mq bench`), plus redis-benchmark (Redis's own C client), SQLite
 * alone and a bare Node HTTP server as ceilings. Every scenario runs --runs times, interleaved (mq, peer, mq, peer,
 * ...), and the table gives each figure's median, min-max and its ratio to mq's median.
 *
 *   bench/install-peers.sh     # apt-get install redis-server redis-tools nats-server (servers are not started)
 *   npm run bench:compare -- [--runs 5] [--only produce,consume,queue,latency,e2e,http,cluster] [--out results.json]
 *
 * Servers are started by this script on 127.0.0.1 (random ports, data in temp dirs) and only those are stopped.
 */
import fs from 'node:fs';
import os from 'node:os';
import {parseArgs} from 'node:util';
import {LocalCluster} from '../src/bench/local-cluster.js';
import {MqTarget, resolveOptions, runInfo, runWorkload, type BenchOptions, type BenchTarget, type WorkloadResult} from '../src/bench/index.js';
import {BareHttpTarget, fsyncProbe, redisBenchmark, sqliteAlone, startBareHttp} from './peers/baselines.js';
import {NatsTarget} from './peers/nats-target.js';
import {RedisTarget} from './peers/redis-target.js';
import {startMq, startNats, startRedis, type Started} from './peers/servers.js';

const {values: a} = parseArgs({
  options: {
    runs: {type: 'string', default: '5'},
    only: {type: 'string', default: 'produce,consume,queue,latency,e2e,http,cluster'},
    out: {type: 'string'},
    scale: {type: 'string', default: '1'},
  },
});
const RUNS = Number(a.runs);
const ONLY = new Set(a.only!.split(','));
const SCALE = Number(a.scale);
const n = (x: number): number => Math.max(1000, Math.round(x * SCALE));

interface Sample {
  /** Which round (mq and its peers ran one after another in each). */
  run: number;
  scenario: string;
  system: string;
  metric: string;
  value: number;
}

interface System {
  label: string;
  /** mq's entry is what the others' ratios are computed against. */
  mq?: boolean;
  run: () => Promise<Record<string, number>>;
}

interface Scenario {
  name: string;
  description: string;
  /** Which metrics to tabulate, and whether more is better. */
  metrics: Array<{key: string; unit: string; higher: boolean}>;
  systems: System[];
  /** Started for this scenario only (the cluster). */
  setup?: () => Promise<void>;
  teardown?: () => Promise<void>;
}

const servers: Started[] = [];
let cluster: LocalCluster | undefined;
const stops: Array<() => Promise<void>> = [];

async function workload(target: () => BenchTarget, o: BenchOptions): Promise<WorkloadResult> {
  const t = target();
  try {
    return await runWorkload(o, t);
  } finally {
    await t.close();
  }
}

const phase = (r: WorkloadResult, name: string) => {
  const p = r.phases.find((x) => x.phase === name);
  if (!p) throw new Error(`no ${name} phase`);
  if (p.errors > 0) throw new Error(`${r.target} ${name}: ${p.errors} errors (${p.firstError})`);
  return p;
};

async function main(): Promise<void> {
  const info = runInfo();
  console.log(`mq vs Redis Streams vs NATS JetStream: ${RUNS} interleaved runs per scenario, commit ${info.commit}, ${info.date}`);
  console.log(`node ${info.node}, ${info.cpus} cpus (${info.cpuModel}), ${info.memoryGiB} GiB, ${info.platform}; every client and server shares these cores; load average ${loadAverage()}; ${fsyncLine()}\n`);

  // each one registered as soon as it runs, so that a failure to start the next still stops it
  const track = (s: Started): Started => (servers.push(s), s);
  const mq = track(await startMq());
  const always = track(await startRedis('always'));
  const everysec = track(await startRedis('everysec'));
  const nats = track(await startNats());
  const bare = await startBareHttp();
  stops.push(bare.stop);

  const mqT = (o: BenchOptions, extra: Partial<ConstructorParameters<typeof MqTarget>[0]> = {}) => (): BenchTarget =>
    new MqTarget({url: mq.url, acks: o.acks, consumeMode: o.consumeMode, connections: o.producers * (o.rate ? 8 : 1) + o.consumers + 4, ...extra});
  const redisA = (): BenchTarget => new RedisTarget('redis-always', always.port, 'appendfsync always (fsync before the reply)');
  const redisE = (): BenchTarget => new RedisTarget('redis-everysec', everysec.port, 'appendfsync everysec (fsync once a second)');
  const natsT = (): BenchTarget => new NatsTarget(nats.port);
  const opts = (w: BenchOptions['workload'], o: Partial<BenchOptions>): BenchOptions => resolveOptions(w, o);

  // batched produce: 4 producers, 100 messages of 100 B per request / pipeline / publish window
  const produce = opts('produce', {messages: n(200_000), producers: 4, batch: 100});
  const tput = async (t: () => BenchTarget, o: BenchOptions, ph: string): Promise<Record<string, number>> => ({msgs: phase(await workload(t, o), ph).msgsPerSec});
  // consume: 200k messages filled first, one consumer, 1,000 per fetch (Redis: XREADGROUP COUNT 1000 + XACK; NATS: fetch 1000 + ack each)
  const consume = opts('consume', {messages: n(200_000), consumers: 1, fetchMax: 1000});
  // 4 partitions (Redis: 4 streams; NATS: 4 subjects of one stream), as bench/queue.ts measures mq's queues
  const queue = opts('queue', {messages: n(100_000), consumers: 4, fetchMax: 250, partitions: 4});
  const natsQueue = opts('consume', {messages: n(100_000), consumers: 4, fetchMax: 250, partitions: 4});
  // one message in flight
  const single = opts('produce', {messages: n(5_000), producers: 1, batch: 1});
  const lat = async (t: () => BenchTarget, o: BenchOptions, ph: string): Promise<Record<string, number>> => {
    const p = phase(await workload(t, o), ph);
    return {p50: p.latency.p50, p99: p.latency.p99, msgs: p.msgsPerSec};
  };
  // produce -> consume at a fixed 1,000 msg/s
  const e2e = opts('e2e', {durationMs: 5000 * SCALE, rate: 1000, batch: 1});
  // one message per HTTP request over 50 connections
  const perRequest = opts('produce', {messages: n(30_000), producers: 50, batch: 1});

  const scenarios: Scenario[] = [
    {
      name: 'produce',
      description: 'batched produce, 100 B, 4 producers x 100 messages per request (pipeline of 100 XADDs; window of 100 async publishes), durable acks',
      metrics: [{key: 'msgs', unit: 'msg/s', higher: true}],
      systems: [
        {label: 'mq (acks=all, fsync)', mq: true, run: () => tput(mqT(produce), produce, 'produce')},
        {label: 'Redis, appendfsync always (ioredis)', run: () => tput(redisA, produce, 'produce')},
        {label: 'Redis, appendfsync always (redis-benchmark -c 50 -P 50)', run: async () => ({msgs: await redisBenchmark(always.port, n(500_000), 50, 50, 100)})},
        {label: 'Redis, appendfsync everysec (ioredis)', run: () => tput(redisE, produce, 'produce')},
        {label: 'Redis, appendfsync everysec (redis-benchmark -c 50 -P 50)', run: async () => ({msgs: await redisBenchmark(everysec.port, n(500_000), 50, 50, 100)})},
        {label: 'NATS JetStream, file, no fsync (nats.js)', run: () => tput(natsT, produce, 'produce')},
        {label: 'SQLite alone, synchronous=FULL, 1,000 per transaction', run: async () => ({msgs: sqliteAlone(n(300_000), 1000, 100)})},
      ],
    },
    {
      name: 'consume',
      description: '200k messages of 100 B read back by one consumer, 1,000 per fetch; Redis XREADGROUP+XACK, NATS pull+ack',
      metrics: [{key: 'msgs', unit: 'msg/s', higher: true}],
      systems: [
        {label: 'mq (fetch by offset)', mq: true, run: () => tput(mqT(consume), consume, 'consume')},
        {label: 'mq (consumer group, auto-commit)', run: () => tput(mqT({...consume, consumeMode: 'group'}), {...consume, consumeMode: 'group'}, 'consume')},
        {label: 'Redis, appendfsync always (XREADGROUP + XACK)', run: () => tput(redisA, consume, 'consume')},
        {label: 'NATS JetStream (pull consumer, ack each)', run: () => tput(natsT, consume, 'consume')},
      ],
    },
    {
      name: 'queue',
      description: 'work queue: 100k messages over 4 partitions, 4 workers leasing 250 at a time and acking each batch (NATS: 4 pullers of one durable consumer, 250 per fetch, ack each)',
      metrics: [{key: 'msgs', unit: 'msg/s', higher: true}],
      systems: [
        {label: 'mq (queue group: lease + ack)', mq: true, run: () => tput(mqT(queue), queue, 'fetch+ack')},
        {label: 'NATS JetStream (pull + ack)', run: () => tput(natsT, natsQueue, 'consume')},
        {label: 'Redis, appendfsync always (XREADGROUP + XACK)', run: () => tput(redisA, natsQueue, 'consume')},
      ],
    },
    {
      name: 'latency',
      description: 'one message in flight: 5,000 produces of 100 B, one at a time, durable acks',
      metrics: [
        {key: 'p50', unit: 'ms', higher: false},
        {key: 'p99', unit: 'ms', higher: false},
      ],
      systems: [
        {label: 'mq (acks=all, fsync)', mq: true, run: () => lat(mqT(single), single, 'produce')},
        {label: 'Redis, appendfsync always (ioredis)', run: () => lat(redisA, single, 'produce')},
        {label: 'NATS JetStream (nats.js)', run: () => lat(natsT, single, 'produce')},
      ],
    },
    {
      name: 'e2e',
      description: 'produce -> consume at a fixed 1,000 msg/s for 5 s, latency from each message\'s scheduled send time (corrected for coordinated omission)',
      metrics: [
        {key: 'p50', unit: 'ms', higher: false},
        {key: 'p99', unit: 'ms', higher: false},
      ],
      systems: [
        {label: 'mq (acks=all, long-poll fetch)', mq: true, run: () => lat(mqT(e2e), e2e, 'e2e')},
        {label: 'Redis, appendfsync always (XREADGROUP BLOCK)', run: () => lat(redisA, e2e, 'e2e')},
        {label: 'NATS JetStream (pull consumer)', run: () => lat(natsT, e2e, 'e2e')},
      ],
    },
    {
      name: 'http',
      description: 'one message per HTTP request over 50 connections (50 producers, one request in flight each)',
      metrics: [{key: 'msgs', unit: 'req/s', higher: true}],
      systems: [
        {label: 'mq (acks=all, fsync)', mq: true, run: () => tput(mqT(perRequest), perRequest, 'produce')},
        {label: 'bare Node HTTP server (no storage)', run: () => tput(() => new BareHttpTarget(bare.url, 50), perRequest, 'produce')},
      ],
    },
    {
      name: 'cluster',
      description: 'three mq brokers on this machine, replication factor 3, 3 partitions, acks=all (a majority fsynced), direct routing, 6 producers x 100 per request',
      metrics: [{key: 'msgs', unit: 'msg/s', higher: true}],
      setup: async () => {
        cluster = await LocalCluster.start(3, {env: {MQ_RAFT_TICK_MS: '100', MQ_RAFT_ELECTION_TICKS: '10', MQ_RAFT_HEARTBEAT_TICKS: '5', MQ_LOG_LEVEL: 'warn'}});
        await new Promise((r) => setTimeout(r, 1000));
      },
      teardown: async () => {
        await cluster?.destroy();
        cluster = undefined;
      },
      systems: [
        {
          label: 'mq, 3 brokers, rf 3 (acks=all)',
          mq: true,
          run: async () => {
            const o = opts('produce', {messages: n(200_000), producers: 6, batch: 100, partitions: 3});
            return tput(() => new MqTarget({url: cluster!.url(1), acks: 'all', consumeMode: 'offset', connections: 16, routing: 'direct', replicationFactor: 3}), o, 'produce');
          },
        },
      ],
    },
  ].filter((s) => ONLY.has(s.name));

  const samples: Sample[] = [];
  for (const s of scenarios) {
    console.log(`## ${s.name}: ${s.description} (load average ${loadAverage()})`);
    await s.setup?.();
    try {
      for (let r = 0; r < RUNS; r++) {
        for (const sys of s.systems) {
          try {
            const m = await sys.run();
            for (const {key} of s.metrics) samples.push({run: r, scenario: s.name, system: sys.label, metric: key, value: m[key]!});
            console.log(`  run ${r + 1}  ${sys.label}: ${s.metrics.map(({key, unit}) => `${fmt(m[key]!)} ${unit}`).join(', ')}`);
          } catch (error) {
            console.log(`  run ${r + 1}  ${sys.label}: FAILED ${(error as Error).message}`);
          }
        }
      }
    } finally {
      await s.teardown?.();
    }
    console.log('');
  }

  console.log(`load average at the end: ${loadAverage()}; ${fsyncLine()}\n`);
  console.log(`| scenario | system | metric | median | min–max | mq vs system: ratio of medians | per-round ratio, median (min–max) |`);
  console.log('|---|---|---|---|---|---|---|');
  const of = (scenario: string, system: string, metric: string): Sample[] => samples.filter((x) => x.scenario === scenario && x.system === system && x.metric === metric);
  for (const s of scenarios) {
    for (const {key, unit, higher} of s.metrics) {
      const mqSys = s.systems.find((x) => x.mq)!;
      const mqSamples = of(s.name, mqSys.label, key);
      const mqMed = median(mqSamples.map((x) => x.value));
      for (const sys of s.systems) {
        const mine = of(s.name, sys.label, key);
        const xs = mine.map((x) => x.value);
        if (xs.length === 0) continue;
        const med = median(xs);
        // throughput: mq ÷ system; latency: system ÷ mq, so that above 1× always means mq did better. The per-round
        // ratio pairs figures taken minutes apart under the same background load, so it is the steadier of the two.
        const ratioOf = (m: number, x: number): number => (higher ? m / x : x / m);
        const rounds = mine.flatMap((x) => mqSamples.filter((y) => y.run === x.run).map((y) => ratioOf(y.value, x.value)));
        const ratio = sys.mq ? '' : `${ratioOf(mqMed, med).toFixed(2)}×`;
        const perRound = sys.mq || rounds.length === 0 ? '' : `${median(rounds).toFixed(2)}× (${Math.min(...rounds).toFixed(2)}–${Math.max(...rounds).toFixed(2)})`;
        console.log(`| ${s.name} | ${sys.label} | ${unit === 'ms' ? key : unit} | ${fmt(med)}${unit === 'ms' ? ' ms' : ''} | ${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))} | ${ratio} | ${perRound} |`);
      }
    }
  }
  if (a.out) fs.writeFileSync(a.out, JSON.stringify({info, runs: RUNS, scale: SCALE, loadAverageAtEnd: os.loadavg(), samples}, null, 1));
}

/** 1, 5 and 15 minute load averages: other work on the machine is noise for every figure (print it with them). */
function loadAverage(): string {
  return os.loadavg().map((x) => x.toFixed(1)).join(' / ');
}

function fsyncLine(): string {
  const f = fsyncProbe();
  return `fdatasync of 4 KiB p50 ${f.p50.toFixed(3)} ms, p99 ${f.p99.toFixed(3)} ms`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function fmt(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(x >= 10 ? 1 : 2);
}

async function cleanUp(): Promise<void> {
  for (const s of stops.splice(0)) await s().catch(() => undefined);
  for (const s of servers.splice(0)) await s.stop().catch(() => undefined);
  await cluster?.destroy().catch(() => undefined);
}

// Ctrl-C or a kill still stops the servers this script started (and only those)
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping the servers this script started`);
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  await main();
} finally {
  await cleanUp();
}
