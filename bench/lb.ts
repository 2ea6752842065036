/**
 * The lb's cost (npm run bench:lb): batched produce throughput to one broker directly and through `mq lb` in front
 * of that same broker, in one run, alternating the two paths round by round (ABBA) so that drift on a shared machine
 * hits both alike, and the CPU each process spent per request (a figure the machine's load moves much less). Every
 * message carries an id (what the client library sends), so the lb parses each body to decide whether it may be
 * retried: the worst case for its CPU.
 *
 *   npm run bench:lb -- [--messages 200000] [--batch 100] [--size 100] [--concurrency 8] [--rounds 5] [--partitions 1]
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {Pool} from 'undici';
import {startLbProcess} from '../src/bench/lb-process.js';
import {mqCommand, until} from '../src/bench/local-cluster.js';

const {values: a} = parseArgs({
  options: {
    messages: {type: 'string', default: '200000'},
    batch: {type: 'string', default: '100'},
    size: {type: 'string', default: '100'},
    concurrency: {type: 'string', default: '8'},
    rounds: {type: 'string', default: '5'},
    partitions: {type: 'string', default: '1'},
    strategy: {type: 'string', default: 'round-robin'},
  },
});
const TOTAL = Number(a.messages);
const BATCH = Number(a.batch);
const SIZE = Number(a.size);
const CONC = Number(a.concurrency);
const ROUNDS = Number(a.rounds);

const pct = (xs: number[], p: number): number => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;
const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function startBroker(): Promise<{url: string; stop: () => Promise<void>}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-bench-lb-'));
  const ready = path.join(dir, 'ready.json');
  const [cmd, ...pre] = mqCommand();
  const child = spawn(cmd!, [...pre, 'broker', 'start', '--data-dir', path.join(dir, 'data'), '--listen', '127.0.0.1:0', '--ready-file', ready, '--log-level', 'warn'], {stdio: 'inherit'});
  await until(() => fs.existsSync(ready), 30_000, 'the broker');
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

const broker = await startBroker();
const lb = await startLbProcess(['--upstream', broker.url, '--strategy', a.strategy!, '--log-level', 'warn']);
const topic = `bench-lb-${Date.now()}`;
const admin = new Pool(broker.url);
await (await admin.request({method: 'POST', path: '/v1/topics', headers: {'content-type': 'application/json'}, body: JSON.stringify({name: topic, partitions: Number(a.partitions)})})).body.dump();
await admin.close();

const pad = 'x'.repeat(SIZE);
let seq = 0;
/** Pre-serialised bodies (the client's JSON work is not what is measured), each message with a fresh id. */
const makeBody = (): string => JSON.stringify({messages: Array.from({length: BATCH}, () => ({id: `b-${seq++}`, value: pad.slice(0, SIZE - 2)}))});

async function round(url: string): Promise<{msgPerS: number; p50: number; p99: number}> {
  const pool = new Pool(url, {connections: CONC});
  const requests = Math.ceil(TOTAL / BATCH);
  const bodies = Array.from({length: requests}, makeBody);
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({length: CONC}, async () => {
      while (next < requests) {
        const body = bodies[next++]!;
        const s = performance.now();
        const r = await pool.request({method: 'POST', path: `/v1/topics/${topic}/messages`, headers: {'content-type': 'application/json'}, body});
        const doc = (await r.body.json()) as {errors?: number};
        lat.push(performance.now() - s);
        if (r.statusCode !== 200 || doc.errors !== 0) throw new Error(`produce failed: ${r.statusCode} ${JSON.stringify(doc)}`);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  await pool.close();
  return {msgPerS: (requests * BATCH) / secs, p50: pct(lat, 50), p99: pct(lat, 99)};
}

/** CPU time a process has used so far (µs), from its /status: what the lb costs whatever else runs on the machine. */
async function cpuUs(url: string): Promise<number> {
  const st = (await (await fetch(`${url}/status`)).json()) as {process: {cpu_user_us: number; cpu_system_us: number}};
  return st.process.cpu_user_us + st.process.cpu_system_us;
}

interface Round {
  msgPerS: number;
  p50: number;
  p99: number;
  /** CPU µs per request: the broker's, and (through the lb) the lb's. */
  brokerCpu: number;
  lbCpu: number;
}

async function measured(url: string): Promise<Round> {
  const [b0, l0] = [await cpuUs(broker.url), await cpuUs(lb.url)];
  const r = await round(url);
  const [b1, l1] = [await cpuUs(broker.url), await cpuUs(lb.url)];
  const requests = Math.ceil(TOTAL / BATCH);
  return {...r, brokerCpu: (b1 - b0) / requests, lbCpu: (l1 - l0) / requests};
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
console.log(`mq lb cost: ${TOTAL} messages of ${SIZE} B per round, ${BATCH} per request (all with ids), ${CONC} in flight, acks=all, ${a.partitions} partition(s), ${ROUNDS} rounds per path`);
console.log(`node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; broker ${broker.url}, lb ${lb.url} (${a.strategy})\n`);
await round(broker.url); // warm-up: JIT, SQLite cache, connections
await round(lb.url);
const direct: Round[] = [];
const via: Round[] = [];
for (let i = 0; i < ROUNDS; i++) {
  // the two paths alternate, and which goes first alternates too (ABBA): drift on a shared machine hits both alike
  if (i % 2 === 0) {
    direct.push(await measured(broker.url));
    via.push(await measured(lb.url));
  } else {
    via.push(await measured(lb.url));
    direct.push(await measured(broker.url));
  }
  const ratio = 1 - via[i]!.msgPerS / direct[i]!.msgPerS;
  console.log(`round ${i + 1}: direct ${fmt(direct[i]!.msgPerS)} msg/s, through the lb ${fmt(via[i]!.msgPerS)} msg/s (${(ratio * 100).toFixed(1)} % lower); lb cpu ${fmt(via[i]!.lbCpu)} µs/request, broker cpu ${fmt(direct[i]!.brokerCpu)} µs/request; load average ${os.loadavg()[0]!.toFixed(1)}`);
}
const lbStatus = await lb.status();
const spread = (xs: number[], f: (x: number) => string): string => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
const row = (name: string, rs: Round[]): string =>
  `| ${name} | ${fmt(median(rs.map((r) => r.msgPerS)))} | ${spread(rs.map((r) => r.msgPerS), fmt)} | ${median(rs.map((r) => r.p50)).toFixed(1)} | ${median(rs.map((r) => r.p99)).toFixed(1)} |`;
const cost = 1 - median(via.map((r) => r.msgPerS)) / median(direct.map((r) => r.msgPerS));
const paired = direct.map((d, i) => 1 - via[i]!.msgPerS / d.msgPerS);
const pc = (x: number): string => `${(x * 100).toFixed(1)} %`;
console.log('\n| path | msg/s (median) | min–max | request p50 ms | request p99 ms |\n|---|---|---|---|---|');
console.log(row('directly to the broker', direct));
console.log(row('through mq lb', via));
console.log(`\nthroughput through the lb: ${pc(cost)} lower than direct, medians (target: under 15 %); paired by round: median ${pc(median(paired))}, ${spread(paired, pc)}`);
console.log(
  `cpu per 100-message request: lb ${fmt(median(via.map((r) => r.lbCpu)))} µs (${spread(via.map((r) => r.lbCpu), fmt)}), broker ${fmt(median(direct.map((r) => r.brokerCpu)))} µs (${spread(direct.map((r) => r.brokerCpu), fmt)})`,
);
console.log(`lb: rss ${Math.round(lbStatus.process.rss_bytes / 1048576)} MiB, ${lbStatus.lb!.errors} errors, ${lbStatus.lb!.retries} retries`);
await lb.stop();
await broker.stop();
