import {execFile, spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import Database from 'better-sqlite3';
import {Pool} from 'undici';
import type {BenchTarget, TargetProducer} from '../../src/bench/index.js';
import {until} from '../../src/bench/local-cluster.js';
import {require} from './servers.js';

/** better-sqlite3 alone: rows of `size` bytes in transactions of `batch`, WAL with synchronous=FULL (one fsync per transaction). */
export function sqliteAlone(messages: number, batch: number, size: number): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-bench-sqlite-'));
  try {
    const db = new Database(path.join(dir, 'bare.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE m (off INTEGER PRIMARY KEY, ts INTEGER NOT NULL, value BLOB NOT NULL)');
    const ins = db.prepare('INSERT INTO m VALUES (?, ?, ?)');
    const value = Buffer.alloc(size, 120);
    let off = 0;
    const tx = db.transaction((n: number, ts: number) => {
      for (let i = 0; i < n; i++) ins.run(off++, ts, value);
    });
    const t0 = performance.now();
    for (let done = 0; done < messages; done += batch) tx(Math.min(batch, messages - done), Date.now());
    const secs = (performance.now() - t0) / 1000;
    db.close();
    return messages / secs;
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

/** redis-benchmark (Redis's own C client): XADD of `size`-byte values, `clients` connections, pipeline depth `pipeline`. */
export async function redisBenchmark(port: number, messages: number, clients: number, pipeline: number, size: number): Promise<number> {
  const bin = require('redis-benchmark', 'redis-tools');
  const {stdout} = await promisify(execFile)(bin, ['-h', '127.0.0.1', '-p', String(port), '-c', String(clients), '-n', String(messages), '-P', String(pipeline), '--csv', 'XADD', 'rb:stream', '*', 'v', 'x'.repeat(size)], {maxBuffer: 1 << 20});
  // "test","rps",...: the second line holds the figures
  const row = stdout.trim().split('\n').pop()!;
  const rps = Number(JSON.parse(`[${row}]`)[1]);
  if (!Number.isFinite(rps)) throw new Error(`cannot read redis-benchmark's output: ${stdout}`);
  return rps;
}

/**
 * A bare Node HTTP server in its own process (reads the body, answers a small JSON document): the ceiling for any
 * broker that answers one HTTP/1.1 request per message on this machine.
 */
export async function startBareHttp(): Promise<{url: string; stop(): Promise<void>}> {
  const code = `const http=require('node:http');const s=http.createServer((q,r)=>{q.resume();q.on('end',()=>{r.writeHead(200,{'content-type':'application/json'});r.end('{"partition":0,"offset":0}')})});s.keepAliveTimeout=30000;s.listen(0,'127.0.0.1',()=>console.log(s.address().port))`;
  const proc = spawn(process.execPath, ['-e', code], {stdio: ['ignore', 'pipe', 'inherit']});
  let port = 0;
  proc.stdout!.on('data', (d: Buffer) => (port = Number(d.toString().trim())));
  await until(() => port > 0, 10_000, 'the bare HTTP server');
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** The bare server as a produce target: one POST per batch, through an undici pool like mq's client. */
export class BareHttpTarget implements BenchTarget {
  readonly name = 'bare-http';
  private readonly pool: Pool;

  constructor(
    private readonly url: string,
    connections: number,
  ) {
    this.pool = new Pool(url, {connections, pipelining: 1});
  }

  describe(): string {
    return `a bare Node HTTP server at ${this.url} (no storage), undici keep-alive pool`;
  }

  async prepare(): Promise<void> {}

  async producer(): Promise<TargetProducer> {
    return {
      send: async (batch) => {
        const body = batch.length === 1 ? `{"value":${batch[0]!.value}}` : `{"messages":[${batch.map((m) => `{"value":${m.value}}`).join(',')}]}`;
        const res = await this.pool.request({method: 'POST', path: '/v1/topics/t/messages', headers: {'content-type': 'application/json'}, body});
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      },
      close: async () => {},
    };
  }

  async consumer(): Promise<never> {
    throw new Error('the bare HTTP server has nothing to consume');
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/**
 * fdatasync latency of a 4 KiB append in the temp dir, p50 / p99 in ms: every durable produce waits for one, so a
 * disk shared with other work moves every figure here (printed at the start and the end of a comparison).
 */
export function fsyncProbe(samples = 200): {p50: number; p99: number} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-bench-fsync-'));
  try {
    const fd = fs.openSync(path.join(dir, 'probe'), 'w');
    const block = Buffer.alloc(4096, 120);
    const ms: number[] = [];
    for (let i = 0; i < samples; i++) {
      fs.writeSync(fd, block);
      const t0 = performance.now();
      fs.fdatasyncSync(fd);
      ms.push(performance.now() - t0);
    }
    fs.closeSync(fd);
    ms.sort((x, y) => x - y);
    return {p50: ms[Math.floor(samples * 0.5)]!, p99: ms[Math.floor(samples * 0.99)]!};
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}
