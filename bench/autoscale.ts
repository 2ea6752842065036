/**
 * Elastic partitions benchmark (npm run bench:autoscale): throughput of a work-queue topic with 1, 2 and 4 consumers,
 * on a topic that starts with one partition and autoscales up to --max-partitions, next to the same topic fixed at one
 * partition. Each run starts a fresh broker process; one producer sends --messages unkeyed messages in batches of 100
 * while the consumers lease 100 at a time and ack each batch; throughput is messages acked / time from the first
 * produce to the last ack. After each autoscaled run the topic must shrink back to its base (reported).
 *
 *   npm run bench:autoscale -- [--messages 40000] [--runs 3] [--max-partitions 4] [--max-load 2000]
 */
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {MqClient} from '../src/client/index.js';

const {values: a} = parseArgs({
  options: {
    messages: {type: 'string', default: '40000'},
    runs: {type: 'string', default: '3'},
    'max-partitions': {type: 'string', default: '4'},
    'max-load': {type: 'string', default: '2000'},
    serve: {type: 'string'},
  },
});

if (a.serve !== undefined) {
  // the broker side of a run: a broker in this process (sources through tsx, no build needed), until killed
  const {Broker} = await import('../src/broker/broker.js');
  const {resolveBrokerConfig} = await import('../src/config/index.js');
  const {startServer} = await import('../src/server/http-server.js');
  const config = resolveBrokerConfig({flags: {dataDir: a.serve, listen: '127.0.0.1:0', logLevel: 'silent'}, env: {}});
  const broker = await Broker.open({config});
  const server = await startServer(broker, {listen: config.listen});
  await broker.startNetwork(server.url);
  fs.writeFileSync(path.join(a.serve, 'url'), server.url);
  await new Promise(() => {});
}

const N = Number(a.messages);
const RUNS = Number(a.runs);
const MAX = Number(a['max-partitions']);
const MAX_LOAD = Number(a['max-load']);
const BATCH = 100;
const self = new URL(import.meta.url).pathname;

async function startBroker(): Promise<{url: string; child: ChildProcess; dir: string}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-bench-autoscale-'));
  const child = spawn(process.execPath, ['--import', 'tsx', self, '--serve', dir], {stdio: 'inherit'});
  let exited = false;
  child.once('exit', () => (exited = true));
  while (!fs.existsSync(path.join(dir, 'url'))) {
    if (exited) throw new Error('the broker process exited before it was ready');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {url: fs.readFileSync(path.join(dir, 'url'), 'utf8'), child, dir};
}

interface Run {
  msgPerS: number;
  peak: number;
  shrunkMs: number | null;
}

async function run(consumers: number, autoscale: boolean): Promise<Run> {
  const {url, child, dir} = await startBroker();
  const c = new MqClient({url, connections: consumers + 4, timeoutMs: 60_000});
  try {
    const scale = autoscale ? {autoscale: {max_partitions: MAX, max_load: MAX_LOAD, idle_after_ms: 1000, check_interval_ms: 100}} : {};
    await c.createTopic({name: 'work', partitions: 1, ...scale});
    await c.createGroup({name: 'g', topics: ['work'], mode: 'queue'});
    const value = 'x'.repeat(98);
    let acked = 0;
    let peak = 1;
    const t0 = performance.now();
    const producer = (async () => {
      for (let i = 0; i < N; i += BATCH) await c.produce('work', Array.from({length: Math.min(BATCH, N - i)}, () => ({value})));
    })();
    const watcher = setInterval(() => {
      void c.describeTopic('work').then((d) => (peak = Math.max(peak, d.partitions)), () => {});
    }, 100);
    await Promise.all([
      producer,
      ...Array.from({length: consumers}, async (_, k) => {
        while (acked < N) {
          const got = await c.lease('g', {consumer: `c${k}`, maxMessages: BATCH, waitMs: 200});
          if (got.length === 0) continue;
          // a retriable refusal (a partition settling under load) is acked again
          for (let left = got.map((m) => m.lease_id); left.length > 0; ) {
            const res = await c.ack('g', left);
            acked += res.filter((r) => !('error' in r)).length;
            left = res.flatMap((r) => ('error' in r ? [r.lease_id] : []));
          }
        }
      }),
    ]);
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(watcher);
    peak = Math.max(peak, (await c.describeTopic('work')).partitions);
    let shrunkMs: number | null = null;
    if (autoscale) {
      const s0 = performance.now();
      while ((await c.describeTopic('work')).partitions > 1 && performance.now() - s0 < 30_000) await new Promise((r) => setTimeout(r, 50));
      if ((await c.describeTopic('work')).partitions === 1) shrunkMs = performance.now() - s0;
    }
    return {msgPerS: N / seconds, peak, shrunkMs};
  } finally {
    await c.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

console.log(`mq autoscale benchmark: ${N} messages of 100 B per run, ${RUNS} runs per row, autoscale up to ${MAX} partitions at 0.8 × ${MAX_LOAD}`);
console.log(`node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
console.log('| consumers | topic | msg/s median | min – max | peak partitions | back to 1 partition after |');
console.log('|---|---|---|---|---|---|');
for (const consumers of [1, 2, 4]) {
  for (const autoscale of [false, true]) {
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await run(consumers, autoscale));
    const rates = runs.map((r) => r.msgPerS);
    const shrink = runs.map((r) => r.shrunkMs).filter((x): x is number => x !== null);
    console.log(
      `| ${consumers} | ${autoscale ? `autoscale 1→${MAX}` : 'fixed 1'} | ${fmt(median(rates))} | ${fmt(Math.min(...rates))} – ${fmt(Math.max(...rates))} | ` +
        `${runs.map((r) => r.peak).join(', ')} | ${autoscale ? (shrink.length === runs.length ? `${fmt(median(shrink))} ms (median)` : `${runs.length - shrink.length} run(s) did not shrink in 30 s`) : '–'} |`,
    );
  }
}
