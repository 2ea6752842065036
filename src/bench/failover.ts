import {Pool} from 'undici';
import {ProduceLoad, verifyAcks, type LossReport} from './cluster-load.js';
import {electionTimeoutMaxMs, LocalCluster, sleep, until} from './local-cluster.js';

export interface FailoverOptions {
  /** Leader kills to measure (each followed by a restart and catch-up). */
  kills: number;
  /** Raft timings (MQ_RAFT_*); the broker defaults when empty. */
  env?: Record<string, string>;
  /** Concurrent produce loops running throughout. */
  concurrency?: number;
  log?: (line: string) => void;
}

export interface FailoverSample {
  killed: number;
  /** kill -9 until a surviving broker names a new leader. */
  electionMs: number;
  /** kill -9 until a write through a survivor is acknowledged (acks=all) again. */
  writableMs: number;
}

export interface FailoverResult {
  samples: FailoverSample[];
  electionTimeoutMaxMs: number;
  acked: number;
  failedRequests: number;
  report: LossReport;
}

const DEFAULT_TIMINGS = {MQ_RAFT_TICK_MS: '100', MQ_RAFT_ELECTION_TICKS: '10', MQ_RAFT_HEARTBEAT_TICKS: '5'};

/** One acks=all write through `via`; true once acknowledged. */
async function probe(pool: Pool, n: number): Promise<boolean> {
  try {
    const res = await pool.request({
      method: 'POST',
      path: '/v1/topics/failover/messages?acks=all',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({id: `probe-${n}`, value: n}),
      headersTimeout: 2000,
      bodyTimeout: 2000,
    });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

/**
 * The failover measurement (`npm run bench:failover`; `mq bench failover` can wrap it): three broker processes
 * under a steady acks=all produce load; the partition's leader is killed with SIGKILL `kills` times (restarted and
 * caught up in between). Each kill records how long until a survivor names a new leader and until a write is
 * acknowledged again; at the end every acknowledged message is checked to be in the log at its offset.
 */
export async function runFailover(opts: FailoverOptions): Promise<FailoverResult> {
  const log = opts.log ?? (() => {});
  const env = {...DEFAULT_TIMINGS, ...opts.env};
  const c = await LocalCluster.start(3, {env});
  try {
    const admin = new Pool(c.url(1));
    const created = await admin.request({method: 'POST', path: '/v1/topics', headers: {'content-type': 'application/json'}, body: JSON.stringify({name: 'failover', partitions: 1})});
    await created.body.dump();
    await admin.close();
    const load = new ProduceLoad(c, {topic: 'failover', concurrency: opts.concurrency ?? 4, batch: 10, pauseMs: 5});
    load.start();
    const samples: FailoverSample[] = [];
    let probes = 0;
    for (let k = 0; k < opts.kills; k++) {
      const first = c.live()[0]!.id;
      const leader = await until(async () => c.leaderOf('failover', 0, first), 30_000, 'a leader');
      await sleep(300);
      const survivor = c.nodes.find((n) => n.id !== leader)!.id;
      const pool = new Pool(c.url(survivor));
      const t0 = performance.now();
      await c.kill(leader);
      let electionMs = 0;
      await until(
        async () => {
          const l = await c.leaderOf('failover', 0, survivor).catch(() => 0);
          if (l !== 0 && l !== leader && electionMs === 0) electionMs = performance.now() - t0;
          return electionMs > 0;
        },
        60_000,
        'a new leader',
        5,
      );
      await until(() => probe(pool, probes++), 60_000, 'a write acknowledged again', 5);
      const writableMs = performance.now() - t0;
      await pool.close();
      samples.push({killed: leader, electionMs, writableMs});
      log(`kill ${k + 1}/${opts.kills}: broker ${leader}; new leader after ${electionMs.toFixed(0)} ms, writable after ${writableMs.toFixed(0)} ms`);
      await c.startNode(leader);
      await c.waitReady();
      // caught up: its replica holds what the leader has committed
      await until(
        async () => {
          const [mine, theirs] = await Promise.all([c.replica(leader, 'failover', 0), c.replica(survivor, 'failover', 0)]);
          return mine.next_offset >= theirs.high_watermark - 50;
        },
        60_000,
        'the restarted broker to catch up',
        50,
      );
    }
    await load.stop();
    const report = await verifyAcks(c, c.live()[0]!.id, 'failover', 1, load.acked);
    return {samples, electionTimeoutMaxMs: electionTimeoutMaxMs(env), acked: load.acked.length, failedRequests: load.failures.length, report};
  } finally {
    await c.destroy();
  }
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? 0;
}
