/**
 * Work-queue benchmark (npm run bench:queue) against a real broker process:
 * 1. fetch + ack throughput: --messages of --size bytes are produced, then --workers loops lease --batch at a time and
 *    ack each batch in one request, until all are acked;
 * 2. produce → processed latency: one message at a time with ?await=processed while a Worker (concurrency 4) acks,
 *    --latency-count times; p50/p99/max of the produce request, which returns when the message is processed.
 *
 *   npm run bench:queue -- [--messages 100000] [--size 100] [--workers 4] [--batch 100] [--latency-count 1000]
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {MqClient, Worker} from '../src/index.js';

const {values: a} = parseArgs({
  options: {
    messages: {type: 'string', default: '100000'},
    size: {type: 'string', default: '100'},
    workers: {type: 'string', default: '4'},
    batch: {type: 'string', default: '100'},
    partitions: {type: 'string', default: '4'},
    'latency-count': {type: 'string', default: '1000'},
  },
});
const N = Number(a.messages);
const SIZE = Number(a.size);
const W = Number(a.workers);
const BATCH = Number(a.batch);

const pct = (xs: number[], p: number): number => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-bench-queue-'));
const ready = path.join(dir, 'ready.json');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const child = spawn(process.execPath, [path.join(root, 'bin/run.js'), 'broker', 'start', '--data-dir', path.join(dir, 'data'), '--listen', '127.0.0.1:0', '--ready-file', ready, '--log-level', 'warn'], {stdio: 'inherit'});
while (!fs.existsSync(ready)) await new Promise((r) => setTimeout(r, 50));
const {url} = JSON.parse(fs.readFileSync(ready, 'utf8')) as {url: string};
const c = new MqClient({url, connections: W + 4});

console.log(`mq work-queue benchmark: ${N} messages of ${SIZE} B, ${a.partitions} partitions, ${W} fetch+ack loops leasing ${BATCH} at a time`);
console.log(`node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), broker ${url}\n`);

await c.createTopic({name: 'work', partitions: Number(a.partitions)});
await c.createGroup({name: 'bench', topics: ['work'], mode: 'queue'});
const value = 'x'.repeat(SIZE - 2);
for (let i = 0; i < N; i += 1000) await c.produce('work', Array.from({length: Math.min(1000, N - i)}, () => ({value})));

let acked = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({length: W}, async (_, w) => {
    while (acked < N) {
      const batch = await c.lease('bench', {consumer: `w${w}`, maxMessages: BATCH, waitMs: acked >= N ? 0 : 200});
      if (batch.length === 0) continue;
      await c.ack('bench', batch.map((m) => m.lease_id));
      acked += batch.length;
    }
  }),
);
const secs = (performance.now() - t0) / 1000;
console.log(`fetch+ack  ${Math.round(N / secs).toLocaleString('en-US')} msg/s  (${N} messages in ${secs.toFixed(1)} s)`);

await c.createTopic({name: 'latency'});
await c.createGroup({name: 'lat', topics: ['latency'], mode: 'queue'});
const worker = new Worker({url, group: 'lat', concurrency: 4, handler: () => {}});
void worker.start();
const lat: number[] = [];
for (let i = 0; i < Number(a['latency-count']); i++) {
  const s = performance.now();
  const [r] = await c.produceProcessed('latency', [{value, producer: 'bench'}], {timeoutMs: 10_000});
  lat.push(performance.now() - s);
  if (!r || !('state' in r) || r.state !== 'processed') throw new Error(`not processed: ${JSON.stringify(r)}`);
}
await worker.stop();
console.log(`produce → processed  p50 ${pct(lat, 50).toFixed(2)} ms  p99 ${pct(lat, 99).toFixed(2)} ms  max ${pct(lat, 100).toFixed(2)} ms  (${lat.length} messages, one at a time, Worker concurrency 4)`);
await c.close();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
fs.rmSync(dir, {recursive: true, force: true});
