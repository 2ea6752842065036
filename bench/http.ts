/**
 * HTTP produce and consume throughput against a real broker process (npm run bench:http):
 * batched produce (--batch messages of --size bytes per request, --concurrency requests in flight, acks=all), then
 * consume of everything from offset 0. Reports msg/s, MB/s, request latency percentiles and the broker's event-loop
 * delay. The broker and this client share the machine.
 *
 *   npm run bench:http -- [--messages 500000] [--batch 100] [--size 100] [--concurrency 8] [--partitions 1]
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {MqClient} from '../src/client/index.js';

const {values: a} = parseArgs({
  options: {
    messages: {type: 'string', default: '500000'},
    batch: {type: 'string', default: '100'},
    size: {type: 'string', default: '100'},
    concurrency: {type: 'string', default: '8'},
    partitions: {type: 'string', default: '1'},
    'fetch-max': {type: 'string', default: '1000'},
    url: {type: 'string'},
  },
});
const TOTAL = Number(a.messages);
const BATCH = Number(a.batch);
const SIZE = Number(a.size);
const CONC = Number(a.concurrency);
const PARTS = Number(a.partitions);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

async function startBroker(): Promise<{url: string; stop: () => Promise<void>}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-bench-http-'));
  const ready = path.join(dir, 'ready.json');
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const child = spawn(process.execPath, [path.join(root, 'bin/run.js'), 'broker', 'start', '--data-dir', path.join(dir, 'data'), '--listen', '127.0.0.1:0', '--ready-file', ready, '--log-level', 'warn'], {stdio: 'inherit'});
  while (!fs.existsSync(ready)) await new Promise((r) => setTimeout(r, 50));
  const {url} = JSON.parse(fs.readFileSync(ready, 'utf8')) as {url: string};
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dir, {recursive: true, force: true});
    },
  };
}

const broker = a.url ? {url: a.url, stop: async () => {}} : await startBroker();
const client = new MqClient({url: broker.url, connections: CONC + 2});
const topic = `bench-${Date.now()}`;
await client.createTopic({name: topic, partitions: PARTS});
const pad = 'x'.repeat(Math.max(0, SIZE - 16));
// pre-serialised request bodies: the client's JSON work is not what is being measured
const bodies = Array.from({length: 16}, (_, b) => JSON.stringify({messages: Array.from({length: BATCH}, (_, i) => ({value: `${String(b * BATCH + i).padStart(12, '0')}${pad}`.slice(0, SIZE - 2)}))}));

console.log(`mq HTTP benchmark: ${TOTAL} messages of ${SIZE} B, ${BATCH} per request, ${CONC} requests in flight, ${PARTS} partition(s), acks=all`);
console.log(`node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), broker ${broker.url}\n`);

const requests = Math.ceil(TOTAL / BATCH);
let next = 0;
const lat: number[] = [];
const t0 = performance.now();
await Promise.all(
  Array.from({length: CONC}, async () => {
    while (next < requests) {
      const i = next++;
      const s = performance.now();
      const res = await client.produceRaw(topic, bodies[i % bodies.length]!);
      lat.push(performance.now() - s);
      if (!('results' in res) || res.errors > 0) throw new Error('produce failed');
    }
  }),
);
const produceSecs = (performance.now() - t0) / 1000;
const status = await client.status<{process: {event_loop_delay_p99_ms: number; event_loop_delay_max_ms: number}; storage: {fsyncs: number}}>();
const produced = requests * BATCH;
console.log(`produce  ${Math.round(produced / produceSecs).toLocaleString('en-US')} msg/s  ${((produced * SIZE) / produceSecs / 1e6).toFixed(1)} MB/s  request p50 ${pct(lat, 50).toFixed(2)} ms  p99 ${pct(lat, 99).toFixed(2)} ms  max ${pct(lat, 100).toFixed(1)} ms`);
console.log(`         broker: ${status.storage.fsyncs} commits for ${requests} requests (${(requests / status.storage.fsyncs).toFixed(1)} requests per fsync), event-loop delay p99 ${status.process.event_loop_delay_p99_ms} ms, max ${status.process.event_loop_delay_max_ms} ms`);

const t1 = performance.now();
let consumed = 0;
const fetchLat: number[] = [];
await Promise.all(
  Array.from({length: PARTS}, async (_, p) => {
    let offset = 0;
    for (;;) {
      const s = performance.now();
      const page = await client.fetch(topic, p, {offset, maxMessages: Number(a['fetch-max']), maxBytes: 16 * 1024 * 1024});
      fetchLat.push(performance.now() - s);
      if (page.messages.length === 0) break;
      consumed += page.messages.length;
      offset = page.next_offset;
    }
  }),
);
const consumeSecs = (performance.now() - t1) / 1000;
console.log(`consume  ${Math.round(consumed / consumeSecs).toLocaleString('en-US')} msg/s  ${((consumed * SIZE) / consumeSecs / 1e6).toFixed(1)} MB/s  (${a['fetch-max']} per fetch, one reader per partition, fetch p50 ${pct(fetchLat, 50).toFixed(2)} ms)`);
if (consumed !== produced) throw new Error(`consumed ${consumed} of ${produced}`);

// a consumer group of one member, auto-commit: each fetch commits the previous batch (one group-log record per fetch)
const t2 = performance.now();
const member = await client.join('bench-group', {topics: [topic], clientId: 'bench'});
let groupConsumed = 0;
while (groupConsumed < produced) {
  const page = await client.groupFetch('bench-group', member.member_id, {maxMessages: Number(a['fetch-max']), maxBytes: 16 * 1024 * 1024, autoCommit: true, waitMs: 1000});
  groupConsumed += page.messages.length;
}
await client.leave('bench-group', member.member_id);
const groupSecs = (performance.now() - t2) / 1000;
console.log(`group    ${Math.round(groupConsumed / groupSecs).toLocaleString('en-US')} msg/s  ${((groupConsumed * SIZE) / groupSecs / 1e6).toFixed(1)} MB/s  (one member, auto-commit, ${a['fetch-max']} per fetch)`);
await client.close();
await broker.stop();
