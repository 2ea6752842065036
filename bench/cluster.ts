/**
 * Batched produce throughput with replication factor 3 (npm run bench:cluster): three broker processes and this
 * client on one machine, default Raft timings, acks=all (each batch committed on a majority, every replica fsynced).
 * Reports msg/s, request latency, and per broker the event-loop delay and how many elections happened during the
 * run (a stalled loop that delayed heartbeats would show up as extra terms).
 *
 *   npm run bench:cluster -- [--messages 300000] [--batch 100] [--size 100] [--concurrency 12] [--partitions 3]
 *                            [--routing direct|forward]
 */
import os from 'node:os';
import {parseArgs} from 'node:util';
import {Pool} from 'undici';
import {LocalCluster} from '../src/bench/local-cluster.js';
import {MqClient} from '../src/client/index.js';
import {percentile} from '../src/bench/failover.js';

const {values: a} = parseArgs({
  options: {
    messages: {type: 'string', default: '300000'},
    batch: {type: 'string', default: '100'},
    size: {type: 'string', default: '100'},
    concurrency: {type: 'string', default: '12'},
    partitions: {type: 'string', default: '3'},
    routing: {type: 'string', default: 'direct'},
  },
});
const TOTAL = Number(a.messages);
const BATCH = Number(a.batch);
const SIZE = Number(a.size);
const CONC = Number(a.concurrency);
const PARTS = Number(a.partitions);

interface Status {
  process: {event_loop_delay_p99_ms: number; event_loop_delay_max_ms: number; cpu_percent: number};
  storage: {fsyncs: number};
  topics: Array<{name: string; partitions: Array<{partition: number; term: number; role: string}>}>;
}

async function status(url: string): Promise<Status> {
  const p = new Pool(url);
  const r = await p.request({method: 'GET', path: '/status'});
  const s = (await r.body.json()) as Status;
  await p.close();
  return s;
}

const c = await LocalCluster.start(3, {env: {MQ_RAFT_TICK_MS: '100', MQ_RAFT_ELECTION_TICKS: '10', MQ_RAFT_HEARTBEAT_TICKS: '5', MQ_LOG_LEVEL: 'warn'}});
try {
  const client = new MqClient({url: c.url(1), connections: CONC + 2, routing: a.routing === 'direct' ? 'direct' : 'forward'});
  const topic = 'bench';
  await client.createTopic({name: topic, partitions: PARTS});
  // leaders settle on their preferred replicas
  await new Promise((r) => setTimeout(r, 1000));
  const before = await Promise.all(c.nodes.map((n) => status(c.url(n.id))));
  const pad = 'x'.repeat(Math.max(0, SIZE - 16));
  const batches = Array.from({length: 16}, (_, b) => Array.from({length: BATCH}, (_, i) => ({value: `${String(b * BATCH + i).padStart(12, '0')}${pad}`.slice(0, SIZE - 2)})));
  console.log(`mq cluster benchmark: 3 brokers, rf 3, ${PARTS} partition(s), ${TOTAL} messages of ${SIZE} B, ${BATCH} per request, ${CONC} in flight, acks=all, routing ${a.routing}`);
  console.log(`node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}); the three brokers and this client share them\n`);
  const requests = Math.ceil(TOTAL / BATCH);
  let next = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({length: CONC}, async () => {
      while (next < requests) {
        const i = next++;
        const s = performance.now();
        const rs = await client.produce(topic, batches[i % batches.length]!);
        lat.push(performance.now() - s);
        if (rs.some((r) => 'error' in r)) throw new Error(`produce failed: ${JSON.stringify(rs.find((r) => 'error' in r))}`);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const after = await Promise.all(c.nodes.map((n) => status(c.url(n.id))));
  const produced = requests * BATCH;
  console.log(`produce  ${Math.round(produced / secs).toLocaleString('en-US')} msg/s  ${((produced * SIZE) / secs / 1e6).toFixed(1)} MB/s  request p50 ${percentile(lat, 50).toFixed(1)} ms  p99 ${percentile(lat, 99).toFixed(1)} ms  max ${Math.max(...lat).toFixed(0)} ms`);
  for (const [i, n] of c.nodes.entries()) {
    const terms = (s: Status): number => s.topics.find((t) => t.name === topic)!.partitions.reduce((x, p) => x + p.term, 0);
    const led = after[i]!.topics.find((t) => t.name === topic)!.partitions.filter((p) => p.role === 'leader').length;
    console.log(
      `broker ${n.id}: leads ${led}, ${after[i]!.storage.fsyncs - before[i]!.storage.fsyncs} fsyncs, event-loop delay p99 ${after[i]!.process.event_loop_delay_p99_ms} ms max ${after[i]!.process.event_loop_delay_max_ms} ms, elections during the run: ${terms(after[i]!) - terms(before[i]!)}`,
    );
  }
  await client.close();
} finally {
  await c.destroy();
}
