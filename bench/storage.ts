/**
 * Storage microbenchmark (npm run bench:storage): appends 100 B messages in batches of 1000, one fsync per batch
 * (WAL, synchronous=FULL), first to a bare table and then adding, one at a time, what the broker's append path adds:
 * time-ordered ids, CRCs, the Raft-shaped entry and partition-state rows, and the de-duplication window. Reports the
 * median of several runs of each stage, and what each step costs.
 *
 *   npm run bench:storage -- [--messages 300000] [--batch 1000] [--runs 3] [--size 100]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import Database from 'better-sqlite3';
import {Broker} from '../src/broker/broker.js';
import {resolveBrokerConfig} from '../src/config/index.js';
import {messageCrc, openSqliteStore, ValueType, type NewMessage} from '../src/storage/index.js';
import {uuid7} from '../src/util/uuid7.js';

const {values: args} = parseArgs({
  options: {messages: {type: 'string', default: '300000'}, batch: {type: 'string', default: '1000'}, runs: {type: 'string', default: '3'}, size: {type: 'string', default: '100'}, dir: {type: 'string'}},
});
const TOTAL = Number(args.messages);
const BATCH = Number(args.batch);
const RUNS = Number(args.runs);
const SIZE = Number(args.size);
const baseDir = args.dir ?? os.tmpdir();

function batches(withIds: boolean): NewMessage[][] {
  const value = Buffer.from(JSON.stringify({n: 0, pad: ''}).padEnd(SIZE - 2, ' ') + '{}').subarray(0, SIZE);
  const out: NewMessage[][] = [];
  for (let b = 0; b < TOTAL / BATCH; b++) {
    const now = Date.now() + b;
    out.push(Array.from({length: BATCH}, () => ({id: withIds ? uuid7(now) : null, key: null, producer: null, priority: 0, headers: null, valueType: ValueType.Json, value, notBefore: 0})));
  }
  return out;
}

function freshDir(): string {
  return fs.mkdtempSync(path.join(baseDir, 'mq-bench-storage-'));
}

type Stage = {name: string; run: (data: NewMessage[][]) => Promise<number>; ids: boolean};

/** A plain rowid table with the same columns, no CRC, one transaction and fsync per batch. */
async function rawTable(data: NewMessage[][], crc: boolean): Promise<number> {
  const dir = freshDir();
  const db = new Database(path.join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE m (off INTEGER PRIMARY KEY, ts INTEGER NOT NULL, id TEXT, key TEXT, producer TEXT, priority INTEGER NOT NULL, headers TEXT, vtype INTEGER NOT NULL, value BLOB NOT NULL, crc INTEGER NOT NULL)');
  const ins = db.prepare('INSERT INTO m VALUES (?,?,?,?,?,?,?,?,?,?)');
  let off = 0;
  const tx = db.transaction((batch: NewMessage[], ts: number) => {
    for (const m of batch) ins.run(off++, ts, m.id, m.key, m.producer, m.priority, m.headers, m.valueType, m.value, crc ? messageCrc(m, ts) : 0);
    // same row shape as the broker's partition tables
  });
  const t0 = performance.now();
  for (const batch of data) tx(batch, Date.now());
  const secs = (performance.now() - t0) / 1000;
  db.close();
  fs.rmSync(dir, {recursive: true, force: true});
  return TOTAL / secs;
}

/** The store's append (CRC, entry row, partition state). */
async function storeAppend(data: NewMessage[][]): Promise<number> {
  const dir = freshDir();
  const store = await openSqliteStore({dataDir: dir});
  store.createPartition(1);
  let index = 1;
  const t0 = performance.now();
  for (const batch of data) store.appendMessages(1, {index: index++, term: 1, timestamp: Date.now(), messages: batch});
  const secs = (performance.now() - t0) / 1000;
  store.close();
  fs.rmSync(dir, {recursive: true, force: true});
  return TOTAL / secs;
}

/** The broker's whole produce path on one node: routing, de-duplication, a Raft entry per batch, one fsync each. */
async function brokerProduce(data: NewMessage[][]): Promise<number> {
  const dir = freshDir();
  const broker = await Broker.open({config: resolveBrokerConfig({env: {}, flags: {dataDir: dir, logLevel: 'silent'}})});
  await broker.createTopic({name: 'bench'});
  const t0 = performance.now();
  for (const batch of data) {
    for (const item of await broker.produce('bench', batch)) if ('error' in item) throw item.error;
  }
  const secs = (performance.now() - t0) / 1000;
  await broker.close();
  fs.rmSync(dir, {recursive: true, force: true});
  return TOTAL / secs;
}

const stages: Stage[] = [
  {name: 'bare table (no id, no CRC)', ids: false, run: (d) => rawTable(d, false)},
  {name: '+ time-ordered ids (UUIDv7 text)', ids: true, run: (d) => rawTable(d, false)},
  {name: '+ CRC-32 per message', ids: true, run: (d) => rawTable(d, true)},
  {name: '+ entry row, partition state, priority index (LogStore.appendMessages)', ids: true, run: (d) => storeAppend(d)},
  {name: '+ routing, de-duplication, Raft (Broker.produce, one voter: the broker path)', ids: true, run: (d) => brokerProduce(d)},
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`storage microbenchmark: ${TOTAL} messages of ${SIZE} B, batches of ${BATCH}, fsync per batch (WAL, synchronous=FULL), median of ${RUNS} runs`);
console.log(`node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), data in ${baseDir}\n`);
console.log('| stage | msg/s (median) | min–max | cost vs previous |');
console.log('|---|---|---|---|');
const results: number[][] = stages.map(() => []);
const inputs = {ids: batches(true), none: batches(false)};
for (let r = 0; r < RUNS; r++) {
  // interleave stages so that machine noise spreads over all of them
  for (const [i, s] of stages.entries()) results[i]!.push(await s.run(s.ids ? inputs.ids : inputs.none));
}
let prev: number | undefined;
for (const [i, s] of stages.entries()) {
  const m = median(results[i]!);
  const cost = prev === undefined ? '' : `${(((prev - m) / prev) * 100).toFixed(1)} %  (${((1e6 / m - 1e6 / prev) * 1000).toFixed(0)} ns/msg)`;
  console.log(`| ${s.name} | ${Math.round(m).toLocaleString('en-US')} | ${Math.round(Math.min(...results[i]!)).toLocaleString('en-US')}–${Math.round(Math.max(...results[i]!)).toLocaleString('en-US')} | ${cost} |`);
  prev = m;
}
