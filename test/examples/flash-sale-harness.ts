import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {openDb, stockProduct, type Db} from '../../examples/flash-sale/src/db.js';
import {SAGA_TOPIC, type SagaEvent} from '../../examples/flash-sale/src/events.js';
import {ensureTopology, type TopologyOptions} from '../../examples/flash-sale/src/topology.js';
import type {WireMessage} from '../../src/index.js';
import {startTestBroker, tempDir, waitFor, type TestBroker} from '../helpers/broker.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WORKER = path.join(ROOT, 'examples/flash-sale/worker.ts');

/** A saga worker as a real process (`node --import tsx examples/flash-sale/worker.ts`), its output collected by line. */
export class SagaProcess {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  private out = '';

  constructor(url: string, dbPath: string, env: Record<string, string> = {}) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', WORKER, '--url', url, '--db', dbPath], {cwd: ROOT, env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
    this.proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  }

  get output(): string {
    return this.out;
  }

  /** Waits for an output line matching `re` (failing at once if the process exits first). */
  async line(re: RegExp, what: string): Promise<string> {
    let gone = false;
    void this.exited.then(() => (gone = true));
    const hit = await waitFor(
      (): string | undefined => {
        const hit = this.out.split('\n').find((l) => re.test(l));
        if (hit === undefined && gone) throw new Error(`worker exited before ${what}:\n${this.out}`);
        return hit;
      },
      {timeoutMs: 60_000, what: `${what}; output so far:\n${this.out}`},
    );
    return hit!;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    await this.exited;
  }
}

export interface FlashSale {
  broker: TestBroker;
  dbPath: string;
  /** The test's own connection to the example's SQLite file, for checking state. */
  db: Db;
  workers: SagaProcess[];
  spawnWorker(env?: Record<string, string>): SagaProcess;
  stop(): Promise<void>;
}

/** A fresh broker (in this process, real HTTP on port 0), the saga topology on it, and a product with `stock`. */
export async function startFlashSale(opts: TopologyOptions & {product: string; stock: number; price?: number}): Promise<FlashSale> {
  const broker = await startTestBroker();
  await ensureTopology(broker.client, opts);
  const dir = tempDir('mq-flash-');
  const dbPath = path.join(dir, 'flash-sale.db');
  const db = openDb(dbPath);
  stockProduct(db, opts.product, opts.stock, opts.price ?? 120);
  const workers: SagaProcess[] = [];
  return {
    broker,
    dbPath,
    db,
    workers,
    spawnWorker(env) {
      const w = new SagaProcess(broker.url, dbPath, env);
      workers.push(w);
      return w;
    },
    async stop() {
      await Promise.all(workers.map((w) => w.kill()));
      db.close();
      await broker.stop({purge: true});
      fs.rmSync(dir, {recursive: true, force: true});
    },
  };
}

/** Every message in a topic (all partitions; none if it does not exist yet), in log order per partition. */
export async function readTopic(broker: TestBroker, topic: string): Promise<WireMessage[]> {
  const d = await broker.client.describeTopic(topic).catch(() => undefined);
  const out: WireMessage[] = [];
  for (const p of d?.partition_details ?? []) {
    for (let offset = p.log_start_offset; offset < p.high_watermark; ) {
      const page = await broker.client.fetch(topic, p.partition, {offset, maxMessages: 1000});
      out.push(...page.messages);
      offset = page.next_offset;
    }
  }
  return out;
}

/** The saga events of one order, in the order they were written (a product's events share one partition). */
export async function sagaOf(broker: TestBroker, orderId: string): Promise<SagaEvent[]> {
  return (await readTopic(broker, SAGA_TOPIC)).map((m) => m.value as SagaEvent).filter((e) => e?.orderId === orderId);
}
