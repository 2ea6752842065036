/**
 * Retention soak (npm run soak:retention): does the database file stay the same size under steady retention, and
 * does retention keep the event loop free? One broker process (its own data directory); three phases:
 *
 *   1. steady: producers write 1 KiB messages to a topic with a count limit, for --minutes; the file's size is
 *      sampled every 5 s, and compared between the end of the first turnover and the end of the run.
 *   2. burst: a backlog of --backlog messages on a topic with a 10 s age limit, removed by age-based retention at
 *      once (the case that could stall the broker); event-loop delay and the longest single delete are reported.
 *   3. shrink: the steady topic's limit cut to a tenth, for good; incremental vacuum gives the pages back in steps.
 *
 *   npm run soak:retention -- [--minutes 5] [--backlog 200000] [--keep 100000] [--pause-ms 100]
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {MqClient} from '../src/client/index.js';
import {mqCommand, sleep, until} from '../src/bench/local-cluster.js';
import type {StatusModel} from '../src/observe/status-model.js';

const {values: args} = parseArgs({
  options: {minutes: {type: 'string', default: '5'}, backlog: {type: 'string', default: '200000'}, keep: {type: 'string', default: '100000'}, 'pause-ms': {type: 'string', default: '100'}},
});
const MINUTES = Number(args.minutes);
const BACKLOG = Number(args.backlog);
const KEEP = Number(args.keep);
/** Pause of each of the 4 producers between batches of 100 in the steady phase (100 ms: at most ~4,000 messages/s). */
const PAUSE_MS = Number(args['pause-ms']);
const MiB = 1024 * 1024;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-soak-'));
const ready = path.join(dir, 'ready.json');
const [cmd, ...pre] = mqCommand();
const proc = spawn(cmd!, [...pre, 'broker', 'start', '--data-dir', path.join(dir, 'data'), '--listen', '127.0.0.1:0', '--ready-file', ready, '--log-file', path.join(dir, 'broker.log')], {stdio: 'inherit'});
await until(() => fs.existsSync(ready), 30_000, 'the broker');
const url = (JSON.parse(fs.readFileSync(ready, 'utf8')) as {url: string}).url;
const client = new MqClient({url, timeoutMs: 60_000});
const status = async (): Promise<StatusModel> => client.status<StatusModel>();
const fileBytes = (s: StatusModel): number => s.storage.db_bytes + s.storage.wal_bytes;
const files = (s: StatusModel): string => `db ${mib(s.storage.db_bytes)} MiB + WAL ${mib(s.storage.wal_bytes)} MiB`;
const mib = (n: number): string => (n / MiB).toFixed(1);
const pad = 'x'.repeat(1000);

async function produceFor(topic: string, until: () => boolean, batch = 100, pauseMs = 0): Promise<number> {
  let n = 0;
  const worker = async (): Promise<void> => {
    while (!until()) {
      await client.produce(topic, Array.from({length: batch}, (_, k) => ({value: {n: n + k, pad}})));
      n += batch;
      if (pauseMs > 0) await sleep(pauseMs);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return n;
}

/** GET /health every 10 ms while `go()`: how long the broker's event loop kept a client waiting. */
async function probeHealth(go: () => boolean): Promise<{n: number; p99: number; max: number}> {
  const times: number[] = [];
  while (go()) {
    const t = performance.now();
    await fetch(`${url}/health`).then((res) => res.arrayBuffer());
    times.push(performance.now() - t);
    await sleep(10);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0);
  return {n: times.length, p99: at(0.99), max: at(1)};
}

try {
  // 1. steady
  await client.createTopic({name: 'steady', partitions: 2, retention: {max_messages: KEEP / 2}});
  const end = Date.now() + MINUTES * 60_000;
  let firstTurnover: {at: number; bytes: number; pages: number} | undefined;
  const samples: Array<{s: number; bytes: number; pages: number; free: number; deleted: number; loopP99: number}> = [];
  const started = Date.now();
  const sampler = (async () => {
    while (Date.now() < end) {
      await sleep(5000);
      const s = await status();
      const row = {s: Math.round((Date.now() - started) / 1000), bytes: fileBytes(s), pages: s.storage.space!.pages, free: s.storage.space!.free_pages, deleted: s.storage.retention!.messages_deleted, loopP99: s.process.event_loop_delay_p99_ms};
      samples.push(row);
      // once as many messages were deleted as are kept, every page has been through one write and one delete
      if (!firstTurnover && row.deleted >= KEEP) firstTurnover = {at: row.s, bytes: row.bytes, pages: row.pages};
      console.log(`${row.s}s ${files(s)}, pages ${row.pages} free ${row.free} deleted ${row.deleted} loop p99 ${row.loopP99} ms`);
    }
  })();
  const written = await produceFor('steady', () => Date.now() >= end, 100, PAUSE_MS);
  await sampler;
  const last = samples[samples.length - 1]!;
  const s1 = await status();
  console.log(`\nsteady: ${written} messages of 1 KiB in ${MINUTES} min, ${KEEP} kept (${(written / KEEP).toFixed(1)} turnovers)`);
  if (firstTurnover) console.log(`file after the first turnover (${firstTurnover.at}s): ${mib(firstTurnover.bytes)} MiB, at the end (${last.s}s): ${mib(last.bytes)} MiB (${(((last.bytes - firstTurnover.bytes) / firstTurnover.bytes) * 100).toFixed(1)}%); pages ${firstTurnover.pages} -> ${last.pages}`);
  console.log(`max file size seen: ${mib(Math.max(...samples.map((r) => r.bytes)))} MiB; event-loop p99 max over samples ${Math.max(...samples.map((r) => r.loopP99))} ms; retention: ${JSON.stringify(s1.storage.retention)}`);

  // 2. burst: what a client sees while retention removes a large backlog at once, against the same broker idle
  await client.createTopic({name: 'aged', partitions: 1, retention: {max_age_ms: 10_000}});
  const idleFrom = Date.now();
  const idle = await probeHealth(() => Date.now() - idleFrom < 3000);
  let n = 0;
  await produceFor('aged', () => (n += 1) > BACKLOG / 1000, 1000);
  const before = (await status()).storage.retention!;
  const t0 = Date.now();
  let gone = false;
  const watcher = (async () => {
    while (!gone) {
      await sleep(200);
      gone = (await status()).topics.find((t) => t.name === 'aged')!.messages === 0;
    }
  })();
  const busy = await probeHealth(() => !gone);
  await watcher;
  const r = (await status()).storage.retention!;
  console.log(
    `\nburst: ${BACKLOG} messages removed by age ${Math.round((Date.now() - t0) / 1000)} s after they were written, in ${r.passes - before.passes} deletes; ` +
      `longest delete ${r.delete_ms_max} ms, total ${(r.delete_ms_total - before.delete_ms_total).toFixed(0)} ms; ` +
      `GET /health every 10 ms: idle (before the backlog) p99 ${idle.p99} ms max ${idle.max} ms; from the end of the backlog's writes until it was gone p99 ${busy.p99} ms max ${busy.max} ms (${busy.n} probes)`,
  );

  // 3. shrink
  const s3 = await status();
  await client.updateTopic('steady', {retention: {max_messages: KEEP / 20}});
  await produceFor('steady', (() => {
    let k = 0;
    return () => (k += 1) > 1;
  })());
  for (let i = 0; i < 12; i++) {
    await sleep(5000);
    const s = await status();
    console.log(`shrink ${5 * (i + 1)}s: ${files(s)}, pages ${s.storage.space!.pages} free ${s.storage.space!.free_pages} reclaimed ${s.storage.space!.reclaimed_pages}`);
  }
  const s4 = await status();
  console.log(`\nshrink: limit cut to ${KEEP / 20}: pages ${s3.storage.space!.pages} -> ${s4.storage.space!.pages} (${s4.storage.space!.reclaimed_pages} given back) in 60 s; ${files(s3)} -> ${files(s4)}`);
} finally {
  await client.close();
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  fs.rmSync(dir, {recursive: true, force: true});
}
